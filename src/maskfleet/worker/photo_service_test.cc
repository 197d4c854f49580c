#include "maskfleet/worker/photo_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

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
    Result<storage::testing::ScratchSqlite> scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(),
                                                                                          clock_);
    ASSERT_TRUE(scratch.has_value()) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
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
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
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
  Result<StoredPhoto> stored = service.Process(owner_, photos::ImageSource::kUpload, "mixed.png",
                                               Photo("maksssksksss119.png"));
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
  Result<StoredPhoto> stored = service.Process(owner_, photos::ImageSource::kUpload, "a.png",
                                               Photo("maksssksksss650.png"));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(objects_.size(), 0u);
  EXPECT_EQ(StoredImages(), 0);
}

TEST_F(PhotoServiceTest, AStoreThatTakesNoWritesIsReportedForReadinessOtherFailuresAreNot) {
  std::vector<ErrorCode> reported;
  int stored = 0;
  PhotoService service = Service(
      {.store_unavailable = [&reported](const Error& e) { reported.push_back(e.code); },
       .stored = [&stored] { ++stored; }});
  objects_.FailNth(FakeObjectStore::Op::kPut, 1);  // out of space, say: kUnavailable
  ASSERT_FALSE(service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png")));
  EXPECT_EQ(reported, std::vector<ErrorCode>{ErrorCode::kUnavailable});
  objects_.FailNth(FakeObjectStore::Op::kPut, 1, Error{ErrorCode::kInternal, "injected"});
  ASSERT_FALSE(service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png")));
  // No such user: the row is refused for the photo's own reason, not the store's state.
  ASSERT_FALSE(service.Process(987654, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png")));
  EXPECT_EQ(reported.size(), 1u);
  EXPECT_EQ(stored, 0);
  ASSERT_TRUE(service.Process(owner_, photos::ImageSource::kUpload, "a.png", Photo("maksssksksss650.png")));
  EXPECT_EQ(reported.size(), 1u);
  EXPECT_EQ(stored, 1);  // the stores took writes: readiness hears it too
}

TEST_F(PhotoServiceTest, FailedRowInsertRemovesTheObjects) {
  PhotoService service = Service();
  // No such user: the foreign key refuses the row after the objects are written.
  Result<StoredPhoto> stored = service.Process(987654, photos::ImageSource::kUpload, "a.png",
                                               Photo("maksssksksss650.png"));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 3);
  EXPECT_EQ(objects_.size(), 0u);
  EXPECT_EQ(StoredImages(), 0);
}

TEST_F(PhotoServiceTest, BadAndOversizedPhotosAreRefusedBeforeAnyWrite) {
  PhotoService service = Service({.max_photo_bytes = 1000});
  Result<StoredPhoto> big = service.Process(owner_, photos::ImageSource::kUpload, "a.png",
                                            Photo("maksssksksss650.png"));
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
  Result<StoredPhoto> stored = service.Process(owner_, photos::ImageSource::kUpload, "a.png",
                                               Photo("maksssksksss650.png"));
  ASSERT_FALSE(stored.has_value());
  EXPECT_EQ(stored.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(service.in_flight(), 0);
}

TEST_F(PhotoServiceTest, DeleteIsForTheOwnerOnlyAndRemovesObjects) {
  PhotoService service = Service();
  Result<StoredPhoto> stored = service.Process(owner_, photos::ImageSource::kUpload, "a.png",
                                               Photo("maksssksksss650.png"));
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
  Result<StoredPhoto> cut = service.Process(owner_, photos::ImageSource::kUpload, long_name,
                                            Photo("maksssksksss650.png"));
  ASSERT_TRUE(cut.has_value()) << cut.error().ToString();
  const std::string stored = images_->Get(owner_, cut->id)->image.source_name;
  EXPECT_EQ(stored.size(), photos::kMaxSourceNameLength - 1);  // the last "é" did not fit whole
  EXPECT_TRUE(IsValidUtf8(stored));
  EXPECT_EQ(stored, long_name.substr(0, photos::kMaxSourceNameLength - 1));
}

// The answer comes from what the commit stored, not from a second read.
TEST_F(PhotoServiceTest, StoredPhotoCarriesTheRowsAsStored) {
  PhotoService service = Service();
  Result<StoredPhoto> stored = service.Process(owner_, photos::ImageSource::kUpload, "mixed.png",
                                               Photo("maksssksksss119.png"));
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

// Blocks the first analysis admitted in its CPU budget until Open(), so that the
// next one has to wait for its turn.
class HeldBudget {
 public:
  CpuBudget Budget() {
    return [this] {
      ++entered_;
      gate_.wait();
    };
  }
  void Open() { open_.set_value(); }
  int entered() const { return entered_.load(); }

 private:
  std::atomic<int> entered_{0};
  std::promise<void> open_;
  std::shared_future<void> gate_ = open_.get_future().share();
};

// Polls until `condition` holds (up to 10 s).
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return condition();
}

TEST_F(PhotoServiceTest, AQueuedAnalysisWhoseClientLeftIsDroppedBeforeItRuns) {
  HeldBudget budget;
  PhotoService service = Service({.max_in_flight = 2, .max_running = 1}, budget.Budget());
  const std::vector<std::uint8_t> photo = Photo("maksssksksss650.png");
  auto first = std::async(std::launch::async, [&] {
    return service.Process(owner_, photos::ImageSource::kUpload, "first.png", photo);
  });
  ASSERT_TRUE(Eventually([&] { return budget.entered() == 1; }));
  std::atomic<bool> connected{true};
  auto second = std::async(std::launch::async, [&] {
    return service.Process(owner_, photos::ImageSource::kUpload, "second.png", photo,
                           [&] { return connected.load(); });
  });
  ASSERT_TRUE(Eventually([&] { return service.in_flight() == 2; }));
  connected = false;  // the client of the waiting upload hangs up
  Result<StoredPhoto> dropped = second.get();
  ASSERT_FALSE(dropped.has_value());
  EXPECT_EQ(dropped.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(dropped.error().message.find("abandoned"), std::string::npos) << dropped.error().message;
  budget.Open();
  ASSERT_TRUE(first.get().has_value());
  EXPECT_EQ(budget.entered(), 1) << "the dropped upload never started";
  EXPECT_EQ(StoredImages(), 1);
  EXPECT_EQ(objects_.size(), 3u);
}

TEST_F(PhotoServiceTest, AQueuedAnalysisWaitsAtMostMaxWait) {
  HeldBudget budget;
  PhotoService service = Service(
      {.max_in_flight = 2, .max_running = 1, .max_wait = std::chrono::milliseconds(50)}, budget.Budget());
  const std::vector<std::uint8_t> photo = Photo("maksssksksss650.png");
  auto first = std::async(std::launch::async, [&] {
    return service.Process(owner_, photos::ImageSource::kUpload, "first.png", photo);
  });
  ASSERT_TRUE(Eventually([&] { return budget.entered() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  Result<StoredPhoto> late = service.Process(owner_, photos::ImageSource::kUpload, "late.png", photo);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(late.error().retry_after.has_value());
  // One over the queue is refused without waiting at all.
  Result<StoredPhoto> third = std::async(std::launch::async, [&] {
                                auto waiting = std::async(std::launch::async, [&] {
                                  return service.Process(owner_, photos::ImageSource::kUpload, "waiting.png",
                                                         photo);
                                });
                                EXPECT_TRUE(Eventually([&] { return service.in_flight() == 2; }));
                                Result<StoredPhoto> over = service.Process(
                                    owner_, photos::ImageSource::kUpload, "over.png", photo);
                                (void)waiting.get();
                                return over;
                              }).get();
  ASSERT_FALSE(third.has_value());
  EXPECT_NE(third.error().message.find("busy"), std::string::npos) << third.error().message;
  budget.Open();
  ASSERT_TRUE(first.get().has_value());
  EXPECT_EQ(StoredImages(), 1);
}

TEST_F(PhotoServiceTest, UrlFetchesBeyondTheirBoundAreRefusedAtOnceAndNeverTakeADetectionSlot) {
  // A server that accepts connections (the kernel does, from its backlog) and never
  // answers: each fetch waits until its deadline.
  const int silent = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(silent, 16), 0);
  ASSERT_EQ(::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/photo.jpg";
  net::FetchOptions fetch;
  fetch.allow_private = true;
  fetch.timeout = std::chrono::milliseconds(1500);
  net::UrlFetcher slow_fetcher = std::move(*net::UrlFetcher::Create(fetch));
  PhotoService service(*analyzer_, *images_, objects_, slow_fetcher,
                       {.max_in_flight = 1, .max_running = 1, .max_url_fetches = 1});

  auto fetching = std::async(std::launch::async, [&] { return service.ProcessUrl(owner_, url); });
  ASSERT_TRUE(Eventually([&] { return service.url_fetches() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  Result<StoredPhoto> refused = service.ProcessUrl(owner_, url);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(refused.error().retry_after.has_value());
  // Meanwhile a photo sent directly is analysed: the fetch holds no detection slot.
  EXPECT_EQ(service.in_flight(), 0);
  EXPECT_TRUE(
      service.Process(owner_, photos::ImageSource::kUpload, "direct.png", Photo("maksssksksss650.png")));
  Result<StoredPhoto> timed_out = fetching.get();  // its deadline ends it
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().message.rfind("cannot fetch the URL", 0), 0u) << timed_out.error().message;
  EXPECT_EQ(service.url_fetches(), 0);
  ::close(silent);
}

}  // namespace
}  // namespace maskfleet::worker
