#include "maskfleet/worker/photo_service.h"

#include <gtest/gtest.h>

#include "maskfleet/accounts/user_store.h"
#include "maskfleet/common/utf8.h"
#include "maskfleet/objectstore/fake/fake_object_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/testing/test_database.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::worker {
namespace {

using objectstore::FakeObjectStore;

class PhotoServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<detect::ModelData> model = detect::ModelData::Load(testing::ModelDir());
    ASSERT_TRUE(model.has_value()) << model.error().ToString();
    detectors_ = detect::DetectorPool::Create(*model, 1)->release();
    analyzer_ = new detect::PhotoAnalyzer(*detectors_, detect::AnalyzerOptions{});
  }

  void SetUp() override {
    Result<std::unique_ptr<storage::testing::ScratchDatabase>> scratch =
        storage::testing::ScratchDatabase::Create("sqlite", "");
    ASSERT_TRUE(scratch.has_value()) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    Result<std::unique_ptr<storage::Database>> db =
        storage::Database::Open({.url = scratch_->url(), .migrations = schema::Maskfleet()}, clock_);
    ASSERT_TRUE(db.has_value()) << db.error().ToString();
    db_ = std::move(*db);
    images_ = std::make_unique<photos::ImageStore>(*db_, clock_);
    accounts::UserStore users(*db_, clock_);
    owner_ = users.Create({"owner", std::nullopt, "hash", false})->id;
    stranger_ = users.Create({"stranger", std::nullopt, "hash", false})->id;
  }

  PhotoService Service(PhotoServiceOptions options = {}, CpuBudget budget = {}) {
    return PhotoService(*analyzer_, *images_, objects_, fetcher_, options, std::move(budget));
  }

  std::vector<std::uint8_t> Photo(const char* name) {
    return testing::ReadBytes(testing::FaceMaskDir() / "images" / name);
  }

  std::int64_t StoredImages() { return images_->Count().value(); }

  static detect::DetectorPool* detectors_;
  static detect::PhotoAnalyzer* analyzer_;
  SimulatedClock clock_;
  std::unique_ptr<storage::testing::ScratchDatabase> scratch_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<photos::ImageStore> images_;
  FakeObjectStore objects_;
  // Private addresses refused, as a worker's default.
  net::UrlFetcher fetcher_ = std::move(*net::UrlFetcher::Create({}));
  std::int64_t owner_ = 0;
  std::int64_t stranger_ = 0;
};

detect::DetectorPool* PhotoServiceTest::detectors_ = nullptr;
detect::PhotoAnalyzer* PhotoServiceTest::analyzer_ = nullptr;

TEST_F(PhotoServiceTest, StoresThreePicturesAndTheRows) {
  PhotoService service = Service();
  Result<StoredPhoto> stored =
      service.Process(owner_, photos::ImageSource::kUpload, "mixed.png", Photo("maksssksksss119.png"));
  ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
  EXPECT_EQ(objects_.size(), 3u);
  Result<photos::ImageDetail> detail = images_->Get(owner_, stored->id);
  ASSERT_TRUE(detail.has_value());
  EXPECT_EQ(detail->faces.size(), stored->report.faces.size());
  EXPECT_TRUE(objects_.Contains(detail->image.original_key));
  EXPECT_EQ(objects_.Find(detail->image.original_key)->content_type, "image/png");
  EXPECT_EQ(objects_.Find(detail->image.thumbnail_key)->content_type, "image/jpeg");
  EXPECT_EQ(CategoryOf(stored->report.faces.size(), stored->report.num_masked()),
            photos::ImageCategory::kSomeMasked);
}

TEST_F(PhotoServiceTest, FailedObjectWriteLeavesNothingBehind) {
  PhotoService service = Service();
  objects_.FailNth(FakeObjectStore::Op::kPut, 2);  // the annotated picture
  Result<StoredPhoto> stored =
      service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png"));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(objects_.size(), 0u);
  EXPECT_EQ(StoredImages(), 0);
}

TEST_F(PhotoServiceTest, FailedRowInsertRemovesTheObjects) {
  PhotoService service = Service();
  // No such user: the foreign key refuses the row after the objects are written.
  Result<StoredPhoto> stored =
      service.Process(987654, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png"));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 3);
  EXPECT_EQ(objects_.size(), 0u);
  EXPECT_EQ(StoredImages(), 0);
}

TEST_F(PhotoServiceTest, BadAndOversizedPhotosAreRefusedBeforeAnyWrite) {
  PhotoService service = Service({.max_photo_bytes = 1000});
  Result<StoredPhoto> big =
      service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png"));
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, ErrorCode::kTooLarge);
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  Result<StoredPhoto> not_image = service.Process(owner_, photos::ImageSource::kUpload, "a.jpg", text);
  ASSERT_FALSE(not_image.has_value());
  EXPECT_EQ(not_image.error().code, ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 0);
}

TEST_F(PhotoServiceTest, SaturatedServiceRefusesAtOnce) {
  PhotoService service = Service({.max_in_flight = 0});
  Result<StoredPhoto> stored =
      service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png"));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(service.in_flight(), 0);
}

TEST_F(PhotoServiceTest, DeleteIsForTheOwnerOnlyAndRemovesObjects) {
  PhotoService service = Service();
  Result<StoredPhoto> stored =
      service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png"));
  ASSERT_TRUE(stored.has_value());
  Status wrong = service.Delete(stranger_, stored->id);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(objects_.size(), 3u);
  ASSERT_TRUE(service.Delete(owner_, stored->id).has_value());
  EXPECT_EQ(objects_.size(), 0u);
  EXPECT_EQ(StoredImages(), 0);
}

TEST_F(PhotoServiceTest, EveryAdmittedAnalysisWaitsForTheCpuBudgetFirst) {
  int waits = 0;
  PhotoService service = Service({.max_in_flight = 1}, [&waits, this] {
    ++waits;
    EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 0) << "the budget comes before the work";
  });
  ASSERT_TRUE(service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png")));
  EXPECT_EQ(waits, 1);
  PhotoService refusing = Service({.max_in_flight = 0}, [&waits] { ++waits; });
  EXPECT_FALSE(refusing.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png")));
  EXPECT_EQ(waits, 1) << "a refused upload costs no budget";
}

TEST_F(PhotoServiceTest, AUrlThatCannotBeFetchedStoresNothing) {
  PhotoService service = Service();
  Result<StoredPhoto> loopback = service.ProcessUrl(owner_, "http://127.0.0.1:9/photo.jpg");
  ASSERT_FALSE(loopback.has_value());
  EXPECT_EQ(loopback.error().message.rfind("cannot fetch the URL: ", 0), 0u) << loopback.error().message;
  Result<StoredPhoto> scheme = service.ProcessUrl(owner_, "file:///etc/passwd");
  ASSERT_FALSE(scheme.has_value());
  EXPECT_EQ(scheme.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 0);
  EXPECT_EQ(StoredImages(), 0);
}

// A file name that is not UTF-8, or a long non-ASCII one cut in a character, used to be
// stored as given; every JSON answer that showed it then failed.
TEST_F(PhotoServiceTest, FileNameIsStoredAsValidUtf8CutOnACharacterBoundary) {
  PhotoService service = Service();
  Result<StoredPhoto> bad = service.Process(owner_, photos::ImageSource::kUpload, "caf\xE9.png",
                                            Photo("maksssksksss650.png"));
  ASSERT_TRUE(bad.has_value()) << bad.error().ToString();
  EXPECT_EQ(images_->Get(owner_, bad->id)->image.source_name, "caf\xEF\xBF\xBD.png");
  EXPECT_EQ(bad->stored.image.source_name, "caf\xEF\xBF\xBD.png");

  std::string long_name = "x";
  while (long_name.size() <= photos::kMaxSourceNameLength) long_name += "\xC3\xA9";  // "é"
  Result<StoredPhoto> cut =
      service.Process(owner_, photos::ImageSource::kUpload, long_name, Photo("maksssksksss650.png"));
  ASSERT_TRUE(cut.has_value()) << cut.error().ToString();
  const std::string stored = images_->Get(owner_, cut->id)->image.source_name;
  EXPECT_EQ(stored.size(), photos::kMaxSourceNameLength - 1);  // the last "é" did not fit whole
  EXPECT_TRUE(IsValidUtf8(stored));
  EXPECT_EQ(stored, long_name.substr(0, photos::kMaxSourceNameLength - 1));
}

// The answer comes from what the commit stored, not from a second read.
TEST_F(PhotoServiceTest, StoredPhotoCarriesTheRowsAsStored) {
  PhotoService service = Service();
  Result<StoredPhoto> stored =
      service.Process(owner_, photos::ImageSource::kUpload, "mixed.png", Photo("maksssksksss119.png"));
  ASSERT_TRUE(stored.has_value()) << stored.error().ToString();
  Result<photos::ImageDetail> read = images_->Get(owner_, stored->id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(stored->stored.image.id, stored->id);
  EXPECT_EQ(stored->stored.image.created_at, read->image.created_at);
  EXPECT_EQ(stored->stored.image.original_key, read->image.original_key);
  EXPECT_EQ(stored->stored.faces, read->faces);
}

TEST(CategoryTest, FromCounts) {
  EXPECT_EQ(CategoryOf(0, 0), photos::ImageCategory::kNoFaces);
  EXPECT_EQ(CategoryOf(3, 3), photos::ImageCategory::kAllMasked);
  EXPECT_EQ(CategoryOf(2, 0), photos::ImageCategory::kNoneMasked);
  EXPECT_EQ(CategoryOf(3, 1), photos::ImageCategory::kSomeMasked);
}

}  // namespace
}  // namespace maskfleet::worker
