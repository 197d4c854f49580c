#include "maskfleet/worker/store_health.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "maskfleet/objectstore/fake/fake_object_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::worker {
namespace {

using objectstore::FakeObjectStore;
using namespace std::chrono_literals;

// The probe period is short and the waits several periods long, so that a late
// thread cannot change what is asserted.
class StoreHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), RealClock());
    ASSERT_TRUE(scratch.has_value()) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
  }

  StoreHealthOptions Options() {
    return {.liveness_period = 20ms, .readiness_period = 400ms, .probe_key = "readiness/probe-test"};
  }

  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  FakeObjectStore objects_;
};

TEST_F(StoreHealthTest, ProbesTheObjectStoreEveryPeriodAndLeavesNothingBehind) {
  StoreHealth health(*db_, objects_, Options());
  health.StartChecking();
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 1);  // at start, before answering
  std::this_thread::sleep_for(1500ms);
  health.StopChecking();
  EXPECT_GE(objects_.calls(FakeObjectStore::Op::kPut), 3);
  EXPECT_TRUE(health.Ready().has_value());
  EXPECT_TRUE(health.Live().has_value());
  EXPECT_EQ(objects_.size(), 0u);
}

TEST_F(StoreHealthTest, StoredPhotosMakeTheProbeNeedless) {
  StoreHealth health(*db_, objects_, Options());
  health.StartChecking();
  const auto end = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < end) {
    health.StoreSucceeded();
    std::this_thread::sleep_for(20ms);
  }
  health.StopChecking();
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kPut), 1);  // the one at start only
  EXPECT_TRUE(health.Ready().has_value());
}

TEST_F(StoreHealthTest, AFailedStoreMakesItUnreadyAtOnceAndAProbeReadyAgain) {
  StoreHealth health(*db_, objects_, Options());
  health.StartChecking();
  ASSERT_TRUE(health.Ready().has_value());
  objects_.SetDown(true);
  health.StoreFailed(Error{ErrorCode::kUnavailable, "disk full"});
  EXPECT_EQ(health.Ready().error().code, ErrorCode::kUnavailable);
  // Photos stored meanwhile (uploads in flight) do not skip the probes of an unready
  // worker: the probe replaces the upload's reason with its own.
  const auto probed_by = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < probed_by &&
         (health.Ready() || health.Ready().error().message.find("object store") == std::string::npos)) {
    health.StoreSucceeded();
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(health.Ready().has_value());
  EXPECT_NE(health.Ready().error().message.find("object store"), std::string::npos)
      << health.Ready().error().message;
  objects_.SetDown(false);
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!health.Ready() && std::chrono::steady_clock::now() < deadline) {
    health.StoreSucceeded();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(health.Ready().has_value());
  health.StopChecking();
}

}  // namespace
}  // namespace maskfleet::worker
