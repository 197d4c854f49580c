// The controller driven tick by tick: RunOnce() on a SimulatedClock, the clock moved by
// the test, no threads and no real waiting (one test runs Start()'s threads on the
// simulated clock, to show that the loops wait on it).
#include "maskfleet/manager/pool_controller.h"

#include <thread>

#include <gtest/gtest.h>

#include "maskfleet/lb/fake/fake_load_balancer.h"
#include "maskfleet/metrics/fake/fake_metrics_source.h"
#include "maskfleet/pool/fake/fake_worker_pool.h"

namespace maskfleet::manager {
namespace {

using namespace std::chrono_literals;
using pool::WorkerState;

ControllerOptions TestOptions() {
  ControllerOptions o;
  o.tick = 500ms;
  o.collect_every = 10s;
  o.drain_timeout = 3s;
  o.launch_retry = 5s;
  return o;
}

int CountInState(const pool::WorkerPool& pool, WorkerState state) {
  int n = 0;
  for (const pool::WorkerInfo& w : pool.List()) n += w.state == state ? 1 : 0;
  return n;
}

class PoolControllerTest : public ::testing::Test {
 protected:
  int ServersUp() {
    Result<std::vector<lb::ServerStatus>> servers = balancer_.ListServers();
    if (!servers) return -1;
    int n = 0;
    for (const lb::ServerStatus& s : *servers) n += s.state == lb::ServerState::kUp ? 1 : 0;
    return n;
  }
  std::size_t Servers() {
    Result<std::vector<lb::ServerStatus>> servers = balancer_.ListServers();
    return servers ? servers->size() : 0;
  }

  // A controller on the members, aiming at `size`, not started.
  std::unique_ptr<PoolController> Make(int size, ControllerOptions options = TestOptions()) {
    return MakeOn(pool_, size, options);
  }
  std::unique_ptr<PoolController> MakeOn(pool::WorkerPool& pool, int size,
                                         ControllerOptions options = TestOptions()) {
    auto controller = std::make_unique<PoolController>(pool, balancer_, metrics_, clock_, options);
    controller->SetInitialSize(size);
    return controller;
  }
  // `n` ticks: RunOnce, then the clock moves one tick on.
  void Ticks(PoolController& controller, int n) {
    for (int i = 0; i < n; ++i) {
      controller.RunOnce();
      clock_.Advance(TestOptions().tick);
    }
  }

  SimulatedClock clock_;
  pool::fake::FakeWorkerPool pool_{{.clock = &clock_}};
  lb::FakeLoadBalancer balancer_;
  metrics::FakeMetricsSource metrics_;
};

TEST_F(PoolControllerTest, StartsOneWorkerAndAddsItToTheBalancerOnceInService) {
  auto controller = Make(1);
  Ticks(*controller, 1);  // launched, starting
  EXPECT_EQ(pool_.live(), 1);
  EXPECT_EQ(Servers(), 0u);
  EXPECT_EQ(controller->View().starting, 1);
  Ticks(*controller, 1);  // healthy: in service and in the balancer
  ASSERT_EQ(ServersUp(), 1);
  const PoolView view = controller->View();
  EXPECT_EQ(view.desired_size, 1);
  EXPECT_EQ(view.in_service, 1);
  EXPECT_EQ(pool_.live(), 1);
  EXPECT_EQ(pool_.calls("Launch"), 1);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, StartingWorkerStaysOutOfTheBalancerUntilHealthy) {
  pool::fake::FakeWorkerPool pool({.healthy_on_refresh = false, .clock = &clock_});
  auto controller = MakeOn(pool, 1);
  Ticks(*controller, 1);
  ASSERT_EQ(pool.live(), 1);
  Ticks(*controller, 10);
  EXPECT_EQ(Servers(), 0u);
  EXPECT_EQ(controller->View().starting, 1);
  ASSERT_TRUE(pool.MarkHealthy(pool.List().front().id));
  Ticks(*controller, 1);
  EXPECT_EQ(ServersUp(), 1);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, GrowsAndShrinksWithinBounds) {
  auto controller = Make(1);
  Ticks(*controller, 2);
  ASSERT_EQ(controller->Grow().value_or(-1), 2);
  ASSERT_EQ(controller->SetDesiredSize(3).value_or(-1), 3);
  Ticks(*controller, 2);
  EXPECT_EQ(ServersUp(), 3);
  EXPECT_EQ(controller->Shrink().value_or(-1), 2);
  Ticks(*controller, 1);  // the newest is drained in the balancer
  Ticks(*controller, 2);  // idle: out of the balancer, drained in the pool, then stopped
  EXPECT_EQ(ServersUp(), 2);
  EXPECT_EQ(pool_.live(), 2);

  EXPECT_EQ(controller->SetDesiredSize(0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(controller->SetDesiredSize(9).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(controller->SetDesiredSize(8));
  EXPECT_EQ(controller->Grow().error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(controller->SetDesiredSize(1));
  EXPECT_EQ(controller->Shrink().error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, ShrinkWaitsForRequestsInFlightBeforeStoppingTheWorker) {
  auto controller = Make(2);
  Ticks(*controller, 2);
  ASSERT_EQ(ServersUp(), 2);
  const std::string newest = pool_.List().back().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 2));

  ASSERT_TRUE(controller->Shrink());
  Ticks(*controller, 1);
  std::optional<lb::ServerStatus> drained = balancer_.Find(newest);
  ASSERT_TRUE(drained);
  EXPECT_EQ(drained->state, lb::ServerState::kDraining);
  // Requests in flight: the worker keeps running and stays in the balancer, drained
  // (2 s of the 3 s drain timeout pass).
  Ticks(*controller, 4);
  EXPECT_EQ(pool_.calls("Drain"), 0);
  EXPECT_TRUE(balancer_.Find(newest).has_value());
  EXPECT_EQ(controller->View().draining, 1);

  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 0));
  Ticks(*controller, 1);
  EXPECT_FALSE(balancer_.Find(newest));
  EXPECT_EQ(pool_.calls("Drain"), 1);
  Ticks(*controller, 1);
  EXPECT_EQ(pool_.live(), 1);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, DrainTimeoutStopsAWorkerThatNeverGoesIdle) {
  ControllerOptions options = TestOptions();
  options.drain_timeout = 2s;
  auto controller = Make(2, options);
  Ticks(*controller, 2);
  ASSERT_EQ(ServersUp(), 2);
  const std::string newest = pool_.List().back().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 1));
  ASSERT_TRUE(controller->Shrink());
  Ticks(*controller, 1);  // drained at t, in the balancer
  Ticks(*controller, 3);  // t + 1.5 s: one tick under the timeout
  EXPECT_EQ(pool_.calls("Drain"), 0);
  EXPECT_TRUE(balancer_.Find(newest));
  Ticks(*controller, 1);  // t + 2 s: at the timeout
  EXPECT_EQ(pool_.calls("Drain"), 1);
  EXPECT_FALSE(balancer_.Find(newest));
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, FailedWorkerLeavesTheBalancerAndIsReplaced) {
  auto controller = Make(2);
  Ticks(*controller, 2);
  ASSERT_EQ(ServersUp(), 2);
  const std::string victim = pool_.List().front().id;
  ASSERT_TRUE(pool_.Kill(victim));
  Ticks(*controller, 1);  // failed: out of the balancer at once, a replacement launched
  EXPECT_FALSE(balancer_.Find(victim).has_value());
  Ticks(*controller, 1);
  EXPECT_EQ(ServersUp(), 2);
  EXPECT_EQ(pool_.live(), 2);
  EXPECT_EQ(pool_.calls("Launch"), 3);
  bool failed_listed = false;
  for (const WorkerView& w : controller->View().workers) {
    failed_listed = failed_listed || (w.info.id == victim && w.info.state == WorkerState::kFailed);
  }
  EXPECT_TRUE(failed_listed);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, LaunchFailureIsRetriedAfterTheRetryDelay) {
  pool_.FailNext("Launch", Error{ErrorCode::kUnavailable, "fork failed"});
  auto controller = Make(1);
  Ticks(*controller, 1);
  EXPECT_EQ(pool_.calls("Launch"), 1);
  Ticks(*controller, 9);  // 4.5 s: one tick under the retry delay
  EXPECT_EQ(pool_.calls("Launch"), 1);
  Ticks(*controller, 1);  // 5 s: retried
  EXPECT_EQ(pool_.calls("Launch"), 2);
  Ticks(*controller, 1);
  EXPECT_EQ(ServersUp(), 1);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, ALaunchWithAnUnknownOutcomeIsRetriedWithTheSameKey) {
  pool_.FailNext("Launch", Error{ErrorCode::kUnavailable, "the answer was lost"});
  auto controller = Make(2);
  Ticks(*controller, 1);
  Ticks(*controller, 10);  // the retry: both workers launched
  ASSERT_EQ(pool_.live(), 2);
  const std::vector<std::string> keys = pool_.launch_keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[1], keys[0]);  // the retry asks for the same launch
  EXPECT_NE(keys[2], keys[1]);  // the second worker is another launch

  // A refusal is no unknown outcome: the next attempt is a new launch.
  ASSERT_TRUE(controller->SetDesiredSize(3));
  pool_.FailNext("Launch", Error{ErrorCode::kInternal, "refused"});
  Ticks(*controller, 1);
  Ticks(*controller, 10);
  ASSERT_EQ(pool_.live(), 3);
  const std::vector<std::string> later = pool_.launch_keys();
  ASSERT_EQ(later.size(), 5u);
  EXPECT_NE(later[4], later[3]);
  for (const std::string& key : later) EXPECT_TRUE(pool::ValidateIdempotencyKey(key)) << key;
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, BalancerOutageIsRetried) {
  balancer_.SetDown(true);
  auto controller = Make(1);
  Ticks(*controller, 2);
  ASSERT_EQ(CountInState(pool_, WorkerState::kInService), 1);
  Ticks(*controller, 3);
  balancer_.SetDown(false);
  Ticks(*controller, 1);
  EXPECT_EQ(ServersUp(), 1);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, AfterABalancerRestartEveryWorkerIsAddedAgain) {
  auto controller = Make(2);
  Ticks(*controller, 2);
  ASSERT_EQ(ServersUp(), 2);
  // A restarted HAProxy knows no servers; a drain in progress went with it.
  const std::string newest = pool_.List().back().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 1));
  ASSERT_TRUE(controller->Shrink());
  Ticks(*controller, 1);
  ASSERT_EQ(controller->View().draining, 1);
  for (const pool::WorkerInfo& w : pool_.List()) (void)balancer_.RemoveServer(w.id);
  controller->BalancerRestarted();
  Ticks(*controller, 2);
  EXPECT_EQ(ServersUp(), 1);
  EXPECT_EQ(pool_.live(), 1);
  EXPECT_FALSE(balancer_.Find(newest).has_value());
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, AdoptedWorkersBeyondTheStartSizeAreDrained) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool_.Launch("adopted-" + std::to_string(i)));
  ASSERT_TRUE(pool_.Refresh());
  ASSERT_EQ(CountInState(pool_, WorkerState::kInService), 3);

  auto controller = Make(1);
  Ticks(*controller, 3);
  EXPECT_EQ(pool_.live(), 1);
  EXPECT_EQ(ServersUp(), 1);
  // The oldest stays; no new worker was needed.
  EXPECT_EQ(pool_.calls("Launch"), 3);
  EXPECT_EQ(CountInState(pool_, WorkerState::kInService), 1);
  EXPECT_EQ(pool_.List().front().state, WorkerState::kInService);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, CollectsMetricsWithEachWorkersPhase) {
  auto controller = Make(2);
  Ticks(*controller, 1);
  ASSERT_TRUE(controller->CollectMetricsOnce());
  Ticks(*controller, 1);
  ASSERT_EQ(ServersUp(), 2);
  ASSERT_TRUE(controller->CollectMetricsOnce());
  std::vector<metrics::FakeMetricsSource::CollectCall> calls = metrics_.collect_calls();
  ASSERT_EQ(calls.size(), 2u);
  ASSERT_EQ(calls[0].workers.size(), 2u);
  EXPECT_EQ(calls[0].workers[0].phase, metrics::WorkerPhase::kStarting);
  const auto& last = calls.back().workers;
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].phase, metrics::WorkerPhase::kInService);
  EXPECT_EQ(last[1].phase, metrics::WorkerPhase::kInService);
  EXPECT_NE(last[0].port, 0);
  EXPECT_EQ(calls.back().now, clock_.Now());
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, RefreshesThePoolOnlyAtItsOwnPace) {
  pool::fake::FakeWorkerPool pool({.clock = &clock_, .refresh_interval = 5s});
  auto controller = MakeOn(pool, 1);
  Ticks(*controller, 10);  // 0 .. 4.5 s
  EXPECT_EQ(pool.calls("Refresh"), 1);
  EXPECT_EQ(pool.live(), 1);
  EXPECT_EQ(CountInState(pool, WorkerState::kStarting), 1);  // not refreshed since launch
  Ticks(*controller, 1);                                     // 5 s: at the interval
  EXPECT_EQ(pool.calls("Refresh"), 2);
  EXPECT_EQ(CountInState(pool, WorkerState::kInService), 1);
  EXPECT_EQ(ServersUp(), 1);
  // A tick soon after (a size change wakes the loop early) brings no extra Refresh.
  ASSERT_TRUE(controller->Grow());
  Ticks(*controller, 1);
  EXPECT_EQ(pool.calls("Refresh"), 2);
  EXPECT_EQ(pool.live(), 2);
  ASSERT_TRUE(controller->Shutdown());
}

TEST_F(PoolControllerTest, ReadsTheBalancerOnlyAtItsOwnPace) {
  lb::FakeLoadBalancer balancer({.list_interval = 2s});
  PoolController controller(pool_, balancer, metrics_, clock_, TestOptions());
  controller.SetInitialSize(1);
  Ticks(controller, 4);  // 0 .. 1.5 s
  EXPECT_EQ(balancer.list_calls(), 1);
  // The view shows what the balancer said at its last read: nothing yet at 0 s.
  EXPECT_FALSE(controller.View().workers.front().balancer.has_value());
  Ticks(controller, 1);  // 2 s
  EXPECT_EQ(balancer.list_calls(), 2);
  ASSERT_TRUE(controller.View().workers.front().balancer.has_value());
  EXPECT_EQ(controller.View().workers.front().balancer->state, lb::ServerState::kUp);
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, ShutdownDrainsStopsEverythingAndRefusesChanges) {
  auto controller = Make(3);
  Ticks(*controller, 2);
  ASSERT_EQ(ServersUp(), 3);
  ASSERT_TRUE(controller->Shutdown());
  EXPECT_EQ(pool_.live(), 0);
  EXPECT_EQ(Servers(), 0u);
  EXPECT_EQ(controller->Grow().error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(controller->Shutdown());  // idempotent
  EXPECT_EQ(controller->View().in_service, 0);
}

TEST_F(PoolControllerTest, ShutdownWaitsForRequestsInFlightOnTheClock) {
  auto controller = Make(1);
  Ticks(*controller, 2);
  const std::string id = pool_.List().front().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(id, 1));
  std::thread stopper([&] { ASSERT_TRUE(controller->Shutdown()); });
  // The shutdown waits on the simulated clock: nothing is stopped until it moves.
  for (int i = 0; i < 10'000 && clock_.waiters() == 0; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(clock_.waiters(), 1);
  EXPECT_EQ(pool_.live(), 1);
  EXPECT_EQ(balancer_.Find(id)->state, lb::ServerState::kDraining);
  ASSERT_TRUE(balancer_.SetActiveConnections(id, 0));
  clock_.Advance(100ms);
  stopper.join();
  EXPECT_EQ(pool_.live(), 0);
  EXPECT_EQ(Servers(), 0u);
}

// A balancer that cannot count requests in flight (-1: an ALB) is given the whole drain
// timeout (its deregistration delay) before the workers are stopped: at one tick under
// it nothing is stopped, at it everything is.
TEST_F(PoolControllerTest, ShutdownWaitsTheWholeDrainTimeoutWhenTheBalancerCannotCount) {
  auto controller = Make(1);
  Ticks(*controller, 2);
  const std::string id = pool_.List().front().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(id, -1));
  std::thread stopper([&] { ASSERT_TRUE(controller->Shutdown()); });
  auto parked = [&] {
    for (int i = 0; i < 10'000 && clock_.waiters() == 0; ++i) std::this_thread::sleep_for(1ms);
    return clock_.waiters() == 1;
  };
  ASSERT_TRUE(parked());
  EXPECT_EQ(balancer_.Find(id)->state, lb::ServerState::kDraining);
  for (int i = 0; i < 29; ++i) {  // 2.9 s of the 3 s drain timeout
    clock_.Advance(100ms);
    ASSERT_TRUE(parked());
  }
  EXPECT_EQ(pool_.live(), 1);
  clock_.Advance(100ms);
  stopper.join();
  EXPECT_EQ(pool_.live(), 0);
  EXPECT_EQ(Servers(), 0u);
}

TEST_F(PoolControllerTest, ShutdownWithoutStartStopsAdoptedWorkers) {
  ASSERT_TRUE(pool_.Launch("adopted"));
  { PoolController controller(pool_, balancer_, metrics_, clock_, TestOptions()); }
  EXPECT_EQ(pool_.live(), 0);
}

// Start()'s threads wait on the clock: a simulated one runs them only when moved, or
// when a change or Shutdown wakes them.
TEST_F(PoolControllerTest, StartedLoopsWaitOnTheClockAndWakeForChanges) {
  PoolController controller(pool_, balancer_, metrics_, clock_, TestOptions());
  auto parked = [&] {  // both loops wait on the clock again; at most 10 s
    for (int i = 0; i < 10'000 && clock_.waiters() < 2; ++i) std::this_thread::sleep_for(1ms);
    return clock_.waiters() == 2;
  };
  controller.Start(1);  // the first tick runs at once
  ASSERT_TRUE(parked());
  for (int i = 0; i < 10'000 && pool_.live() < 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pool_.live(), 1);
  EXPECT_EQ(Servers(), 0u);  // starting; the next tick waits for the clock
  clock_.Advance(500ms);
  for (int i = 0; i < 10'000 && ServersUp() < 1; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(ServersUp(), 1);
  // A change wakes the loop without the clock moving.
  ASSERT_TRUE(parked());
  const Clock::TimePoint before = clock_.Now();
  ASSERT_TRUE(controller.Grow());
  for (int i = 0; i < 10'000 && pool_.live() < 2; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(pool_.live(), 2);
  EXPECT_EQ(clock_.Now(), before);
  EXPECT_TRUE(metrics_.collect_calls().empty());  // collect_every has not passed
  ASSERT_TRUE(controller.Shutdown());             // wakes both loops; no clock movement needed
  EXPECT_EQ(pool_.live(), 0);
}

}  // namespace
}  // namespace maskfleet::manager
