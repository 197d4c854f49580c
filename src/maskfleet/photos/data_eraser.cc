#include "maskfleet/photos/data_eraser.h"

#include <spdlog/spdlog.h>

namespace maskfleet::photos {

DataEraser::DataEraser(ImageStore& images, objectstore::ObjectStore& objects, DataEraserOptions options)
    : images_(images), objects_(objects), options_(options) {}

void DataEraser::DeleteObjects(const std::vector<std::string>& keys, ErasedData& erased) {
  if (keys.empty()) return;
  Result<std::vector<objectstore::KeyFailure>> failures = objects_.DeleteMany(keys);
  if (!failures) {
    erased.objects_failed += static_cast<std::int64_t>(keys.size());
    spdlog::error("delete all data: cannot delete {} objects from {} on: {}", keys.size(), keys.front(),
                  failures.error().message);
    return;
  }
  for (const objectstore::KeyFailure& f : *failures) {
    spdlog::error("delete all data: cannot delete object {}: {}", f.key, f.error.message);
  }
  erased.objects_failed += static_cast<std::int64_t>(failures->size());
  erased.objects_deleted += static_cast<std::int64_t>(keys.size() - failures->size());
}

Result<ErasedData> DataEraser::EraseAll() {
  if (options_.batch_images < 1 || options_.batch_images * 3 > objectstore::kMaxKeysPerPage) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a batch holds 1 to " + std::to_string(objectstore::kMaxKeysPerPage / 3) + " images");
  }
  ErasedData erased;
  while (true) {
    Result<std::vector<std::string>> keys = images_.DeleteBatch(options_.batch_images);
    if (!keys) {
      spdlog::error("delete all data stopped after {} images: {}", erased.images_deleted,
                    keys.error().ToString());
      return std::unexpected(keys.error());
    }
    if (keys->empty()) break;
    // Every image row names exactly three objects: original, annotated, thumbnail.
    erased.images_deleted += static_cast<std::int64_t>(keys->size() / 3);
    DeleteObjects(*keys, erased);
  }
  std::string token;
  do {
    Result<objectstore::KeyPage> page = objects_.ListPage(kPhotoObjectPrefix, token,
                                                          objectstore::kMaxKeysPerPage);
    if (!page) return std::unexpected(page.error().WithContext("listing the objects left"));
    DeleteObjects(page->keys, erased);
    token = std::move(page->next_page_token);
  } while (!token.empty());
  return erased;
}

}  // namespace maskfleet::photos
