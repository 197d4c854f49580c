#include "maskfleet/manager/auto_scaler.h"

#include <thread>

#include <gtest/gtest.h>

#include "maskfleet/lb/fake/fake_load_balancer.h"
#include "maskfleet/metrics/fake/fake_metrics_source.h"
#include "maskfleet/pool/fake/fake_worker_pool.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::manager {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// A pool on fakes and a simulated clock, with the policy and decision log in SQLite. The
// controller and the auto-scaler are driven a pass at a time (RunOnce), no threads but
// in the test of the loop.
class AutoScalerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<storage::testing::ScratchSqlite> scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(),
                                                                                          clock_);
    ASSERT_TRUE(scratch) << scratch.error().message;
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    policies_ = std::make_unique<manager::PolicyStore>(*db_, clock_);
    decisions_ = std::make_unique<manager::DecisionLog>(*db_);
    pool_ = std::make_unique<pool::fake::FakeWorkerPool>(pool::fake::FakePoolOptions{.clock = &clock_});
    ControllerOptions control;
    control.tick = std::chrono::milliseconds(500);
    control.collect_every = std::chrono::hours(1);
    controller_ = std::make_unique<PoolController>(*pool_, balancer_, metrics_, clock_, control);

    scaler::ScalingPolicy policy;
    policy.shrink_stabilisation = seconds(0);
    ASSERT_TRUE(policies_->Save(policy));
    scaler_ = std::make_unique<AutoScaler>(*controller_, metrics_, *policies_, *decisions_, clock_,
                                           AutoScalerOptions{});
  }
  void TearDown() override {
    scaler_.reset();
    if (controller_) (void)controller_->Shutdown();
  }

  // Starts the pool at `size`: two ticks of the controller make every worker in service.
  void StartPool(int size) {
    controller_->SetInitialSize(size);
    Ticks(2);
    ASSERT_EQ(controller_->View().in_service, size);
  }
  // `n` ticks of the controller (the clock stands still: the tests move it by minutes).
  void Ticks(int n) {
    for (int i = 0; i < n; ++i) controller_->RunOnce();
  }
  // Every in-service worker had `percent` CPU in each of the last `count` minutes.
  void SetCpu(double percent, int count = 3) {
    for (const WorkerView& w : controller_->View().workers) {
      if (w.info.state != pool::WorkerState::kInService) continue;
      for (int i = 1; i <= count; ++i) {
        metrics_.Set(w.info.id, metrics::Metric::kCpuPercent, clock_.Now() - minutes(i), percent);
      }
    }
  }

  // Starts long after the epoch's minute boundary, so that minutes are complete.
  SimulatedClock clock_{Clock::TimePoint(seconds(1'800'000'000))};
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<manager::PolicyStore> policies_;
  std::unique_ptr<manager::DecisionLog> decisions_;
  std::unique_ptr<pool::fake::FakeWorkerPool> pool_;
  lb::FakeLoadBalancer balancer_;
  metrics::FakeMetricsSource metrics_;
  std::unique_ptr<PoolController> controller_;
  std::unique_ptr<AutoScaler> scaler_;
};

TEST_F(AutoScalerTest, HighCpuGrowsThePoolAndTheDecisionIsLogged) {
  StartPool(2);
  clock_.Advance(minutes(5));  // the workers have long been in service
  SetCpu(90);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kGrow);
  EXPECT_EQ(controller_->desired_size(), 4);
  Ticks(1);
  EXPECT_EQ(pool_->live(), 4);

  Result<std::vector<manager::DecisionRecord>> log = decisions_->Recent(10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].action, "grow");
  EXPECT_EQ((*log)[0].size_before, 2);
  EXPECT_EQ((*log)[0].size_after, 4);
  ASSERT_TRUE((*log)[0].average_cpu.has_value());
  EXPECT_NEAR(*(*log)[0].average_cpu, 90.0, 1e-9);
  EXPECT_FALSE((*log)[0].reason.empty());
  // An auto-scaler's change is not a person's.
  EXPECT_FALSE(controller_->last_manual_change().has_value());
}

// CPU stops at 100%; the balancer's count says how far behind the pool is. A policy
// that lets one step go past what the CPU alone calls for: midpoint 42.5%, so 2 workers
// at 100% ask for ceil(2 x 100 / 42.5) = 5; with 3 requests offered for each one served,
// for ceil(2 x 100 x 3 / 42.5) = 15, capped at ceil(2 x 4) = 8.
class AutoScalerRequestsTest : public AutoScalerTest {
 protected:
  void SetUp() override {
    AutoScalerTest::SetUp();
    scaler::ScalingPolicy policy = policies_->Load().value();
    policy.expand_ratio = 4;
    policy.shrink_threshold = 15;
    ASSERT_TRUE(policies_->Save(policy));
    StartPool(2);
    clock_.Advance(minutes(5));
    SetCpu(100);
  }
  // The balancer's counts of the newest complete minute.
  void SetNewestRequests(double offered, double served) {
    metrics_.SetRequests({clock_.Now() - minutes(1), offered, served});
  }
};

TEST_F(AutoScalerRequestsTest, ASaturatedPoolWithRequestsUnservedGrowsPastWhatCpuAloneGives) {
  SetNewestRequests(30, 10);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kGrow) << d->reason;
  EXPECT_EQ(d->target_size, 8) << d->reason;
  EXPECT_NE(d->reason.find("unserved"), std::string::npos) << d->reason;
  EXPECT_EQ(controller_->desired_size(), 8);
  // Read over the range of the CPU, up to where the data is complete, per sample period.
  const auto calls = metrics_.requests_calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].end, clock_.Now());
  EXPECT_EQ(calls[0].period, seconds(60));
  EXPECT_LE(calls[0].begin, clock_.Now() - minutes(2));
}

TEST_F(AutoScalerRequestsTest, EveryRequestServedLeavesTheCpuToDecide) {
  SetNewestRequests(10, 10);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kGrow) << d->reason;
  EXPECT_EQ(d->target_size, 5) << d->reason;
}

TEST_F(AutoScalerRequestsTest, ACountThatCannotBeReadLeavesTheCpuToDecide) {
  SetNewestRequests(30, 10);
  metrics_.FailRequestsNext(Error{ErrorCode::kUnavailable, "CloudWatch is throttling"});
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kGrow) << d->reason;
  EXPECT_EQ(d->target_size, 5) << d->reason;
}

TEST_F(AutoScalerRequestsTest, ACountWithoutCpuNeverActs) {
  for (const WorkerView& w : controller_->View().workers) {
    for (int i = 1; i <= 3; ++i)
      metrics_.Clear(w.info.id, metrics::Metric::kCpuPercent, clock_.Now() - minutes(i));
  }
  SetNewestRequests(30, 10);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kHold) << d->reason;
  EXPECT_EQ(controller_->desired_size(), 2);
}

TEST_F(AutoScalerTest, MissingMetricsHoldAndAreLoggedAsHolds) {
  StartPool(1);
  clock_.Advance(minutes(5));
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kHold);
  EXPECT_EQ(controller_->desired_size(), 1);
  Result<std::vector<manager::DecisionRecord>> log = decisions_->Recent(10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].action, "hold");
  EXPECT_FALSE((*log)[0].average_cpu.has_value());
}

TEST_F(AutoScalerTest, APolicyChangedInTheDatabaseAppliesAtTheNextCheck) {
  StartPool(2);
  clock_.Advance(minutes(5));
  SetCpu(60);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kHold);

  scaler::ScalingPolicy policy = policies_->Load().value();
  policy.grow_threshold = 50;
  policy.shrink_threshold = 20;
  ASSERT_TRUE(policies_->Save(policy));
  clock_.Advance(minutes(1));
  SetCpu(60);
  d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kGrow);

  policy.paused = true;
  ASSERT_TRUE(policies_->Save(policy));
  clock_.Advance(minutes(5));
  SetCpu(95);
  d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kHold);
  EXPECT_NE(d->reason.find("paused"), std::string::npos) << d->reason;
}

TEST_F(AutoScalerTest, AManualChangeRestartsTheCoolDown) {
  StartPool(2);
  clock_.Advance(minutes(5));
  ASSERT_TRUE(controller_->Grow());  // a person: 3
  Ticks(2);
  ASSERT_EQ(controller_->View().in_service, 3);
  SetCpu(95);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kHold) << d->reason;
  EXPECT_EQ(controller_->desired_size(), 3);

  // Once the window holds only samples from after the change, the load decides.
  clock_.Advance(minutes(4));
  SetCpu(95);
  d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kGrow) << d->reason;
}

TEST_F(AutoScalerTest, LowCpuShrinksAfterStabilisation) {
  StartPool(4);
  clock_.Advance(minutes(5));
  SetCpu(10);
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->action, scaler::Action::kShrink) << d->reason;
  EXPECT_EQ(controller_->desired_size(), 2);
  Ticks(3);  // drained in the balancer; out of it and drained in the pool; stopped
  EXPECT_EQ(pool_->live(), 2);
}

TEST_F(AutoScalerTest, TheLoopChecksAtThePolicysInterval) {
  scaler::ScalingPolicy policy = policies_->Load().value();
  policy.check_interval = seconds(2);
  policy.window = seconds(120);
  ASSERT_TRUE(policies_->Save(policy));
  StartPool(1);
  // The first pass marks the time; a check comes one interval after it.
  Result<std::optional<scaler::Decision>> pass = scaler_->RunOnce();
  ASSERT_TRUE(pass) << pass.error().message;
  EXPECT_FALSE(pass->has_value());
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(seconds(2) - std::chrono::milliseconds(1));  // one under the interval
    pass = scaler_->RunOnce();
    ASSERT_TRUE(pass);
    EXPECT_FALSE(pass->has_value());
    clock_.Advance(std::chrono::milliseconds(1));  // at the interval
    pass = scaler_->RunOnce();
    ASSERT_TRUE(pass);
    EXPECT_TRUE(pass->has_value());
    EXPECT_EQ(decisions_->Recent(50).value().size(), static_cast<std::size_t>(i + 1));
  }
}

TEST_F(AutoScalerTest, TheStartedLoopChecksAsTheSimulatedClockMoves) {
  scaler::ScalingPolicy policy = policies_->Load().value();
  policy.check_interval = seconds(1);
  policy.window = seconds(120);
  ASSERT_TRUE(policies_->Save(policy));
  StartPool(1);
  scaler_ = std::make_unique<AutoScaler>(*controller_, metrics_, *policies_, *decisions_, clock_,
                                         AutoScalerOptions{.poll = std::chrono::milliseconds(500)});
  scaler_->Start();
  auto decided = [&](std::size_t n) {  // waits (really) for the loop thread, at most 10 s
    for (int i = 0; i < 10'000 && decisions_->Recent(50).value().size() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return decisions_->Recent(50).value().size();
  };
  for (int i = 0; i < 3; ++i) {
    // The loop is parked in its wait on the clock; moving it one interval makes one check.
    for (int k = 0; k < 10'000 && clock_.waiters() < 1; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(clock_.waiters(), 1);
    clock_.Advance(seconds(1));
    EXPECT_EQ(decided(static_cast<std::size_t>(i + 1)), static_cast<std::size_t>(i + 1));
  }
  scaler_->Stop();  // ends the wait without the clock moving
}

TEST_F(AutoScalerTest, TheWindowEndsWhereALaggingSourcesDataIsComplete) {
  StartPool(2);
  clock_.Advance(minutes(10));
  // Busy minutes, but the last 3 minutes have no data yet.
  for (const WorkerView& w : controller_->View().workers) {
    for (int i = 4; i <= 6; ++i) {
      metrics_.Set(w.info.id, metrics::Metric::kCpuPercent, clock_.Now() - minutes(i), 90);
    }
  }
  // A source that says it is complete up to now: the window (the last 2 minutes) is
  // empty, a hold.
  Result<scaler::Decision> d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kHold) << d->reason;
  EXPECT_NE(d->reason.find("no CPU data"), std::string::npos) << d->reason;
  // The same data from a source 3 minutes behind: judged on its complete minutes.
  metrics_.SetLag(minutes(3));
  d = scaler_->CheckNow();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->action, scaler::Action::kGrow) << d->reason;
  EXPECT_EQ(controller_->desired_size(), 4);
}

}  // namespace
}  // namespace maskfleet::manager
