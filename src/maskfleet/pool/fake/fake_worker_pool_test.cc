#include "maskfleet/pool/fake/fake_worker_pool.h"

#include <gtest/gtest.h>

namespace maskfleet::pool::fake {
namespace {

// A new idempotency key for each launch.
std::string NewKey() {
  static int n = 0;
  return "launch-" + std::to_string(++n);
}

TEST(FakeWorkerPoolTest, WalksTheStatesAsTheTestSays) {
  SimulatedClock clock;
  FakeWorkerPool pool({.max_workers = 2, .healthy_on_refresh = false, .clock = &clock});
  Result<WorkerInfo> a = pool.Launch(NewKey());
  Result<WorkerInfo> b = pool.Launch(NewKey());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(pool.Launch(NewKey()).error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(a->state, WorkerState::kStarting);
  EXPECT_TRUE(pool.Refresh().value().empty());  // nobody healthy yet

  ASSERT_TRUE(pool.MarkHealthy(a->id));
  std::vector<WorkerChange> changes = pool.Refresh().value();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, WorkerState::kInService);

  ASSERT_TRUE(pool.Drain(a->id));
  EXPECT_EQ(pool.List()[0].state, WorkerState::kDraining);
  ASSERT_TRUE(pool.Kill(b->id));
  changes = pool.Refresh().value();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].to, WorkerState::kStopped);
  EXPECT_EQ(changes[1].to, WorkerState::kFailed);
  EXPECT_EQ(pool.live(), 0);
  EXPECT_EQ(pool.Drain(b->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(pool.Stop("w9").error().code, ErrorCode::kNotFound);
}

TEST(FakeWorkerPoolTest, InjectedFailuresHappenOnceAndCallsAreCounted) {
  FakeWorkerPool pool;
  pool.FailNext("Launch", Error{ErrorCode::kUnavailable, "no capacity"});
  EXPECT_EQ(pool.Launch(NewKey()).error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(pool.Launch(NewKey()));
  EXPECT_EQ(pool.calls("Launch"), 2);
  ASSERT_TRUE(pool.StopAll());
  EXPECT_EQ(pool.List()[0].state, WorkerState::kStopped);
}

}  // namespace
}  // namespace maskfleet::pool::fake
