#include "maskfleet/sim/controller.h"

#include <gtest/gtest.h>

#include <string>

namespace maskfleet::sim {
namespace {

using scaler::Action;
using scaler::WorkerState;
using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

const TimePoint kT0 = TimePoint(seconds(1'700'000'040));
TimePoint Minute(int m) { return kT0 + minutes(m); }

// A pool of `in_service` workers (w1..) each at `percent` over minutes [0, 30), plus
// `starting` workers launched at minute 9, checked at minute 10.
struct Input {
  scaler::PoolState pool;
  scaler::MetricsView metrics;
};
Input Pool(int in_service, double percent, int starting = 0) {
  Input in;
  for (int i = 1; i <= in_service; ++i) {
    const std::string id = "w" + std::to_string(i);
    in.pool.workers.push_back({id, WorkerState::kInService, Minute(-62), Minute(-60)});
    scaler::WorkerCpu cpu{id, {}};
    for (int m = 0; m < 30; ++m) cpu.samples.push_back({Minute(m), percent});
    in.metrics.workers.push_back(cpu);
  }
  for (int i = 1; i <= starting; ++i) {
    in.pool.workers.push_back({"s" + std::to_string(i), WorkerState::kStarting, Minute(9), Minute(9)});
  }
  return in;
}

TEST(MakeControllerTest, KnownNamesAndAClearErrorOtherwise) {
  for (const std::string& name : ControllerNames()) {
    auto c = MakeController(name, {});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ((*c)->name(), name);
  }
  auto bad = MakeController("pid", {});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message, "unknown controller 'pid': choose ours, naive, hpa or hpa-high");
}

TEST(WindowAverageTest, MeanOfWorkerMeansOverTheWindowOfDecide) {
  Input in = Pool(2, 40);
  // w1's last two minutes at 80: its mean over minutes 8 and 9 is 80; w2's is 40.
  in.metrics.workers[0].samples[8].percent = 80;
  in.metrics.workers[0].samples[9].percent = 80;
  int without = -1;
  int with = -1;
  EXPECT_DOUBLE_EQ(*WindowAverage({}, in.pool, in.metrics, Minute(10) + seconds(5), &without, &with), 60);
  EXPECT_EQ(without, 0);
  EXPECT_EQ(with, 2);
  in.metrics.workers.pop_back();
  EXPECT_DOUBLE_EQ(*WindowAverage({}, in.pool, in.metrics, Minute(10), &without), 80);
  EXPECT_EQ(without, 1);
}

TEST(OurControllerTest, IsDecideAndRemember) {
  const Input in = Pool(2, 90);
  auto ours = MakeOurController({});
  const scaler::Decision d = ours->Check(in.pool, in.metrics, Minute(10));
  const scaler::Decision expected = scaler::Decide({}, in.pool, in.metrics, {}, Minute(10));
  EXPECT_EQ(d.action, expected.action);
  EXPECT_EQ(d.target_size, 4);
  EXPECT_EQ(d.reason, expected.reason);
  // It remembered the resize: a check before a whole period has been measured since
  // cools down even with the same samples.
  const scaler::Decision next = ours->Check(in.pool, in.metrics, Minute(10) + std::chrono::seconds(30));
  EXPECT_EQ(next.action, Action::kHold);
  EXPECT_NE(next.reason.find("waiting for new workers' metrics"), std::string::npos) << next.reason;
}

TEST(NaiveControllerTest, GrowsAgainWhileWorkersBoot) {
  // The specification's unreliable algorithm: 2 in service at 90% and 2 starting.
  const Input in = Pool(2, 90, 2);
  auto naive = MakeNaiveController({});
  const scaler::Decision d = naive->Check(in.pool, in.metrics, Minute(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.current_size, 4);
  EXPECT_EQ(d.target_size, 8);
}

TEST(NaiveControllerTest, ShrinksWithoutStabilisationOrProjection) {
  auto naive = MakeNaiveController({});
  const scaler::Decision d = naive->Check(Pool(5, 20).pool, Pool(5, 20).metrics, Minute(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 3);  // ceil(5 x 0.5)
  scaler::ScalingPolicy aggressive;
  aggressive.shrink_threshold = 50;
  aggressive.shrink_ratio = 0.25;
  // 4 x 45% on 1 worker would be 180%: ours would not shrink that far, naive does.
  const Input busy = Pool(4, 45);
  EXPECT_EQ(MakeNaiveController(aggressive)->Check(busy.pool, busy.metrics, Minute(10)).target_size, 1);
  EXPECT_EQ(scaler::Decide(
                [&] {
                  auto p = aggressive;
                  p.shrink_stabilisation = seconds(0);
                  return p;
                }(),
                busy.pool, busy.metrics, {}, Minute(10))
                .target_size,
            3);
}

TEST(NaiveControllerTest, HoldsWithinThresholdsAndAtTheBounds) {
  auto naive = MakeNaiveController({});
  EXPECT_EQ(naive->Check(Pool(2, 50).pool, Pool(2, 50).metrics, Minute(10)).action, Action::kHold);
  EXPECT_EQ(naive->Check(Pool(8, 95).pool, Pool(8, 95).metrics, Minute(10)).action, Action::kHold);
  EXPECT_EQ(naive->Check(Pool(1, 5).pool, Pool(1, 5).metrics, Minute(10)).action, Action::kHold);
  EXPECT_EQ(naive->Check(Pool(0, 0).pool, Pool(0, 0).metrics, Minute(10)).action, Action::kHold);
}

TEST(HpaControllerTest, TargetIsTheMidpointOfTheThresholds) { EXPECT_EQ(HpaTarget({}), 50); }

TEST(HpaControllerTest, ProportionalScaleUpAtOnce) {
  auto hpa = MakeHpaController({});
  // 4 x 75% against 50%: ceil(4 x 1.5) = 6.
  const scaler::Decision d = hpa->Check(Pool(4, 75).pool, Pool(4, 75).metrics, Minute(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 6);
  // Clamped to the maximum.
  EXPECT_EQ(MakeHpaController({})->Check(Pool(4, 100).pool, Pool(4, 100).metrics, Minute(10)).target_size, 8);
}

TEST(HpaControllerTest, HighTargetIsTheGrowThreshold) {
  // 4 x 75% against 70%: within the tolerance (1.07); 4 x 80%: ceil(4 x 1.14) = 5.
  EXPECT_EQ(MakeHpaHighController({})->Check(Pool(4, 75).pool, Pool(4, 75).metrics, Minute(10)).action,
            Action::kHold);
  const scaler::Decision d = MakeHpaHighController({})->Check(Pool(4, 80).pool, Pool(4, 80).metrics,
                                                              Minute(10));
  EXPECT_EQ(d.target_size, 5);
  EXPECT_TRUE(d.reason.find("vs target 70.0%") != std::string::npos) << d.reason;
}

TEST(HpaControllerTest, ToleranceOfTenPercent) {
  EXPECT_EQ(MakeHpaController({})->Check(Pool(3, 54).pool, Pool(3, 54).metrics, Minute(10)).action,
            Action::kHold);
  EXPECT_EQ(MakeHpaController({})->Check(Pool(3, 46).pool, Pool(3, 46).metrics, Minute(10)).action,
            Action::kHold);
  EXPECT_EQ(MakeHpaController({})->Check(Pool(3, 56).pool, Pool(3, 56).metrics, Minute(10)).target_size, 4);
}

TEST(HpaControllerTest, StartingWorkersCountAsIdleWhenScalingUp) {
  // 2 ready at 80%, 2 starting: 160 / 4 = 40% < 50%: the direction reverses, hold.
  auto hpa = MakeHpaController({});
  const Input in = Pool(2, 80, 2);
  EXPECT_EQ(hpa->Check(in.pool, in.metrics, Minute(10)).action, Action::kHold);
  // 2 ready at 100%, 1 starting: 200 / 3 = 66.7% -> ceil(3 x 1.333) = 4.
  const Input busier = Pool(2, 100, 1);
  const scaler::Decision d = MakeHpaController({})->Check(busier.pool, busier.metrics, Minute(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 4);
}

TEST(HpaControllerTest, ScaleDownTakesTheHighestRecommendationOfFiveMinutes) {
  auto hpa = MakeHpaController({});
  // Minute 10: 4 x 50% recommends 4. Minute 11 on: 4 x 20% recommends ceil(4 x 0.4) = 2,
  // held while the 4 is in the window (5 minutes), then taken.
  const Input busy = Pool(4, 50);
  const Input idle = Pool(4, 20);
  EXPECT_EQ(hpa->Check(busy.pool, busy.metrics, Minute(10)).action, Action::kHold);
  for (int m = 11; m <= 15; ++m) {
    EXPECT_EQ(hpa->Check(idle.pool, idle.metrics, Minute(m)).action, Action::kHold) << m;
  }
  const scaler::Decision d = hpa->Check(idle.pool, idle.metrics, Minute(16));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 2);
}

TEST(HpaControllerTest, NoMetricsNoAction) {
  Input in = Pool(2, 90);
  in.metrics.workers.clear();
  EXPECT_EQ(MakeHpaController({})->Check(in.pool, in.metrics, Minute(10)).action, Action::kHold);
}

}  // namespace
}  // namespace maskfleet::sim
