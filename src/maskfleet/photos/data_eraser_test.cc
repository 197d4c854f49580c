#include "maskfleet/photos/data_eraser.h"

#include <gtest/gtest.h>

#include "maskfleet/accounts/user_store.h"
#include "maskfleet/objectstore/fake/fake_object_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::photos {
namespace {

using objectstore::FakeObjectStore;

class DataEraserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    ASSERT_TRUE(scratch.has_value()) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    images_ = std::make_unique<ImageStore>(*db_, clock_);
    accounts::UserStore users(*db_, clock_);
    owner_ = users.Create({"owner", std::nullopt, "hash", false})->id;
  }

  // `count` photos, each with its three objects in the store.
  void AddPhotos(int count) {
    for (int i = 0; i < count; ++i) {
      NewImage row;
      row.owner_id = owner_;
      row.source_name = "p.jpg";
      row.format = "jpeg";
      row.width = row.height = 10;
      const std::string prefix = "u/" + std::to_string(owner_) + "/p" + std::to_string(next_++) + "/";
      row.original_key = prefix + "original.jpeg";
      row.annotated_key = prefix + "annotated.jpg";
      row.thumbnail_key = prefix + "thumbnail.jpg";
      for (const std::string& key : {row.original_key, row.annotated_key, row.thumbnail_key}) {
        ASSERT_TRUE(objects_.Put(key, bytes_, "image/jpeg").has_value());
      }
      ASSERT_TRUE(images_->Insert(row).has_value());
    }
  }

  SimulatedClock clock_;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<ImageStore> images_;
  FakeObjectStore objects_;
  std::int64_t owner_ = 0;
  int next_ = 0;
  const std::vector<std::uint8_t> bytes_{1, 2, 3};
};

TEST_F(DataEraserTest, BatchesAtOneUnderAndOneOverTheBatchSizeEraseEverything) {
  for (int photos : {0, 1, 2, 3, 4, 7}) {
    AddPhotos(photos);
    DataEraser eraser(*images_, objects_, {.batch_images = 3});
    Result<ErasedData> erased = eraser.EraseAll();
    ASSERT_TRUE(erased.has_value()) << erased.error().ToString();
    EXPECT_EQ(erased->images_deleted, photos);
    EXPECT_EQ(erased->objects_deleted, 3 * photos);
    EXPECT_EQ(erased->objects_failed, 0);
    EXPECT_EQ(images_->Count().value(), 0);
    EXPECT_EQ(objects_.size(), 0u);
  }
}

TEST_F(DataEraserTest, DeletesInBatchesNotAllAtOnce) {
  AddPhotos(7);
  DataEraser eraser(*images_, objects_, {.batch_images = 3});
  ASSERT_TRUE(eraser.EraseAll().has_value());
  // Batches of 3, 3 and 1 photos: one DeleteMany each; the listing finds nothing left.
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kDeleteMany), 3);
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kDelete), 0);
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kList), 1);
}

TEST_F(DataEraserTest, ObjectsLeftWithoutARowAreErasedButOthersKept) {
  AddPhotos(2);
  ASSERT_TRUE(objects_.Put("u/9/orphan/original.png", bytes_, "image/png").has_value());
  ASSERT_TRUE(objects_.Put("v/not-a-photo", bytes_, "text/plain").has_value());
  DataEraser eraser(*images_, objects_);
  Result<ErasedData> erased = eraser.EraseAll();
  ASSERT_TRUE(erased.has_value()) << erased.error().ToString();
  EXPECT_EQ(erased->images_deleted, 2);
  EXPECT_EQ(erased->objects_deleted, 7);
  EXPECT_FALSE(objects_.Contains("u/9/orphan/original.png"));
  EXPECT_TRUE(objects_.Contains("v/not-a-photo"));
}

TEST_F(DataEraserTest, ABatchWhoseObjectsCannotBeDeletedIsCountedAndListedAgain) {
  AddPhotos(2);
  objects_.FailNth(FakeObjectStore::Op::kDeleteMany, 1);
  DataEraser eraser(*images_, objects_);
  Result<ErasedData> erased = eraser.EraseAll();
  ASSERT_TRUE(erased.has_value()) << erased.error().ToString();
  EXPECT_EQ(erased->images_deleted, 2);
  // The batch's six objects stayed, unreachable; the listing under u/ takes them.
  EXPECT_EQ(erased->objects_failed, 6);
  EXPECT_EQ(erased->objects_deleted, 6);
  EXPECT_EQ(objects_.size(), 0u);
}

TEST_F(DataEraserTest, BatchSizesOutsideOneTo333AreRefusedWithoutDeleting) {
  AddPhotos(1);
  for (int batch : {0, 334}) {
    DataEraser eraser(*images_, objects_, {.batch_images = batch});
    Result<ErasedData> erased = eraser.EraseAll();
    ASSERT_FALSE(erased.has_value()) << batch;
    EXPECT_EQ(erased.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(images_->Count().value(), 1);
  EXPECT_EQ(objects_.size(), 3u);
  DataEraser largest(*images_, objects_, {.batch_images = 333});
  ASSERT_TRUE(largest.EraseAll().has_value());
  EXPECT_EQ(objects_.size(), 0u);
}

}  // namespace
}  // namespace maskfleet::photos
