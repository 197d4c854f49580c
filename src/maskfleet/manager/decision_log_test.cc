// DecisionLog against every configured back end (SQLite always; PostgreSQL and MariaDB
// when scripts/test-services.sh's variables are set).
#include "maskfleet/manager/decision_log.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::manager {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::TimePoint kStart{seconds(1'700'000'000)};

DecisionRecord Record(int second, std::string action = "hold", std::string reason = "steady") {
  return DecisionRecord{kStart + seconds(second), 42.5, 2, 2, std::move(action), std::move(reason)};
}

class DecisionLogTest : public storage::testing::ScratchDatabaseTest {
 protected:
  void SetUp() override {
    ScratchDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    log_ = std::make_unique<DecisionLog>(database());
  }

  // The reasons of the `limit` latest records, newest first.
  std::vector<std::string> Reasons(int limit = kMaxDecisionsListed) {
    std::vector<std::string> reasons;
    auto recent = log_->Recent(limit);
    EXPECT_TRUE(recent) << recent.error().ToString();
    if (recent) {
      for (const auto& r : *recent) reasons.push_back(r.reason);
    }
    return reasons;
  }

  std::unique_ptr<DecisionLog> log_;
};

TEST_P(DecisionLogTest, EmptyLogListsNothing) {
  auto recent = log_->Recent(50);
  ASSERT_TRUE(recent) << recent.error().ToString();
  EXPECT_TRUE(recent->empty());
}

TEST_P(DecisionLogTest, EveryFieldRoundTrips) {
  const DecisionRecord grow{kStart + seconds(60),
                            85.25,
                            2,
                            4,
                            "grow",
                            "average CPU 85.2% over 2 min is above the grow threshold 70%: grow 2 -> 4"};
  const DecisionRecord hold{
      kStart + seconds(120), std::nullopt, 4, 4, "hold", "no CPU figure for 2 of 4 workers: hold 4"};
  const DecisionRecord shrink{kStart + seconds(180), 0.0, 4, 1, "shrink", ""};
  ASSERT_TRUE(log_->Append(grow));
  ASSERT_TRUE(log_->Append(hold));
  ASSERT_TRUE(log_->Append(shrink));
  auto recent = log_->Recent(10);
  ASSERT_TRUE(recent) << recent.error().ToString();
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_EQ((*recent)[0], shrink);
  EXPECT_EQ((*recent)[1], hold);
  EXPECT_FALSE((*recent)[1].average_cpu.has_value());
  EXPECT_EQ((*recent)[2], grow);
}

TEST_P(DecisionLogTest, TimeIsKeptToTheSecondRoundedDown) {
  DecisionRecord record = Record(0);
  record.time = kStart + milliseconds(1999);
  ASSERT_TRUE(log_->Append(record));
  EXPECT_EQ(log_->Recent(1).value().at(0).time, kStart + seconds(1));
}

TEST_P(DecisionLogTest, NewestFirstThenLatestAppendedWithinASecond) {
  ASSERT_TRUE(log_->Append(Record(30, "hold", "c")));
  ASSERT_TRUE(log_->Append(Record(10, "hold", "a")));
  ASSERT_TRUE(log_->Append(Record(20, "hold", "b1")));
  ASSERT_TRUE(log_->Append(Record(20, "hold", "b2")));
  ASSERT_TRUE(log_->Append(Record(40, "hold", "d")));
  EXPECT_EQ(Reasons(), (std::vector<std::string>{"d", "c", "b2", "b1", "a"}));
  EXPECT_EQ(Reasons(2), (std::vector<std::string>{"d", "c"}));
  EXPECT_EQ(Reasons(1), (std::vector<std::string>{"d"}));
}

TEST_P(DecisionLogTest, LimitOutsideOneTo500IsInvalidArgument) {
  for (int limit : {0, -1, kMaxDecisionsListed + 1, std::numeric_limits<int>::max()}) {
    auto recent = log_->Recent(limit);
    ASSERT_FALSE(recent) << limit;
    EXPECT_EQ(recent.error().code, ErrorCode::kInvalidArgument) << limit;
  }
  for (int i = 0; i < kMaxDecisionsListed + 5; ++i) ASSERT_TRUE(log_->Append(Record(i)));
  auto all = log_->Recent(kMaxDecisionsListed);
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kMaxDecisionsListed));
  EXPECT_EQ(all->front().time, kStart + seconds(kMaxDecisionsListed + 4));
}

TEST_P(DecisionLogTest, LongReasonIsCutAtACharacterBoundary) {
  const std::string ascii(kMaxDecisionReasonLength + 500, 'a');
  // 999 bytes, then a 4-byte character that crosses the limit.
  const std::string emoji = std::string(kMaxDecisionReasonLength - 1, 'b') + "\xF0\x9F\x98\x80" + "tail";
  // 998 bytes, then a 2-byte character that ends exactly at the limit.
  const std::string exact = std::string(kMaxDecisionReasonLength - 2, 'c') + "\xC3\xA9" + "more";
  ASSERT_TRUE(log_->Append(Record(1, "hold", ascii)));
  ASSERT_TRUE(log_->Append(Record(2, "hold", emoji)));
  ASSERT_TRUE(log_->Append(Record(3, "hold", exact)));
  EXPECT_EQ(Reasons(), (std::vector<std::string>{exact.substr(0, kMaxDecisionReasonLength),
                                                 emoji.substr(0, kMaxDecisionReasonLength - 1),
                                                 ascii.substr(0, kMaxDecisionReasonLength)}));
}

TEST_P(DecisionLogTest, AwkwardReasonsComeBackVerbatim) {
  const std::string reason = "Robert'); DROP TABLE scaling_decisions;-- \\ \"x\" :n ? $1 名前 😀\n%_";
  ASSERT_TRUE(log_->Append(Record(1, "grow", reason)));
  EXPECT_EQ(Reasons(), (std::vector<std::string>{reason}));
}

TEST_P(DecisionLogTest, InvalidRecordsAreRefusedAndNothingIsStored) {
  std::vector<DecisionRecord> bad;
  for (const char* action : {"", "GROW", "scale", "hold "}) bad.push_back(Record(1, action));
  bad.push_back(Record(1));
  bad.back().size_before = -1;
  bad.push_back(Record(1));
  bad.back().size_after = -1;
  bad.push_back(Record(1));
  bad.back().average_cpu = std::nan("");
  bad.push_back(Record(1));
  bad.back().average_cpu = std::numeric_limits<double>::infinity();
  bad.push_back(Record(1, "hold", "cut \xE2\x82"));
  bad.push_back(Record(1, "hold", std::string("nul\0byte", 8)));
  for (const DecisionRecord& record : bad) {
    auto st = log_->Append(record);
    ASSERT_FALSE(st) << record.action << " " << record.reason;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_TRUE(Reasons().empty());
}

TEST_P(DecisionLogTest, DeleteOlderThanKeepsTheCutoffSecondAndLater) {
  for (int second : {0, 59, 60, 61, 120})
    ASSERT_TRUE(log_->Append(Record(second, "hold", std::to_string(second))));
  auto deleted = log_->DeleteOlderThan(kStart + seconds(60));
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(*deleted, 2);
  EXPECT_EQ(Reasons(), (std::vector<std::string>{"120", "61", "60"}));
  EXPECT_EQ(log_->DeleteOlderThan(kStart).value(), 0);
}

INSTANTIATE_TEST_SUITE_P(manager, DecisionLogTest, ::testing::ValuesIn(storage::testing::TestBackendNames()),
                         storage::testing::BackendTestName);

}  // namespace
}  // namespace maskfleet::manager
