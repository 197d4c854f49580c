#include "maskfleet/sim/metrics.h"

#include <gtest/gtest.h>

namespace maskfleet::sim {
namespace {

using std::chrono::seconds;

// A hand-made trace: `demand` requests/s throughout, the supply given run by run as
// {seconds, in service}.
Trace Made(double demand, std::initializer_list<std::pair<int, int>> supply) {
  Trace t;
  for (auto [length, workers] : supply) {
    for (int i = 0; i < length; ++i) {
      t.demand.push_back(demand);
      t.in_service.push_back(workers);
      t.starting.push_back(0);
    }
  }
  return t;
}

// Capacity 10 req/s, 70%: one worker is "needed" per 7 req/s.
EvaluationOptions Options(std::vector<LoadSegment> segments = {}) {
  return {.worker_capacity = 10,
          .target_utilisation = 70,
          .settling = seconds(20),
          .segments = std::move(segments)};
}

CheckRecord Resize(int at, int from, int to, int starting = 0) {
  CheckRecord c;
  c.at = seconds(at);
  c.starting = starting;
  c.decision.action = to > from ? scaler::Action::kGrow : scaler::Action::kShrink;
  c.decision.current_size = from;
  c.decision.target_size = to;
  return c;
}

TEST(WorkersNeededTest, FewestWorkersAtTheTargetUtilisation) {
  EXPECT_EQ(WorkersNeeded(14, 10, 70), 2);  // exactly 2 x 7
  EXPECT_EQ(WorkersNeeded(14.1, 10, 70), 3);
  EXPECT_EQ(WorkersNeeded(0, 10, 70), 1);  // the service keeps one worker
  EXPECT_EQ(WorkersNeeded(25, 10, 50), 5);
}

TEST(EvaluateTest, ExactSupplyIsPerfect) {
  const ElasticityFigures f = Evaluate(Made(14, {{100, 2}}), Options());
  EXPECT_EQ(f.under_accuracy, 0);
  EXPECT_EQ(f.under_timeshare, 0);
  EXPECT_EQ(f.over_accuracy, 0);
  EXPECT_EQ(f.over_timeshare, 0);
  EXPECT_EQ(f.resizes, 0);
  EXPECT_DOUBLE_EQ(f.worker_minutes, 200.0 / 60);
}

TEST(EvaluateTest, AccuracyAndTimeshareAfterTheSpecDefinitions) {
  // Demand 2 workers. 25 s with 1 (short by half), 50 s with 2, 25 s with 3 (half too
  // many): theta_U = 100/100 x 25 x 1/2 = 12.5%, tau_U = 25%, the same over.
  const ElasticityFigures f = Evaluate(Made(14, {{25, 1}, {50, 2}, {25, 3}}), Options());
  EXPECT_DOUBLE_EQ(f.under_accuracy, 12.5);
  EXPECT_DOUBLE_EQ(f.under_timeshare, 25);
  EXPECT_DOUBLE_EQ(f.over_accuracy, 12.5);
  EXPECT_DOUBLE_EQ(f.over_timeshare, 25);
}

TEST(EvaluateTest, AccuracyIsRelativeToDemand) {
  // Demand 4 workers (28 req/s), none in service for 10 of 40 s: theta_U = 100/40 x 10 x 4/4 = 25%;
  // 8 in service for 10 s: theta_O = 100/40 x 10 x 4/4 = 25%.
  const ElasticityFigures f = Evaluate(Made(28, {{10, 0}, {20, 4}, {10, 8}}), Options());
  EXPECT_DOUBLE_EQ(f.under_accuracy, 25);
  EXPECT_DOUBLE_EQ(f.under_timeshare, 25);
  EXPECT_DOUBLE_EQ(f.over_accuracy, 25);
  EXPECT_DOUBLE_EQ(f.over_timeshare, 25);
}

TEST(EvaluateTest, UnservedShareAndWorkerMinutes) {
  Trace t = Made(10, {{60, 1}});
  t.starting.assign(60, 1);
  t.requests = 600;
  t.unserved_requests = 150;
  const ElasticityFigures f = Evaluate(t, Options());
  EXPECT_DOUBLE_EQ(f.unserved_percent, 25);
  EXPECT_DOUBLE_EQ(f.worker_minutes, 2);  // one serving and one starting, for a minute
}

TEST(EvaluateTest, ResizesCountedInConstantLoadAndWhileBooting) {
  // One constant segment [0, 100) whose constant-load period starts at 20 s.
  LoadSegment seg{
      .begin = seconds(0), .end = seconds(100), .constant = true, .rate = 14, .steady_from = seconds(20)};
  Trace t = Made(14, {{100, 2}});
  t.checks = {Resize(10, 1, 2), Resize(15, 2, 4, 1), Resize(30, 4, 2), Resize(99, 2, 3)};
  CheckRecord hold;
  hold.at = seconds(40);
  hold.decision.current_size = hold.decision.target_size = 2;
  t.checks.push_back(hold);
  const ElasticityFigures f = Evaluate(t, Options({seg}));
  EXPECT_EQ(f.resizes, 4);
  EXPECT_EQ(f.resizes_while_booting, 1);
  EXPECT_EQ(f.resizes_in_constant_load, 2);  // at 30 s and 99 s
}

TEST(EvaluateTest, SettlingTimeAndOvershootOfAStepUp) {
  // A step up at 10 s from 7 to 28 req/s (1 -> 4 workers needed): the supply goes
  // 1 -> 2 at 20 s -> 6 at 30 s -> 4 at 45 s and stays: settled 35 s after the step,
  // overshoot 2.
  std::vector<LoadSegment> segments = {{.begin = seconds(0),
                                        .end = seconds(10),
                                        .constant = true,
                                        .rate_before = 0,
                                        .rate = 7,
                                        .steady_from = seconds(30)},
                                       {.begin = seconds(10),
                                        .end = seconds(100),
                                        .constant = true,
                                        .rate_before = 7,
                                        .rate = 28,
                                        .steady_from = seconds(60)}};
  Trace t = Made(28, {{20, 1}, {10, 2}, {15, 6}, {55, 4}});
  EvaluationOptions options = Options(segments);
  options.settling = seconds(50);
  const ElasticityFigures f = Evaluate(t, options);
  ASSERT_EQ(f.steps.size(), 1u);
  EXPECT_EQ(f.steps[0].settling_time, seconds(35));
  EXPECT_TRUE(f.steps[0].settled);
  EXPECT_EQ(f.steps[0].overshoot, 2);
  EXPECT_EQ(f.steps[0].final_supply, 4);
  // Allowed only 30 s, it did not settle in time.
  options.settling = seconds(30);
  EXPECT_FALSE(Evaluate(t, options).steps[0].settled);
}

TEST(EvaluateTest, OvershootOfAStepDownIsHowFarBelowTheEnd) {
  std::vector<LoadSegment> segments = {{.begin = seconds(0),
                                        .end = seconds(10),
                                        .constant = true,
                                        .rate_before = 0,
                                        .rate = 28,
                                        .steady_from = seconds(30)},
                                       {.begin = seconds(10),
                                        .end = seconds(100),
                                        .constant = true,
                                        .rate_before = 28,
                                        .rate = 10,
                                        .steady_from = seconds(30)}};
  // 4 -> 1 at 20 s (too far) -> 2 at 40 s.
  const ElasticityFigures f = Evaluate(Made(10, {{20, 4}, {20, 1}, {60, 2}}), Options(segments));
  ASSERT_EQ(f.steps.size(), 1u);
  EXPECT_EQ(f.steps[0].overshoot, 1);
  EXPECT_EQ(f.steps[0].settling_time, seconds(30));
  EXPECT_FALSE(f.steps[0].settled);  // 30 s > the 20 s allowed
}

TEST(EvaluateTest, NoChangeMeansSettledAtOnce) {
  std::vector<LoadSegment> segments = {
      {.begin = seconds(0), .end = seconds(10), .constant = true, .rate = 7, .steady_from = seconds(20)},
      {.begin = seconds(10),
       .end = seconds(100),
       .constant = true,
       .rate_before = 7,
       .rate = 6,
       .steady_from = seconds(30)}};
  const ElasticityFigures f = Evaluate(Made(7, {{100, 1}}), Options(segments));
  ASSERT_EQ(f.steps.size(), 1u);
  EXPECT_EQ(f.steps[0].settling_time, seconds(0));
  EXPECT_TRUE(f.steps[0].settled);
  EXPECT_EQ(f.steps[0].overshoot, 0);
}

TEST(EvaluateTest, ASegmentShorterThanTheAllowanceIsNotJudged) {
  // A 30 s spike with 50 s allowed to settle: nobody can tell.
  std::vector<LoadSegment> segments = {
      {.begin = seconds(0), .end = seconds(10), .constant = true, .rate = 7, .steady_from = seconds(50)},
      {.begin = seconds(10),
       .end = seconds(40),
       .constant = true,
       .rate_before = 7,
       .rate = 28,
       .steady_from = seconds(60)},
      {.begin = seconds(40),
       .end = seconds(100),
       .constant = true,
       .rate_before = 28,
       .rate = 7,
       .steady_from = seconds(90)}};
  const ElasticityFigures f = Evaluate(Made(7, {{100, 1}}), Options(segments));
  ASSERT_EQ(f.steps.size(), 2u);
  EXPECT_FALSE(f.steps[0].judged);
  EXPECT_FALSE(f.steps[0].settled);
  EXPECT_TRUE(f.steps[1].judged);
  EXPECT_TRUE(f.steps[1].settled);
}

TEST(EvaluateTest, RampsHaveNoStepFigures) {
  std::vector<LoadSegment> segments = {
      {.begin = seconds(0), .end = seconds(10), .constant = true, .rate = 7, .steady_from = seconds(20)},
      {.begin = seconds(10),
       .end = seconds(50),
       .constant = false,
       .rate_before = 7,
       .rate = 28,
       .steady_from = seconds(50)},
      {.begin = seconds(50),
       .end = seconds(100),
       .constant = true,
       .rate_before = 28,
       .rate = 28,
       .steady_from = seconds(70)}};
  const ElasticityFigures f = Evaluate(Made(7, {{100, 1}}), Options(segments));
  ASSERT_EQ(f.steps.size(), 1u);
  EXPECT_EQ(f.steps[0].segment.begin, seconds(50));
}

TEST(EvaluateTest, EmptyTrace) {
  const ElasticityFigures f = Evaluate(Trace{}, Options());
  EXPECT_EQ(f.under_accuracy, 0);
  EXPECT_EQ(f.resizes, 0);
}

}  // namespace
}  // namespace maskfleet::sim
