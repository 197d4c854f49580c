// PolicyStore against every configured back end (SQLite always; PostgreSQL and MariaDB
// when scripts/test-services.sh's variables are set).
#include "maskfleet/manager/policy_store.h"

#include <gtest/gtest.h>

#include "maskfleet/storage/soci_headers.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::manager {
namespace {

using std::chrono::seconds;

// A valid policy in which every field differs from the default, and the thresholds and
// ratios are not exact in binary (0.35), so that a lossy column or conversion shows.
scaler::ScalingPolicy Custom() {
  scaler::ScalingPolicy p;
  p.grow_threshold = 72.5;
  p.shrink_threshold = 17.3;
  p.expand_ratio = 1.75;
  p.shrink_ratio = 0.35;
  p.min_workers = 2;
  p.max_workers = 6;
  p.check_interval = seconds(5);
  p.window = seconds(10);
  p.shrink_stabilisation = seconds(0);
  p.paused = true;
  return p;
}

class PolicyStoreTest : public storage::testing::ScratchDatabaseTest {
 protected:
  void SetUp() override {
    ScratchDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = std::make_unique<PolicyStore>(database(), clock_);
  }

  // The rows of scaling_policy: (count, updated_at of row 1 or -1).
  std::pair<long long, long long> Rows() {
    long long count = 0, updated_at = -1;
    auto st = database().Run("read scaling_policy", [&](soci::session& s) -> Status {
      s << "SELECT COUNT(*) FROM scaling_policy", soci::into(count);
      soci::indicator ind = soci::i_null;
      s << "SELECT MAX(updated_at) FROM scaling_policy", soci::into(updated_at, ind);
      if (ind != soci::i_ok) updated_at = -1;
      return {};
    });
    EXPECT_TRUE(st) << st.error().ToString();
    return {count, updated_at};
  }

  std::unique_ptr<PolicyStore> store_;
};

TEST_P(PolicyStoreTest, NothingSavedLoadsTheDefaults) {
  auto loaded = store_->Load();
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, scaler::ScalingPolicy{});
  EXPECT_EQ(Rows().first, 0);
}

TEST_P(PolicyStoreTest, EveryFieldRoundTrips) {
  const scaler::ScalingPolicy custom = Custom();
  ASSERT_TRUE(scaler::Validate(custom));
  ASSERT_NE(custom, scaler::ScalingPolicy{});
  auto saved = store_->Save(custom);
  ASSERT_TRUE(saved) << saved.error().ToString();
  auto loaded = store_->Load();
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, custom);
  EXPECT_EQ(Rows(), std::make_pair(1LL, 1'700'000'000LL));
}

TEST_P(PolicyStoreTest, SavingAgainReplacesTheOneRow) {
  ASSERT_TRUE(store_->Save(Custom()));
  clock_.Advance(seconds(90));
  scaler::ScalingPolicy second;  // the defaults, so paused goes back to false
  second.grow_threshold = 90;
  ASSERT_TRUE(store_->Save(second));
  auto loaded = store_->Load();
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  EXPECT_EQ(*loaded, second);
  EXPECT_FALSE(loaded->paused);
  EXPECT_EQ(Rows(), std::make_pair(1LL, 1'700'000'090LL));
}

TEST_P(PolicyStoreTest, InvalidPolicyIsRefusedWithValidatesMessageAndChangesNothing) {
  scaler::ScalingPolicy bad = Custom();
  bad.shrink_threshold = 80;  // above the grow threshold: cannot converge
  const Status expected = scaler::Validate(bad);
  ASSERT_FALSE(expected);

  // Nothing saved yet: still nothing afterwards.
  auto refused = store_->Save(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(refused.error().message, expected.error().message);
  EXPECT_EQ(Rows().first, 0);

  // A saved policy stays as it was.
  ASSERT_TRUE(store_->Save(Custom()));
  clock_.Advance(seconds(60));
  bad.max_workers = 9;
  EXPECT_EQ(store_->Save(bad).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->Load().value(), Custom());
  EXPECT_EQ(Rows(), std::make_pair(1LL, 1'700'000'000LL));
}

TEST_P(PolicyStoreTest, DurationsUpToTheColumnsLimit) {
  scaler::ScalingPolicy longest;
  longest.window = kMaxPolicyDuration;
  longest.shrink_stabilisation = kMaxPolicyDuration;
  ASSERT_TRUE(store_->Save(longest));
  EXPECT_EQ(store_->Load().value(), longest);

  scaler::ScalingPolicy too_long = longest;
  too_long.shrink_stabilisation = kMaxPolicyDuration + seconds(1);
  auto refused = store_->Save(too_long);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("shrink stabilisation"), std::string::npos);
  EXPECT_EQ(store_->Load().value(), longest);
}

INSTANTIATE_TEST_SUITE_P(manager, PolicyStoreTest, ::testing::ValuesIn(storage::testing::TestBackendNames()),
                         storage::testing::BackendTestName);

}  // namespace
}  // namespace maskfleet::manager
