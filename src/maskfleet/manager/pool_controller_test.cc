#include "maskfleet/manager/pool_controller.h"

#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "maskfleet/lb/fake/fake_load_balancer.h"
#include "maskfleet/metrics/fake/fake_metrics_source.h"
#include "maskfleet/pool/fake/fake_worker_pool.h"

namespace maskfleet::manager {
namespace {

using pool::WorkerState;

// Polls `condition` until it holds or 5 s pass.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

ControllerOptions FastOptions() {
  ControllerOptions o;
  o.tick = std::chrono::milliseconds(5);
  o.collect_every = std::chrono::milliseconds(20);
  o.drain_timeout = std::chrono::seconds(3);
  o.launch_retry = std::chrono::milliseconds(50);
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

  pool::fake::FakeWorkerPool pool_;
  lb::FakeLoadBalancer balancer_;
  metrics::FakeMetricsSource metrics_;
};

TEST_F(PoolControllerTest, StartsOneWorkerAndAddsItToTheBalancerOnceInService) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(1);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 1; }));
  const PoolView view = controller.View();
  EXPECT_EQ(view.desired_size, 1);
  EXPECT_TRUE(Eventually([&] { return controller.View().in_service == 1; }));
  EXPECT_EQ(pool_.live(), 1);
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, StartingWorkerStaysOutOfTheBalancerUntilHealthy) {
  pool::fake::FakeWorkerPool pool({.healthy_on_refresh = false});
  PoolController controller(pool, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(1);
  ASSERT_TRUE(Eventually([&] { return pool.live() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Servers(), 0u);
  EXPECT_EQ(controller.View().starting, 1);
  ASSERT_TRUE(pool.MarkHealthy(pool.List().front().id));
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 1; }));
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, GrowsAndShrinksWithinBounds) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(1);
  ASSERT_EQ(controller.Grow().value_or(-1), 2);
  ASSERT_EQ(controller.SetDesiredSize(3).value_or(-1), 3);
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 3; }));
  EXPECT_EQ(controller.Shrink().value_or(-1), 2);
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 2 && pool_.live() == 2; }));

  EXPECT_EQ(controller.SetDesiredSize(0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(controller.SetDesiredSize(9).error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE(controller.SetDesiredSize(8));
  EXPECT_EQ(controller.Grow().error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(controller.SetDesiredSize(1));
  EXPECT_EQ(controller.Shrink().error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, ShrinkWaitsForRequestsInFlightBeforeStoppingTheWorker) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(2);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 2; }));
  const std::string newest = pool_.List().back().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 2));

  ASSERT_TRUE(controller.Shrink());
  ASSERT_TRUE(Eventually([&] {
    std::optional<lb::ServerStatus> s = balancer_.Find(newest);
    return s && s->state == lb::ServerState::kDraining;
  }));
  // Requests in flight: the worker keeps running and stays in the balancer, drained.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(pool_.calls("Drain"), 0);
  EXPECT_TRUE(balancer_.Find(newest).has_value());
  EXPECT_EQ(controller.View().draining, 1);

  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 0));
  EXPECT_TRUE(Eventually([&] { return !balancer_.Find(newest) && pool_.calls("Drain") == 1; }));
  EXPECT_TRUE(Eventually([&] { return pool_.live() == 1; }));
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, DrainTimeoutStopsAWorkerThatNeverGoesIdle) {
  ControllerOptions options = FastOptions();
  options.drain_timeout = std::chrono::milliseconds(100);
  PoolController controller(pool_, balancer_, metrics_, RealClock(), options);
  controller.Start(2);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 2; }));
  const std::string newest = pool_.List().back().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 1));
  ASSERT_TRUE(controller.Shrink());
  EXPECT_TRUE(Eventually([&] { return pool_.calls("Drain") == 1 && !balancer_.Find(newest); }));
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, FailedWorkerLeavesTheBalancerAndIsReplaced) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(2);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 2; }));
  const std::string victim = pool_.List().front().id;
  ASSERT_TRUE(pool_.Kill(victim));
  EXPECT_TRUE(Eventually([&] { return !balancer_.Find(victim).has_value(); }));
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 2 && pool_.live() == 2; }));
  EXPECT_EQ(pool_.calls("Launch"), 3);
  bool failed_listed = false;
  for (const WorkerView& w : controller.View().workers) {
    failed_listed = failed_listed || (w.info.id == victim && w.info.state == WorkerState::kFailed);
  }
  EXPECT_TRUE(failed_listed);
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, LaunchFailureIsRetriedLater) {
  pool_.FailNext("Launch", Error{ErrorCode::kUnavailable, "fork failed"});
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(1);
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 1; }));
  EXPECT_EQ(pool_.calls("Launch"), 2);
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, BalancerOutageIsRetried) {
  balancer_.SetDown(true);
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(1);
  ASSERT_TRUE(Eventually([&] { return CountInState(pool_, WorkerState::kInService) == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  balancer_.SetDown(false);
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 1; }));
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, AfterABalancerRestartEveryWorkerIsAddedAgain) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(2);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 2; }));
  // A restarted HAProxy knows no servers; a drain in progress went with it.
  const std::string newest = pool_.List().back().id;
  ASSERT_TRUE(balancer_.SetActiveConnections(newest, 1));
  ASSERT_TRUE(controller.Shrink());
  ASSERT_TRUE(Eventually([&] { return controller.View().draining == 1; }));
  for (const pool::WorkerInfo& w : pool_.List()) (void)balancer_.RemoveServer(w.id);
  controller.BalancerRestarted();
  EXPECT_TRUE(Eventually([&] { return ServersUp() == 1 && pool_.live() == 1; }));
  EXPECT_FALSE(balancer_.Find(newest).has_value());
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, AdoptedWorkersBeyondTheStartSizeAreDrained) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(pool_.Launch());
  ASSERT_TRUE(pool_.Refresh());
  ASSERT_EQ(CountInState(pool_, WorkerState::kInService), 3);

  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(1);
  EXPECT_TRUE(Eventually([&] { return pool_.live() == 1 && ServersUp() == 1; }));
  // The oldest stays; no new worker was needed.
  EXPECT_EQ(pool_.calls("Launch"), 3);
  EXPECT_EQ(CountInState(pool_, WorkerState::kInService), 1);
  EXPECT_EQ(pool_.List().front().state, WorkerState::kInService);
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, CollectsMetricsWithEachWorkersPhase) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(2);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 2; }));
  ASSERT_TRUE(Eventually([&] {
    std::vector<metrics::FakeMetricsSource::CollectCall> calls = metrics_.collect_calls();
    if (calls.empty()) return false;
    const auto& last = calls.back().workers;
    return last.size() == 2 && last[0].phase == metrics::WorkerPhase::kInService &&
           last[1].phase == metrics::WorkerPhase::kInService && last[0].port != 0;
  }));
  ASSERT_TRUE(controller.Shutdown());
}

TEST_F(PoolControllerTest, ShutdownDrainsStopsEverythingAndRefusesChanges) {
  PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  controller.Start(3);
  ASSERT_TRUE(Eventually([&] { return ServersUp() == 3; }));
  ASSERT_TRUE(controller.Shutdown());
  EXPECT_EQ(pool_.live(), 0);
  EXPECT_EQ(Servers(), 0u);
  EXPECT_EQ(controller.Grow().error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(controller.Shutdown());  // idempotent
  EXPECT_EQ(controller.View().in_service, 0);
}

TEST_F(PoolControllerTest, ShutdownWithoutStartStopsAdoptedWorkers) {
  ASSERT_TRUE(pool_.Launch());
  {
    PoolController controller(pool_, balancer_, metrics_, RealClock(), FastOptions());
  }
  EXPECT_EQ(pool_.live(), 0);
}

}  // namespace
}  // namespace maskfleet::manager
