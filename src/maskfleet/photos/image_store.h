// ImageStore: the photos people analysed (table images) and the faces found in each
// (table faces, one row per face). The image bytes live in the object store; a row holds
// their three object keys (original, annotated, thumbnail) and the detection results.
//
// Every read takes the owner: an image is reachable only by its owner, and another
// owner's id answers kNotFound, exactly like an id that does not exist.
//
// The four history lists are computed from the faces rows (no stored counts):
//   kNoFaces     no face
//   kAllMasked   at least one face, every face masked
//   kNoneMasked  at least one face, no face masked
//   kSomeMasked  some faces masked and some not
//
// Thread safety: safe to use from many threads; it holds no state of its own.
#ifndef MASKFLEET_PHOTOS_IMAGE_STORE_H_
#define MASKFLEET_PHOTOS_IMAGE_STORE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::photos {

inline constexpr std::size_t kMaxSourceNameLength = 2048;  // a file name or a URL
inline constexpr std::size_t kMaxObjectKeyLength = 512;
inline constexpr std::size_t kMaxFormatLength = 16;
inline constexpr std::int64_t kMaxPageSize = 200;

enum class ImageSource { kUpload, kUrl };

enum class ImageCategory { kNoFaces, kAllMasked, kNoneMasked, kSomeMasked };

// "no_faces", "all_masked", "none_masked", "some_masked".
std::string_view ImageCategoryName(ImageCategory category);

struct Face {
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
  bool masked = false;
  double confidence = 0.0;

  bool operator==(const Face&) const = default;
};

struct NewImage {
  std::int64_t owner_id = 0;
  ImageSource source = ImageSource::kUpload;
  // The uploaded file's name or the fetched URL (shown back to the owner). Valid UTF-8:
  // the caller makes it so (common/utf8.h), because it is sent back as JSON.
  std::string source_name;
  // The format recognised from the bytes ("jpeg", "png" ...).
  std::string format;
  int width = 0;
  int height = 0;
  std::string original_key;
  std::string annotated_key;
  std::string thumbnail_key;
  // In detection order; stored with ordinals 0, 1, 2 ...
  std::vector<Face> faces;
};

struct ImageRecord {
  std::int64_t id = 0;
  std::int64_t owner_id = 0;
  Clock::TimePoint created_at;
  ImageSource source = ImageSource::kUpload;
  std::string source_name;
  std::string format;
  int width = 0;
  int height = 0;
  std::string original_key;
  std::string annotated_key;
  std::string thumbnail_key;
};

// One entry of a history list.
struct ImageSummary {
  ImageRecord image;
  std::int64_t face_count = 0;
  std::int64_t masked_count = 0;
};

struct ImageDetail {
  ImageRecord image;
  std::vector<Face> faces;  // by ordinal
};

struct ImagePage {
  std::vector<ImageSummary> items;  // newest first
  std::int64_t total = 0;           // in the whole list, all pages
};

class ImageStore {
 public:
  // `db` and `clock` must outlive the store.
  ImageStore(storage::Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // Inserts the image, stamped now, and its faces in one transaction: either all rows
  // are there afterwards or none. Returns the image as stored (what Get would answer
  // now), so that the caller needs no second read after the commit. Errors: kInvalidArgument
  // (empty or over-long name, format or key; negative size or box), kNotFound (no such
  // owner), kUnavailable, kInternal.
  Result<ImageDetail> Insert(const NewImage& image);

  // The image with its faces, if `owner_id` owns it. Errors: kNotFound (no such image,
  // or another owner's), kUnavailable, kInternal.
  Result<ImageDetail> Get(std::int64_t owner_id, std::int64_t image_id);

  // Page `page` (1 for the first) of `page_size` (1..kMaxPageSize) entries of one
  // owner's list, newest first, with the list's total; `category` nullopt lists all of
  // the owner's images. A page past the end is empty.
  // Errors: kInvalidArgument (page or page size out of range), kUnavailable, kInternal.
  Result<ImagePage> List(std::int64_t owner_id, std::optional<ImageCategory> category, std::int64_t page,
                         std::int64_t page_size);

  // Deletes one image of its owner; returns its object keys. Errors: kNotFound (also
  // for another owner's image), kUnavailable, kInternal.
  Result<std::vector<std::string>> Delete(std::int64_t owner_id, std::int64_t image_id);

  // Deletes every image of every user ("delete all data"); returns their object keys.
  // Errors: kUnavailable, kInternal (nothing deleted then).
  Result<std::vector<std::string>> DeleteAll();

  // Deletes up to `limit` images of any user, the oldest (lowest ids) first, with their
  // faces; returns their object keys (three per image; none when no image is left).
  // Errors: kInvalidArgument (limit below 1), kUnavailable, kInternal (nothing deleted).
  Result<std::vector<std::string>> DeleteBatch(int limit);

  // Images of all users. Errors: kUnavailable, kInternal.
  Result<std::int64_t> Count();

  // Which of `keys` an image row of `owner_id` holds (as its original, annotated or
  // thumbnail key), in any order; the others are referred to by no row of that owner.
  // Cost: one indexed query of the owner's images per 100 keys. Errors: kUnavailable,
  // kInternal.
  Result<std::set<std::string>> ReferencedKeys(std::int64_t owner_id, std::span<const std::string> keys);

 private:
  storage::Database& db_;
  Clock& clock_;
};

}  // namespace maskfleet::photos

#endif  // MASKFLEET_PHOTOS_IMAGE_STORE_H_
