// DataEraser: "delete all data": every image record and every stored photo object.
//
// It works in batches, so that neither the database nor the object store gets one
// call for everything (an object store such as S3 lists and deletes at most 1,000
// keys a call): it deletes a batch of image rows (oldest first) and then their
// objects in one DeleteMany, until no row is left; then it lists what is still stored
// under the photos' prefix a page at a time (an upload that failed halfway, an object
// whose delete failed just before or with its user) and deletes each page the same
// way. Rows go before their objects: an object whose row is gone is unreachable, never
// the other way round. A delete that fails is logged and counted; the erasure goes on,
// and the listing tries such objects once more.
//
// Thread safety: one EraseAll at a time per eraser; the stores are safe to share.
#ifndef MASKFLEET_PHOTOS_DATA_ERASER_H_
#define MASKFLEET_PHOTOS_DATA_ERASER_H_

#include <cstdint>

#include "maskfleet/common/error.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/photos/image_store.h"

namespace maskfleet::photos {

// Every photo's objects live under this prefix ("u/<owner>/<random>/...").
inline constexpr char kPhotoObjectPrefix[] = "u/";

struct ErasedData {
  std::int64_t images_deleted = 0;
  // Objects deleted: those of the rows, and those found left under the prefix.
  std::int64_t objects_deleted = 0;
  // Deletes of an object that failed (logged); the listing tries them once more.
  std::int64_t objects_failed = 0;
};

struct DataEraserOptions {
  // Image rows per batch (three objects each), 1..333: one DeleteMany takes at most
  // objectstore::kMaxKeysPerPage keys. Default 300.
  int batch_images = 300;
};

class DataEraser {
 public:
  // Both stores must outlive the eraser.
  DataEraser(ImageStore& images, objectstore::ObjectStore& objects, DataEraserOptions options = {});

  // Erases everything (above). Errors: kInvalidArgument (batch_images outside 1..333,
  // nothing erased); the image store's (kUnavailable, kInternal), with what was erased
  // before it failed logged; the listing's, after every row is gone.
  Result<ErasedData> EraseAll();

 private:
  // Deletes `keys` (at most kMaxKeysPerPage) in one call, counting into `erased`.
  void DeleteObjects(const std::vector<std::string>& keys, ErasedData& erased);

  ImageStore& images_;
  objectstore::ObjectStore& objects_;
  const DataEraserOptions options_;
};

}  // namespace maskfleet::photos

#endif  // MASKFLEET_PHOTOS_DATA_ERASER_H_
