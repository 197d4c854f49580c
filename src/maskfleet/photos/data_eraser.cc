#include "maskfleet/photos/data_eraser.h"

#include <spdlog/spdlog.h>

namespace maskfleet::photos {

DataEraser::DataEraser(ImageStore& images, objectstore::ObjectStore& objects, DataEraserOptions options)
    : images_(images), objects_(objects), options_(options) {}

void DataEraser::DeleteObjects(const std::vector<std::string>& keys, ErasedData& erased) {
  for (const std::string& key : keys) {
    if (Status s = objects_.Delete(key); s) {
      ++erased.objects_deleted;
    } else {
      ++erased.objects_failed;
      spdlog::error("delete all data: cannot delete object {}: {}", key, s.error().message);
    }
  }
}

Result<ErasedData> DataEraser::EraseAll() {
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
  Result<std::vector<std::string>> left = objects_.List(kPhotoObjectPrefix);
  if (!left) return std::unexpected(left.error().WithContext("listing the objects left"));
  DeleteObjects(*left, erased);
  return erased;
}

}  // namespace maskfleet::photos
