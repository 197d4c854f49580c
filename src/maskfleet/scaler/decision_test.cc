#include "maskfleet/scaler/decision.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace maskfleet::scaler {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

// Minute 0 of the tests (a multiple of 60 s since the epoch). Checks run 5 s into a
// minute, as a loop started at an arbitrary time would.
const TimePoint kT0 = TimePoint(seconds(1'700'000'040));
TimePoint Minute(int m) { return kT0 + minutes(m); }
TimePoint Check(int m) { return Minute(m) + seconds(5); }

WorkerStatus InService(std::string id, TimePoint since = Minute(-60)) {
  return {std::move(id), WorkerState::kInService, since - seconds(90), since};
}
WorkerStatus Starting(std::string id, TimePoint launched) {
  return {std::move(id), WorkerState::kStarting, launched, launched};
}

// `percent` for every minute in [from, to).
WorkerCpu Flat(std::string id, int from, int to, double percent) {
  WorkerCpu w{std::move(id), {}};
  for (int m = from; m < to; ++m) w.samples.push_back({Minute(m), percent});
  return w;
}

// N in-service workers (w1..wN) each at `percent` for the last 10 minutes before minute 10.
struct Steady {
  PoolState pool;
  MetricsView metrics;
};
Steady SteadyPool(int n, double percent) {
  Steady s;
  for (int i = 1; i <= n; ++i) {
    const std::string id = "w" + std::to_string(i);
    s.pool.workers.push_back(InService(id));
    s.metrics.workers.push_back(Flat(id, 0, 10, percent));
  }
  return s;
}

ScalingPolicy NoStabilisation() {
  ScalingPolicy p;
  p.shrink_stabilisation = seconds(0);
  return p;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- where the data is complete ------------------------------------------------------

TEST(ScalerDecisionTest, ALaggingSourceIsJudgedOnItsCompleteMinutesNotHeldForEver) {
  // Every worker at 90% up to minute 8; the source has nothing after that yet (a cloud
  // publishes minutes late).
  PoolState pool{{InService("a"), InService("b")}};
  MetricsView metrics;
  metrics.workers = {Flat("a", 0, 8, 90), Flat("b", 0, 8, 90)};
  // Judged at "now", the window (minutes 8 and 9) is empty: a hold.
  Decision at_now = Decide(NoStabilisation(), pool, metrics, {}, Check(10));
  EXPECT_EQ(at_now.action, Action::kHold);
  EXPECT_TRUE(Contains(at_now.reason, "no CPU data for worker a")) << at_now.reason;
  // Complete until exactly minute 8: the window is minutes 6 and 7.
  metrics.complete_until = Minute(8);
  Decision lagging = Decide(NoStabilisation(), pool, metrics, {}, Check(10));
  EXPECT_EQ(lagging.action, Action::kGrow) << lagging.reason;
  ASSERT_TRUE(lagging.average_cpu);
  EXPECT_DOUBLE_EQ(*lagging.average_cpu, 90);
  // One second less: minute 7 is not complete, the window is minutes 5 and 6.
  metrics.workers = {Flat("a", 0, 7, 90), Flat("b", 0, 7, 90)};
  metrics.workers[0].samples.push_back({Minute(7), 10});  // would count if minute 7 did
  metrics.workers[1].samples.push_back({Minute(7), 10});
  metrics.complete_until = Minute(8) - seconds(1);
  Decision one_under = Decide(NoStabilisation(), pool, metrics, {}, Check(10));
  ASSERT_TRUE(one_under.average_cpu);
  EXPECT_DOUBLE_EQ(*one_under.average_cpu, 90);
  // A completeness later than the check changes nothing: the window ends at the check.
  metrics.complete_until = Check(10) + minutes(5);
  Decision ahead = Decide(NoStabilisation(), pool, metrics, {}, Check(10));
  EXPECT_EQ(ahead.reason, at_now.reason);
}

TEST(ScalerDecisionTest, StalenessCountsFromWhereTheDataIsComplete) {
  // A window longer than the staleness limit (max(2 checks, 2 periods) = 2 min), so
  // that a sample can be in the window and stale.
  ScalingPolicy policy = NoStabilisation();
  policy.window = minutes(10);
  PoolState pool{{InService("a")}};
  MetricsView metrics;
  metrics.workers = {Flat("a", 0, 6, 50)};  // the newest sample ends at minute 6
  // Complete until minute 8: it ended exactly 2 minutes before, not stale.
  metrics.complete_until = Minute(8);
  Decision at_limit = Decide(policy, pool, metrics, {}, Check(20));
  EXPECT_EQ(at_limit.action, Action::kHold);
  ASSERT_TRUE(at_limit.average_cpu) << at_limit.reason;
  EXPECT_DOUBLE_EQ(*at_limit.average_cpu, 50);
  // One second later it is stale, counted from the data's end, not from the check.
  metrics.complete_until = Minute(8) + seconds(1);
  Decision stale = Decide(policy, pool, metrics, {}, Check(20));
  EXPECT_EQ(stale.action, Action::kHold);
  EXPECT_FALSE(stale.average_cpu);
  EXPECT_EQ(stale.reason,
            "CPU data for worker a is stale: its newest sample ended 121 s before the metrics' "
            "complete end");
}

// ---- the average and the thresholds ------------------------------------------------

TEST(ScalerDecisionTest, HoldsWithinThresholdsAndReportsTheAverage) {
  auto s = SteadyPool(3, 50);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.current_size, 3);
  EXPECT_EQ(d.target_size, 3);
  ASSERT_TRUE(d.average_cpu);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 50);
  EXPECT_EQ(d.recommended_size, 3);
  EXPECT_EQ(d.reason, "average CPU 50.0% over 2 min is within the thresholds (30% to 70%)");
}

TEST(ScalerDecisionTest, AveragesEachWorkersMeanOverTheWindowOnly) {
  // Window at a check in minute 10: minutes 8 and 9.
  PoolState pool{{InService("a"), InService("b")}};
  MetricsView metrics;
  metrics.workers.push_back(
      {"a",
       {{Minute(7), 0}, {Minute(8), 80}, {Minute(9), 100}, {Minute(10), 0}}});  // 7 too old, 10 still running
  metrics.workers.push_back({"b", {{Minute(9), 60}}});                          // minute 8 not measured
  Decision d = Decide(ScalingPolicy{}, pool, metrics, {}, Check(10));
  // a: (80 + 100) / 2 = 90; b: 60; pool: (90 + 60) / 2 = 75 (each worker weighs the same).
  ASSERT_TRUE(d.average_cpu);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 75);
  EXPECT_EQ(d.action, Action::kGrow);
}

TEST(ScalerDecisionTest, ExactlyAtTheThresholdsHolds) {
  auto high = SteadyPool(2, 70);
  EXPECT_EQ(Decide(ScalingPolicy{}, high.pool, high.metrics, {}, Check(10)).action, Action::kHold);
  auto low = SteadyPool(2, 30);
  EXPECT_EQ(Decide(NoStabilisation(), low.pool, low.metrics, {}, Check(10)).action, Action::kHold);
}

TEST(ScalerDecisionTest, DrainingWorkersAreNeitherCapacityNorAveraged) {
  auto s = SteadyPool(2, 80);
  s.pool.workers.push_back({"old", WorkerState::kLeaving, Minute(-60), Minute(9)});
  s.pool.workers.push_back({"gone", WorkerState::kGone, Minute(-60), Minute(8)});
  s.metrics.workers.push_back(Flat("old", 0, 10, 0));
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.current_size, 2);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 80);
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 4);
}

// ---- growing: ratio, rounding, bounds ----------------------------------------------

TEST(ScalerDecisionTest, GrowsByTheExpandRatioAtOnce) {
  auto s = SteadyPool(2, 85);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 4);
  EXPECT_EQ(d.reason,
            "average CPU 85.0% over 2 min is above the grow threshold 70%, sized to carry it at 50% (the "
            "thresholds' midpoint): grow 2 -> 4");
}

TEST(ScalerDecisionTest, GrowRoundsUpAndMovesByAtLeastOne) {
  ScalingPolicy p;
  struct Case {
    int n;
    double ratio;
    int expected;
  };
  // 1 x 1.2 = 1.2 -> 2; 3 x 1.5 = 4.5 -> 5 (up: toward capacity); 3 x 1.1 = 3.3 -> 4;
  // 4 x 1.25 = 5 exactly -> 5; 5 x 2 = 10 -> clamped to 8; 3 x 3 = 9, but the load
  // (3 x 95 / 50 = 5.7) calls for 6.
  for (Case c : {Case{1, 1.2, 2}, Case{3, 1.5, 5}, Case{3, 1.1, 4}, Case{4, 1.25, 5}, Case{5, 2.0, 8},
                 Case{3, 3.0, 6}}) {
    p.expand_ratio = c.ratio;
    auto s = SteadyPool(c.n, 95);
    Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
    EXPECT_EQ(d.action, Action::kGrow) << c.n << " x " << c.ratio;
    EXPECT_EQ(d.target_size, c.expected) << c.n << " x " << c.ratio;
  }
}

TEST(ScalerDecisionTest, AtTheMaximumHoldsSayingSo) {
  auto s = SteadyPool(8, 99);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.target_size, 8);
  EXPECT_TRUE(Contains(d.reason, "at its maximum of 8")) << d.reason;

  ScalingPolicy p;
  p.max_workers = 3;
  auto three = SteadyPool(3, 99);
  EXPECT_TRUE(Contains(Decide(p, three.pool, three.metrics, {}, Check(10)).reason, "at its maximum of 3"));
}

// ---- shrinking: ratio, rounding, bounds --------------------------------------------

TEST(ScalerDecisionTest, ShrinksByTheShrinkRatio) {
  auto s = SteadyPool(4, 10);
  Decision d = Decide(NoStabilisation(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 2);
  EXPECT_EQ(
      d.reason,
      "average CPU 10.0% over 2 min is below the shrink threshold 30%; at most x0.5 per step: shrink 4 -> 2");
}

TEST(ScalerDecisionTest, ShrinkRoundsUpAndMovesByAtLeastOne) {
  ScalingPolicy p = NoStabilisation();
  struct Case {
    int n;
    double ratio;
    int expected;
  };
  // 3 x 0.5 = 1.5 -> 2 (up: toward capacity); 2 x 0.5 -> 1; 5 x 0.9 = 4.5 -> 5 -> moved
  // by one to 4; 8 x 0.25 -> 2; 3 x 0.1 = 0.3 -> 1.
  for (Case c : {Case{3, 0.5, 2}, Case{2, 0.5, 1}, Case{5, 0.9, 4}, Case{8, 0.25, 2}, Case{3, 0.1, 1}}) {
    p.shrink_ratio = c.ratio;
    auto s = SteadyPool(c.n, 1);
    Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
    EXPECT_EQ(d.action, Action::kShrink) << c.n << " x " << c.ratio;
    EXPECT_EQ(d.target_size, c.expected) << c.n << " x " << c.ratio;
  }
}

TEST(ScalerDecisionTest, AtTheMinimumHoldsSayingSo) {
  auto one = SteadyPool(1, 2);
  Decision d = Decide(NoStabilisation(), one.pool, one.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "at its minimum of 1")) << d.reason;

  ScalingPolicy p = NoStabilisation();
  p.min_workers = 3;
  auto four = SteadyPool(4, 2);
  d = Decide(p, four.pool, four.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 3);  // 4 x 0.5 = 2, clamped to the minimum
}

TEST(ScalerDecisionTest, OutsideTheBoundsResizesWithoutMetrics) {
  Decision d = Decide(ScalingPolicy{}, PoolState{}, MetricsView{}, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 1);
  EXPECT_EQ(d.reason, "pool of 0 is below the minimum of 1: grow 0 -> 1");

  ScalingPolicy p;
  p.max_workers = 2;
  auto s = SteadyPool(3, 50);
  d = Decide(p, s.pool, MetricsView{}, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 2);
}

TEST(ScalerDecisionTest, ManualChangePastABoundIsUndoneOnlyAfterTheCoolDown) {
  ScalingPolicy p;
  p.max_workers = 2;
  auto s = SteadyPool(3, 50);
  ScalerMemory memory = RememberManualChange({}, Check(9));
  EXPECT_EQ(Decide(p, s.pool, s.metrics, memory, Check(10)).action, Action::kHold);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, memory, Check(12)).action, Action::kShrink);
}

// ---- cool-down after a resize ------------------------------------------------------

TEST(ScalerDecisionTest, StartingWorkersCountAsCapacityAndHold) {
  auto s = SteadyPool(2, 95);
  s.pool.workers.push_back(Starting("w3", Minute(9)));
  s.pool.workers.push_back(Starting("w4", Minute(9)));
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.current_size, 4);
  EXPECT_EQ(d.reason, "waiting for new workers' metrics: w3, w4 still starting");
  EXPECT_FALSE(d.recommended_size);
}

TEST(ScalerDecisionTest, WaitsUntilTheWindowHoldsOnlySamplesAfterNewWorkersCameIntoService) {
  // Grown 2 -> 4 at minute 5; w3 and w4 in service at 6:30.
  auto s = SteadyPool(2, 95);
  s.pool.workers.push_back(InService("w3", Minute(6) + seconds(30)));
  s.pool.workers.push_back(InService("w4", Minute(6) + seconds(30)));
  s.metrics.workers.push_back(Flat("w3", 7, 10, 95));
  s.metrics.workers.push_back(Flat("w4", 7, 10, 95));
  ScalerMemory memory;
  memory.last_grow_at = Check(5);
  memory.last_action_at = Check(5);
  memory.last_action_direction = Direction::kGrow;
  // Minute 7's window [5, 7) holds time before 6:30, and w3 and w4 have no sample since
  // yet: hold, also though the load is high.
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(7));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason,
                       "waiting for new workers' metrics: the 2 min window still holds "
                       "time from before the pool settled 35 s ago (judged again from "
                       "115 s on)"))
      << d.reason;
  EXPECT_FALSE(d.recommended_size);
  // Minute 8: minute 7 is the first in which all four served, but without the
  // balancer's counts of a saturated pool one fresh minute is not enough: hold.
  d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(8));
  EXPECT_EQ(d.action, Action::kHold) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "window still holds time from before the pool settled")) << d.reason;
  // Minute 9's window [7, 9) is after 6:30: the whole window counts.
  d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(9));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 8);
  EXPECT_TRUE(Contains(d.reason, "over 2 min is above")) << d.reason;
}

TEST(ScalerDecisionTest, TheOwnShrinkStartsNoCoolDown) {
  // Just shrunk 4 -> 2 at minute 9: minute 8 (4 workers at 5%) counts as 10% on two.
  auto s = SteadyPool(2, 5);
  ScalerMemory memory = Remember(
      {}, NoStabilisation(),
      Decide(NoStabilisation(), SteadyPool(4, 5).pool, SteadyPool(4, 5).metrics, {}, Check(9)), Check(9));
  ASSERT_EQ(memory.recent_shrinks.size(), 1u);
  EXPECT_EQ(memory.recent_shrinks[0].from, 4);
  Decision d = Decide(NoStabilisation(), s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kShrink) << d.reason;
  EXPECT_EQ(d.target_size, 1);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 7.5);
}

TEST(ScalerDecisionTest, ManualChangeRestartsTheCoolDown) {
  auto s = SteadyPool(3, 95);
  ScalerMemory memory = RememberManualChange({}, Check(9));
  // Half a minute later no period since is complete: hold.
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(9) + seconds(30));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "waiting for new workers' metrics")) << d.reason;
  // A later manual change than the auto-scaler's last grow is the one that counts.
  memory.last_grow_at = Minute(0);
  EXPECT_EQ(Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(9) + seconds(30)).action, Action::kHold);
  // Nor does a low load shrink before a whole window after it.
  auto idle = SteadyPool(3, 5);
  EXPECT_EQ(Decide(NoStabilisation(), idle.pool, idle.metrics, memory, Check(10)).action, Action::kHold);
  for (auto& w : s.metrics.workers) w.samples.insert(w.samples.end(), {{Minute(10), 95}, {Minute(11), 95}});
  EXPECT_EQ(Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(12)).action, Action::kGrow);
}

// ---- projection onto the smaller pool ----------------------------------------------

TEST(ScalerDecisionTest, ShrinksLessWhenTheRatioWouldCrossTheGrowThreshold) {
  ScalingPolicy p = NoStabilisation();
  p.shrink_threshold = 45;
  // Midpoint 57.5%. 4 x 42.5% = 170% of one worker: 2 workers would carry 85%, 3 carry
  // 56.7%: only to 3, though the ratio allows 2.
  auto s = SteadyPool(4, 42.5);
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 3);
  EXPECT_EQ(d.recommended_size, 3);
  EXPECT_TRUE(Contains(d.reason, "shrink 4 -> 3")) << d.reason;
}

TEST(ScalerDecisionTest, HoldsWhenEvenOneFewerWorkerWouldReachTheGrowThreshold) {
  ScalingPolicy p = NoStabilisation();
  p.shrink_threshold = 45;
  auto s = SteadyPool(2, 40);  // 1 worker would carry 80%
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.recommended_size, 2);
  EXPECT_TRUE(Contains(d.reason,
                       "but 1 worker would carry 80.0% each, above the thresholds' "
                       "midpoint 57.5%"))
      << d.reason;
  // Exactly at the midpoint is allowed: 2 x 28.75% -> 57.5% on one; just above is not.
  auto edge = SteadyPool(2, 28.75);
  EXPECT_EQ(Decide(p, edge.pool, edge.metrics, {}, Check(10)).action, Action::kShrink);
  auto over = SteadyPool(2, 28.76);
  EXPECT_EQ(Decide(p, over.pool, over.metrics, {}, Check(10)).action, Action::kHold);
}

// ---- shrink stabilisation ----------------------------------------------------------

TEST(ScalerDecisionTest, ShrinkWaitsForAWholeStabilisationSpanOfRecommendations) {
  ScalingPolicy p;  // 5 min
  auto s = SteadyPool(4, 10);
  ScalerMemory memory;
  // Checks at minutes 10..15 recommend 2; the sixth (5 min after the first) acts.
  for (int m = 10; m < 15; ++m) {
    for (auto& w : s.metrics.workers) w.samples.push_back({Minute(m), 10});
    Decision d = Decide(p, s.pool, s.metrics, memory, Check(m));
    EXPECT_EQ(d.action, Action::kHold) << m;
    EXPECT_EQ(d.recommended_size, 1);  // 40% of one worker
    EXPECT_TRUE(Contains(d.reason, "stabilising")) << d.reason;
    memory = Remember(memory, p, d, Check(m));
  }
  for (auto& w : s.metrics.workers) w.samples.push_back({Minute(15), 10});
  Decision d = Decide(p, s.pool, s.metrics, memory, Check(15));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 2);
}

TEST(ScalerDecisionTest, ShrinkActsOnTheLargestRecommendationOfTheSpan) {
  ScalingPolicy p;
  auto s = SteadyPool(4, 10);  // recommends 2 now
  ScalerMemory memory;
  memory.recommending_since = Check(4);
  memory.recommendations = {{Check(4), 3}, {Check(6), 3}, {Check(9), 2}};
  Decision d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 3);
  EXPECT_TRUE(Contains(d.reason, "the largest size recommended in the past 5 min is 3")) << d.reason;
  // One check in the span that wanted to keep all four cancels the shrink.
  memory.recommendations.push_back({Check(8), 4});
  d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "recommended keeping 4 workers")) << d.reason;
  // Recommendations older than the span no longer count.
  memory.recommendations = {{Check(4), 4}, {Check(6), 2}};
  EXPECT_EQ(Decide(p, s.pool, s.metrics, memory, Check(10)).target_size, 2);
}

TEST(ScalerDecisionTest, GrowIgnoresStabilisation) {
  ScalingPolicy p;
  auto s = SteadyPool(2, 90);
  ScalerMemory memory;
  memory.recommending_since = Check(9);
  memory.recommendations = {{Check(9), 1}};
  Decision d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 4);
}

// ---- missing and stale metrics -----------------------------------------------------

TEST(ScalerDecisionTest, MissingMetricsHoldNamingTheWorker) {
  auto s = SteadyPool(3, 95);
  s.metrics.workers.erase(s.metrics.workers.begin() + 1);  // w2 unknown to the source
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "no CPU data for worker w2 in the past 2 min");
  EXPECT_FALSE(d.recommended_size);
  EXPECT_FALSE(d.average_cpu);

  // Known, but measured only outside the window: the same.
  s = SteadyPool(3, 5);
  s.metrics.workers[2] = Flat("w3", 0, 8, 5);
  d = Decide(NoStabilisation(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "no CPU data for worker w3 in the past 2 min");
}

TEST(ScalerDecisionTest, StaleMetricsHold) {
  ScalingPolicy p;
  p.window = minutes(10);
  auto s = SteadyPool(2, 95);
  s.metrics.workers[0] = Flat("w1", 0, 6, 95);  // newest sample ended at minute 6
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "CPU data for worker w1 is stale: its newest sample ended 245 s ago");
  // Ended 125 s ago: still over 2 check intervals (120 s).
  s.metrics.workers[0] = Flat("w1", 0, 8, 95);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).action, Action::kHold);
  s.metrics.workers[0] = Flat("w1", 0, 9, 95);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).action, Action::kGrow);
}

TEST(ScalerDecisionTest, WindowShorterThanASampleIsWidenedToOne) {
  ScalingPolicy p;
  p.check_interval = seconds(5);
  p.window = seconds(10);
  auto s = SteadyPool(2, 95);
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_TRUE(Contains(d.reason, "over 1 min (the window widened from 10 s to one 1 min sample)"))
      << d.reason;
  // With samples as short as the window, it works.
  s.metrics.period = seconds(10);
  for (auto& w : s.metrics.workers) w.samples = {{Check(10) - seconds(15), 95}};
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).action, Action::kGrow);
}

// ---- paused, invalid ---------------------------------------------------------------

TEST(ScalerDecisionTest, PausedHolds) {
  ScalingPolicy p;
  p.paused = true;
  auto s = SteadyPool(2, 99);
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "paused");
  // Paused also leaves a pool outside its bounds alone.
  EXPECT_EQ(Decide(p, PoolState{}, MetricsView{}, {}, Check(10)).action, Action::kHold);
}

TEST(ScalerDecisionTest, InvalidPolicyHolds) {
  ScalingPolicy p;
  p.shrink_threshold = 90;
  auto s = SteadyPool(2, 99);
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "policy not usable: shrink threshold (90%)")) << d.reason;
}

// ---- Remember ----------------------------------------------------------------------

TEST(ScalerRememberTest, AResizeStartsTheCoolDownAndForgetsRecommendations) {
  ScalerMemory memory;
  memory.recommending_since = Check(1);
  memory.recommendations = {{Check(1), 2}};
  Decision grow;
  grow.action = Action::kGrow;
  ScalerMemory next = Remember(memory, ScalingPolicy{}, grow, Check(3));
  EXPECT_EQ(next.last_action_at, Check(3));
  EXPECT_EQ(next.last_action_direction, Direction::kGrow);
  EXPECT_TRUE(next.recommendations.empty());
  EXPECT_FALSE(next.recommending_since);
}

TEST(ScalerRememberTest, HoldsKeepRecommendationsOfTheSpanOnly) {
  ScalingPolicy p;
  Decision hold;
  hold.recommended_size = 3;
  ScalerMemory memory;
  for (int m = 0; m <= 7; ++m) memory = Remember(memory, p, hold, Check(m));
  EXPECT_EQ(memory.recommending_since, Check(0));
  ASSERT_EQ(memory.recommendations.size(), 6u);  // minutes 2..7
  EXPECT_EQ(memory.recommendations.front().at, Check(2));
  EXPECT_FALSE(memory.last_action_at);

  Decision blind;  // paused, cooling down, or metrics missing
  memory = Remember(memory, p, blind, Check(8));
  EXPECT_TRUE(memory.recommendations.empty());
  EXPECT_FALSE(memory.recommending_since);
}

TEST(ScalerRememberTest, ManualChangeIsRemembered) {
  ScalerMemory memory;
  memory.recommendations = {{Check(1), 2}};
  memory.recommending_since = Check(1);
  ScalerMemory next = RememberManualChange(memory, Check(2));
  EXPECT_EQ(next.last_manual_change_at, Check(2));
  EXPECT_TRUE(next.recommendations.empty());
  EXPECT_FALSE(next.recommending_since);
}

// ---- sequences: a minute-stepped pool driven by Decide -----------------------------

// Workers that boot for `boot` and then share `demand` (in workers' worth of CPU: 1.0
// keeps one worker fully busy) evenly, capped at 100% each; one sample per minute for
// each worker in service for the whole minute. A check runs 5 s into every minute and
// is carried out at once (new workers launched, the newest removed).
class MiniPool {
 public:
  MiniPool(ScalingPolicy policy, int workers, double demand, seconds boot = seconds(90))
      : policy_(policy), demand_(demand), boot_(boot) {
    for (int i = 0; i < workers; ++i) Launch(Minute(-10) - boot_);
    for (int m = -10; m < 0; ++m) Record(m);
  }

  void set_demand(double demand) { demand_ = demand; }

  // The check of minute m (after recording minute m - 1).
  Decision Step(int m) {
    Record(m - 1);
    const TimePoint now = Check(m);
    PoolState pool;
    for (const auto& w : workers_) {
      const bool up = w.in_service_at <= now;
      pool.workers.push_back({w.id, up ? WorkerState::kInService : WorkerState::kStarting, w.launched_at,
                              up ? w.in_service_at : w.launched_at});
    }
    MetricsView metrics;
    for (const auto& [id, samples] : samples_) metrics.workers.push_back({id, samples});
    Decision d = Decide(policy_, pool, metrics, memory_, now);
    memory_ = Remember(memory_, policy_, d, now);
    for (int i = d.current_size; i < d.target_size; ++i) Launch(now);
    for (int i = d.target_size; i < d.current_size; ++i) workers_.pop_back();
    return d;
  }

  int size() const { return static_cast<int>(workers_.size()); }

 private:
  struct Worker {
    std::string id;
    TimePoint launched_at;
    TimePoint in_service_at;
  };

  void Launch(TimePoint at) { workers_.push_back({"w" + std::to_string(next_id_++), at, at + boot_}); }

  void Record(int m) {
    std::vector<const Worker*> up;
    for (const auto& w : workers_) {
      if (w.in_service_at <= Minute(m)) up.push_back(&w);
    }
    if (up.empty()) return;
    const double each = std::min(100.0, demand_ * 100.0 / static_cast<double>(up.size()));
    for (const Worker* w : up) samples_[w->id].push_back({Minute(m), each});
  }

  ScalingPolicy policy_;
  double demand_;
  seconds boot_;
  std::vector<Worker> workers_;
  std::map<std::string, std::vector<CpuSample>> samples_;
  ScalerMemory memory_;
  int next_id_ = 1;
};

// The specification's unreliable algorithm grows again and again while new workers
// boot, then, when they serve and the average falls far below, shrinks again and
// again. Here: one worker at 85% grows once to two, waits through the boot and the
// window, and then, with the average at 42.5% (below a 45% shrink threshold), does not
// shrink back, because one worker would carry 85% again.
TEST(ScalerSequenceTest, SpecificationsUnreliableAlgorithmScenarioConverges) {
  ScalingPolicy p;
  p.shrink_threshold = 45;
  MiniPool pool(p, 1, 0.85);

  Decision d = pool.Step(0);
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 2);
  // Booting (in service at 1:35): the old worker still shows 85%, yet no second grow.
  d = pool.Step(1);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "waiting for new workers' metrics: w2 still starting");
  for (int m : {2, 3}) {
    d = pool.Step(m);
    EXPECT_EQ(d.action, Action::kHold) << m;
    EXPECT_TRUE(Contains(d.reason, "the 2 min window still holds time from before")) << d.reason;
  }
  // Window [2, 4): both workers at 42.5%.
  d = pool.Step(4);
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 42.5);
  EXPECT_TRUE(Contains(d.reason, "but 1 worker would carry 85.0% each, above the thresholds' midpoint"))
      << d.reason;
  for (int m = 5; m < 60; ++m) {
    EXPECT_EQ(pool.Step(m).action, Action::kHold) << m;
  }
  EXPECT_EQ(pool.size(), 2);
}

// A load that needs more than the pool grows it step by step, one step per boot and
// window, never past the maximum.
TEST(ScalerSequenceTest, HeavyLoadGrowsOncePerSettledWindowUpToTheMaximum) {
  MiniPool pool(ScalingPolicy{}, 1, 20.0);
  std::vector<std::pair<int, int>> resizes;  // (minute, target)
  for (int m = 0; m < 40; ++m) {
    Decision d = pool.Step(m);
    EXPECT_LE(d.target_size, 8);
    if (d.action != Action::kHold) resizes.emplace_back(m, d.target_size);
  }
  // Boot 1.5 min, then a whole fresh window (CPU alone, no balancer counts): 4 min apart.
  EXPECT_EQ(resizes, (std::vector<std::pair<int, int>>{{0, 2}, {4, 4}, {8, 8}}));
  EXPECT_EQ(pool.size(), 8);
}

// Constant loads settle and then never act again.
TEST(ScalerSequenceTest, ConstantLoadMakesNoResizesOnceSettled) {
  struct Case {
    int workers;
    double demand;
    int settled_size;
  };
  // 2 at 90% -> 4 at 45%; 6 at 8.3% -> 3 at 16.7% -> 2 at 25% -> 1 at 50%; 3 at 50%
  // stays; 1 saturated (demand 250%) -> 2 saturated -> 4 at 62.5%.
  for (Case c : {Case{2, 1.8, 4}, Case{6, 0.5, 1}, Case{3, 1.5, 3}, Case{1, 2.5, 4}}) {
    MiniPool pool(ScalingPolicy{}, c.workers, c.demand);
    int last_resize = -1;
    int resizes = 0;
    for (int m = 0; m < 120; ++m) {
      Decision d = pool.Step(m);
      if (d.action != Action::kHold) {
        last_resize = m;
        ++resizes;
      }
    }
    EXPECT_EQ(pool.size(), c.settled_size) << c.workers << " x " << c.demand;
    EXPECT_LT(last_resize, 40) << c.workers << " x " << c.demand;
    EXPECT_LE(resizes, 3) << c.workers << " x " << c.demand;
  }
}

// ---- proportional sizing, hysteresis, coarse and lagging metrics ----------------------

TEST(ScalerProportionalTest, GrowsToCarryTheLoadAtTheMidpointBoundedByTheExpandRatio) {
  struct Case {
    int n;
    double percent;
    int target;
  };
  // midpoint 50%: 2 x 75 / 50 = 3; 2 x 71 / 50 = 2.84 -> 3; 4 x 71 / 50 = 5.68 -> 6;
  // 3 x 90 / 50 = 5.4 -> 6 (x2 allows 6); 1 x 100 / 50 = 2; 2 x 100 / 50 = 4 = x2.
  for (Case c :
       {Case{2, 75, 3}, Case{2, 71, 3}, Case{4, 71, 6}, Case{3, 90, 6}, Case{1, 100, 2}, Case{2, 100, 4}}) {
    Steady s = SteadyPool(c.n, c.percent);
    Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
    EXPECT_EQ(d.action, Action::kGrow) << c.n << " at " << c.percent;
    EXPECT_EQ(d.target_size, c.target) << c.n << " at " << c.percent << ": " << d.reason;
  }
  // The expand ratio bounds it: 4 x 95 / 50 = 7.6 -> 8 allowed by x2, but x1.5 -> 6.
  ScalingPolicy slow;
  slow.expand_ratio = 1.5;
  Steady s = SteadyPool(4, 95);
  Decision d = Decide(slow, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.target_size, 6);
  EXPECT_TRUE(
      Contains(d.reason, "sized to carry it at 50% (the thresholds' midpoint), at most x1.5 per step"))
      << d.reason;
}

// `n` workers in service, each flat over minutes 0..9 at `average` +- `offset`
// (alternating), so that every minute's samples spread around the same mean.
Steady SpreadPool(int n, double average, double offset) {
  Steady s;
  for (int i = 1; i <= n; ++i) {
    const std::string id = "w" + std::to_string(i);
    s.pool.workers.push_back(InService(id));
    s.metrics.workers.push_back(Flat(id, 0, 10, average + (i % 2 == 1 ? offset : -offset)));
  }
  return s;
}

TEST(ScalerProportionalTest, GrowsToTheSizeTheLoadReadOneStandardErrorLighterNeeds) {
  auto decide = [](int n, double average, double offset) {
    Steady s = SpreadPool(n, average, offset);
    return Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  };
  // Two workers at 80% +- 10: one sample's noise 14.1, a standard error of 10.
  // 2 x 70 / 50 = 2.8 -> 3, where the average alone would call for 2 x 80 / 50 = 3.2 -> 4.
  Decision d = decide(2, 80, 10);
  EXPECT_EQ(d.target_size, 3) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "sized to carry 70.0% (one standard error lighter) at 50%")) << d.reason;
  // +- 6: 80 - 6 = 74, 2 x 74 / 50 = 2.96 -> 3; +- 4: 76 -> 3.04 -> 4.
  EXPECT_EQ(decide(2, 80, 6).target_size, 3);
  EXPECT_EQ(decide(2, 80, 4).target_size, 4);
  // No spread: the average as it is.
  EXPECT_TRUE(Contains(decide(2, 80, 0).reason, "sized to carry it at 50%"));
  // Never lighter than the threshold it crossed: four workers at 75% +- 25 (one sample's
  // noise 28.9, a standard error of 14.4) are read as 70%, not 60.6%: 4 x 70 / 50 = 5.6
  // -> 6, not 4 x 60.6 / 50 = 4.8 -> 5.
  Decision floor = decide(4, 75, 25);
  EXPECT_EQ(floor.target_size, 6) << floor.reason;
  EXPECT_TRUE(Contains(floor.reason, "sized to carry 70.0% (one standard error lighter)")) << floor.reason;
}

TEST(ScalerProportionalTest, SaturatedCpuIsScaledByTheBalancersUnservedRequests) {
  ScalingPolicy p;
  p.expand_ratio = 4;
  Steady s = SteadyPool(2, 100);
  // CPU alone: 2 x 100 / 50 = 4.
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).target_size, 4);
  // Half the requests unserved: the load is 200%, 2 x 200 / 50 = 8.
  for (int m = 0; m < 10; ++m) s.metrics.requests.push_back({Minute(m), 40, 20});
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.target_size, 8) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "50.0% of the requests unserved (40 offered, 20 served per second)"))
      << d.reason;
  // Below saturation (94%) the requests are not read: 2 x 94 / 50 = 3.76 -> 4.
  Steady busy = SteadyPool(2, 94);
  busy.metrics.requests = s.metrics.requests;
  EXPECT_EQ(Decide(p, busy.pool, busy.metrics, {}, Check(10)).target_size, 4);
  // At exactly 95% they are: 2 x 190 / 50 = 7.6 -> 8.
  Steady at = SteadyPool(2, 95);
  at.metrics.requests = s.metrics.requests;
  EXPECT_EQ(Decide(p, at.pool, at.metrics, {}, Check(10)).target_size, 8);
  // Requests outside the window are not read.
  Steady old = SteadyPool(2, 100);
  old.metrics.requests = {{Minute(5), 40, 20}};
  EXPECT_EQ(Decide(p, old.pool, old.metrics, {}, Check(10)).target_size, 4);
}

TEST(ScalerProportionalTest, ShrinksOnlyToASizeThatCarriesTheLoadAtTheMidpoint) {
  // 2 workers at 29%: one would carry 58%, above the midpoint 50%: hold.
  Steady two = SteadyPool(2, 29);
  Decision d = Decide(NoStabilisation(), two.pool, two.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "but 1 worker would carry 58.0% each, above the thresholds' midpoint 50%"))
      << d.reason;
  // At 25% one worker carries exactly 50%: shrink.
  Steady quarter = SteadyPool(2, 25);
  EXPECT_EQ(Decide(NoStabilisation(), quarter.pool, quarter.metrics, {}, Check(10)).target_size, 1);
  // 4 workers at 20%: 80% of a worker -> 2 (ceil(1.6)); at 12.5%: exactly 1 -> but x0.5
  // allows no less than 2 in one step.
  Steady four = SteadyPool(4, 20);
  Decision two_of_four = Decide(NoStabilisation(), four.pool, four.metrics, {}, Check(10));
  EXPECT_EQ(two_of_four.target_size, 2);
  EXPECT_FALSE(Contains(two_of_four.reason, "at most")) << two_of_four.reason;
  Steady idle = SteadyPool(4, 12.5);
  Decision step = Decide(NoStabilisation(), idle.pool, idle.metrics, {}, Check(10));
  EXPECT_EQ(step.target_size, 2);
  EXPECT_EQ(step.recommended_size, 1);
  EXPECT_TRUE(Contains(step.reason, "at most x0.5 per step")) << step.reason;
  // 3 workers at 29%: 1.74 -> 2.
  Steady three = SteadyPool(3, 29);
  EXPECT_EQ(Decide(NoStabilisation(), three.pool, three.metrics, {}, Check(10)).target_size, 2);
}

TEST(ScalerProportionalTest, TheOwnShrinkNeitherRestartsStabilisationNorTheWindow) {
  // 8 workers, the load ends at minute 0: down to 1 in three consecutive checks once the
  // 5-minute span has agreed.
  MiniPool pool(ScalingPolicy{}, 8, 4.0);
  EXPECT_EQ(pool.Step(0).action, Action::kHold);
  pool.set_demand(0.05);
  std::vector<std::pair<int, int>> resizes;
  for (int m = 1; m < 20; ++m) {
    Decision d = pool.Step(m);
    if (d.action != Action::kHold) resizes.emplace_back(m, d.target_size);
  }
  // Window [0, 2) is the first all idle (minute 2); its run of recommendations has
  // lasted 5 minutes at minute 7.
  EXPECT_EQ(resizes, (std::vector<std::pair<int, int>>{{7, 4}, {8, 2}, {9, 1}}));
}

TEST(ScalerProportionalTest, SamplesFromBeforeTheOwnShrinkAreProjectedOntoTheSmallerPool) {
  // Two workers left of four, both at 20% before the shrink at minute 9 and nothing
  // since: they now carry 40% each.
  PoolState pool{{InService("a"), InService("b")}};
  MetricsView metrics;
  metrics.workers = {Flat("a", 0, 10, 20), Flat("b", 0, 10, 20)};
  ScalerMemory memory;
  memory.recent_shrinks = {{Minute(9) + seconds(5), 4}};
  Decision d = Decide(ScalingPolicy{}, pool, metrics, memory, Check(10));
  ASSERT_TRUE(d.average_cpu);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 30);  // minute 8 at 40%, minute 9 (after it) at 20%
  // A sample that ends exactly at the shrink was measured before it; one that the
  // shrink cut into, after it.
  memory.recent_shrinks = {{Minute(9), 4}};
  EXPECT_DOUBLE_EQ(*Decide(ScalingPolicy{}, pool, metrics, memory, Check(10)).average_cpu, 30);
  memory.recent_shrinks = {{Minute(9) - seconds(1), 4}};
  EXPECT_DOUBLE_EQ(*Decide(ScalingPolicy{}, pool, metrics, memory, Check(10)).average_cpu, 20);
}

TEST(ScalerProportionalTest, AfterAGrowOneFreshMinuteOfCpuNeitherGrowsNorShrinks) {
  // Grown 1 -> 2 at minute 0, w2 in service at 1:35: minute 2 is the first whole one.
  ScalerMemory memory;
  memory.last_grow_at = Check(0);
  memory.last_action_at = Check(0);
  PoolState pool{{InService("w1"), InService("w2", Minute(1) + seconds(35))}};
  MetricsView busy;
  busy.workers = {Flat("w1", -5, 3, 90), Flat("w2", 2, 3, 90)};
  // At minute 2 nothing whole since: hold.
  Decision early = Decide(ScalingPolicy{}, pool, busy, memory, Check(2));
  EXPECT_EQ(early.action, Action::kHold);
  EXPECT_TRUE(Contains(early.reason, "window still holds time from before the pool settled")) << early.reason;
  // At minute 3, minute 2 at 90% (not saturated): still the cool-down.
  Decision d = Decide(ScalingPolicy{}, pool, busy, memory, Check(3));
  EXPECT_EQ(d.action, Action::kHold) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "window still holds time from before the pool settled")) << d.reason;
  // The same minute at 10% does not shrink: that waits for a whole window.
  MetricsView idle;
  idle.workers = {Flat("w1", -5, 3, 10), Flat("w2", 2, 3, 10)};
  Decision quiet = Decide(NoStabilisation(), pool, idle, memory, Check(3));
  EXPECT_EQ(quiet.action, Action::kHold);
  EXPECT_TRUE(Contains(quiet.reason, "window still holds time from before the pool settled")) << quiet.reason;
  EXPECT_FALSE(quiet.recommended_size);
}

TEST(ScalerCoarseMetricsTest, FiveMinuteSamplesWidenTheWindowAndStillGrow) {
  // One worker, 5-minute samples at 90% (aligned to 5 minutes since the epoch); window
  // 2 min: widened to one sample.
  const TimePoint boundary = TimePoint(seconds(1'700'000'100));  // 5'666'667 x 300 s
  PoolState pool{{InService("a", boundary - minutes(60))}};
  MetricsView metrics;
  metrics.period = minutes(5);
  metrics.workers = {WorkerCpu{"a", {}}};
  for (int k = -6; k < 0; ++k) metrics.workers[0].samples.push_back({boundary + k * minutes(5), 90});
  Decision d = Decide(ScalingPolicy{}, pool, metrics, {}, boundary + seconds(5));
  EXPECT_EQ(d.action, Action::kGrow) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "over 5 min (the window widened from 2 min to one 5 min sample)"))
      << d.reason;
  // Two minutes late (complete until 2 min before): the sample before is judged.
  metrics.complete_until = boundary + seconds(5) - minutes(2);
  metrics.workers[0].samples.back().percent = 10;  // the sample still to come, not read
  Decision late = Decide(ScalingPolicy{}, pool, metrics, {}, boundary + seconds(5));
  EXPECT_EQ(late.action, Action::kGrow) << late.reason;
}

TEST(ScalerDecisionBoundaryTest, TheFirstFreshPeriodOfCpuAloneHolds) {
  // Grown at minute 0; w2 in service at 1:35, its first (partial) sample is minute 1's.
  ScalerMemory memory;
  memory.last_grow_at = Check(0);
  PoolState pool{{InService("w1"), InService("w2", Minute(1) + seconds(35))}};
  MetricsView metrics;
  metrics.workers = {Flat("w1", -5, 2, 90), Flat("w2", 1, 2, 90)};
  // At minute 2, minute 1 is complete and both have a sample in it, at 90%: not
  // saturated, so the cool-down holds.
  Decision d = Decide(ScalingPolicy{}, pool, metrics, memory, Check(2));
  EXPECT_EQ(d.action, Action::kHold) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "window still holds time from before the pool settled")) << d.reason;
}

TEST(ScalerDecisionBoundaryTest, FreshSamplesInAnyOrderStillHold) {
  // As above, at minute 3; w2's samples listed newest first. Minutes 1 and 2 at 90% and
  // 60%: the average since the pool settled is 75% (grow), minute 2 alone 60% (hold).
  ScalerMemory memory;
  memory.last_grow_at = Check(0);
  PoolState pool{{InService("w1"), InService("w2", Minute(1) + seconds(35))}};
  MetricsView metrics;
  metrics.workers = {WorkerCpu{"w1", {{Minute(1), 90}, {Minute(2), 60}}},
                     WorkerCpu{"w2", {{Minute(2), 60}, {Minute(1), 90}}}};
  Decision d = Decide(ScalingPolicy{}, pool, metrics, memory, Check(3));
  EXPECT_FALSE(d.average_cpu) << d.reason;
  EXPECT_EQ(d.action, Action::kHold);
}

TEST(ScalerDecisionBoundaryTest, ANewWorkerWhoseFreshSamplesAreNoNumbersStillCoolsDown) {
  ScalerMemory memory;
  memory.last_grow_at = Check(0);
  PoolState pool{{InService("w1"), InService("w2", Minute(1) + seconds(35))}};
  MetricsView metrics;
  metrics.workers = {Flat("w1", -5, 3, 90),
                     WorkerCpu{"w2", {{Minute(1), std::numeric_limits<double>::quiet_NaN()}}}};
  Decision d = Decide(ScalingPolicy{}, pool, metrics, memory, Check(3));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "waiting for new workers' metrics: the 2 min window")) << d.reason;
}

TEST(ScalerProportionalTest, BalancerCountsAtTheWindowsEdgesAndOddCounts) {
  ScalingPolicy p;
  p.expand_ratio = 4;
  // Counts just outside the window [8, 10): minute 7 and minute 10 are not read.
  Steady s = SteadyPool(2, 100);
  s.metrics.requests = {{Minute(7), 40, 20}, {Minute(10), 40, 20}};
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).target_size, 4);
  // More served than offered (counts that straddle a period) never lowers the load.
  s.metrics.requests = {{Minute(8), 10, 20}, {Minute(9), 10, 20}};
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 4);
  // With a grow threshold of 100%, only the balancer can say the pool is short.
  ScalingPolicy full;
  full.grow_threshold = 100;
  Steady hot = SteadyPool(2, 96);
  EXPECT_EQ(Decide(full, hot.pool, hot.metrics, {}, Check(10)).action, Action::kHold);
  hot.metrics.requests = {{Minute(8), 40, 20}, {Minute(9), 40, 20}};
  Decision grown = Decide(full, hot.pool, hot.metrics, {}, Check(10));
  EXPECT_EQ(grown.action, Action::kGrow) << grown.reason;
}

TEST(ScalerProportionalTest, ExpandRatioJustAboveOneStillGrowsByOne) {
  ScalingPolicy p;
  p.expand_ratio = 1 + 1e-12;
  Steady s = SteadyPool(1, 95);
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 2);
}

TEST(ScalerDecisionBoundaryTest, ExactlyAtTheShrinkThresholdDoesNotShrink) {
  // 4 workers at 30%: 3 would carry 40%, but 30% is not below the threshold.
  Steady s = SteadyPool(4, 30);
  Decision d = Decide(NoStabilisation(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "within the thresholds")) << d.reason;
}

// ---- the size of a shrink and the standard error after the auto-scaler's own shrinks ----

// w1..w4 in service with the same samples: minutes 0-4 at 15%, then 10, 20, 10, 20, 25;
// w5..w7 leaving, flat at 22.5%. The window (minutes 8, 9) averages 22.5%, and with no
// spread between the workers in service the standard error is 0.
Steady NoisyPool() {
  Steady s;
  const std::vector<double> values = {15, 15, 15, 15, 15, 10, 20, 10, 20, 25};
  for (int i = 1; i <= 7; ++i) {
    const std::string id = "w" + std::to_string(i);
    WorkerCpu cpu{id, {}};
    for (int m = 0; m < 10; ++m) cpu.samples.push_back({Minute(m), i <= 4 ? values[m] : 22.5});
    s.metrics.workers.push_back(cpu);
    WorkerStatus w = InService(id);
    if (i > 4) w.state = WorkerState::kLeaving;
    s.pool.workers.push_back(w);
  }
  return s;
}

TEST(ScalerShrinkSizeTest, TheFewestWorkersThatCarryTheAverageAtTheMidpoint) {
  Steady s = NoisyPool();
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  ASSERT_TRUE(d.average_cpu);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 22.5);
  // 4 x 22.5 / 50 = 1.8: 2 workers, however much each worker's samples swing in time
  // (the guard against regrowth reads the spread between workers, here none).
  EXPECT_TRUE(Contains(d.reason, "below the shrink threshold 30%; shrink to 2 stabilising")) << d.reason;
  EXPECT_EQ(d.recommended_size, 2);
}

// Four workers in service, w1 and w2 8 points under w3 and w4 in minutes 8 and 9 (10,
// 10, 18, 18, then 22, 22, 30, 30): one sample's noise sqrt(2 x 64 / 6) = 4.62. The
// auto-scaler shrank 8 -> 4 at 9:05, so minute 8 counts twice: the workers' means are
// (2 x 10 + 22) / 2 = 21 and (2 x 18 + 30) / 2 = 33, the average 27, and each worker's
// mean projection 1.5.
Steady ProjectedPool() {
  Steady s;
  for (int i = 1; i <= 4; ++i) {
    const std::string id = "w" + std::to_string(i);
    const double low = i <= 2 ? 0 : 8;
    s.metrics.workers.push_back(WorkerCpu{id, {{Minute(8), 10 + low}, {Minute(9), 22 + low}}});
    s.pool.workers.push_back(InService(id));
  }
  return s;
}

TEST(ScalerShrinkSizeTest, SamplesProjectedByTheOwnShrinkCarryTheirNoiseProjectedToo) {
  Steady s = ProjectedPool();
  ScalerMemory memory;
  memory.recent_shrinks = {{Minute(9) + seconds(5), 8}};
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10));
  ASSERT_TRUE(d.average_cpu);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 27);
  // 4.62 x sqrt(4 x 1.5^2) / 4 = 3.46: 27 is not under 30 by more (unprojected, 4.62 / 2
  // = 2.31 would be).
  EXPECT_TRUE(Contains(d.reason,
                       "but by less than the standard error of the average (3.5% points, 4.6% "
                       "between workers)"))
      << d.reason;
  EXPECT_EQ(d.recommended_size, 4);
}

TEST(ScalerRememberTest, GrowsShrinksAndManualChangesKeepTheShrinksTheProjectionNeeds) {
  ScalingPolicy p;
  Decision shrink;
  shrink.action = Action::kShrink;
  shrink.current_size = 8;
  shrink.target_size = 4;
  shrink.recommended_size = 1;
  ScalerMemory memory = Remember({}, p, shrink, Check(10));
  ASSERT_EQ(memory.recent_shrinks.size(), 1u);
  EXPECT_EQ(memory.recent_shrinks[0], (ScalerMemory::Shrink{Check(10), 8}));
  EXPECT_FALSE(memory.last_grow_at);
  // A hold keeps it (for 2 hours, longer than any window); then it is forgotten.
  Decision hold;
  hold.recommended_size = 4;
  EXPECT_EQ(Remember(memory, p, hold, Check(11)).recent_shrinks.size(), 1u);
  EXPECT_EQ(Remember(memory, p, hold, Check(10) + std::chrono::hours(2)).recent_shrinks.size(), 1u);
  EXPECT_TRUE(
      Remember(memory, p, hold, Check(10) + std::chrono::hours(2) + seconds(1)).recent_shrinks.empty());
  // A grow starts the cool-down and forgets the shrinks; so does a manual change.
  Decision grow;
  grow.action = Action::kGrow;
  grow.current_size = 4;
  grow.target_size = 6;
  grow.recommended_size = 6;
  ScalerMemory grown = Remember(memory, p, grow, Check(12));
  EXPECT_EQ(grown.last_grow_at, Check(12));
  EXPECT_TRUE(grown.recent_shrinks.empty());
  EXPECT_TRUE(RememberManualChange(memory, Check(12)).recent_shrinks.empty());
}

// ---- Exact boundaries: the value at each limit, one under, one over ------------------

TEST(ScalerDecisionBoundaryTest, PoolSettledExactlyAtTheWindowsStartIsJudged) {
  // The window of the check in minute 10 is [8, 10).
  // (A low load: growing may act on the periods since, shrinking not.)
  auto s = SteadyPool(2, 10);
  ScalerMemory memory;
  memory.last_grow_at = Minute(8);
  EXPECT_EQ(Decide(NoStabilisation(), s.pool, s.metrics, memory, Check(10)).action, Action::kShrink);
  memory.last_grow_at = Minute(8) + seconds(1);
  EXPECT_EQ(Decide(NoStabilisation(), s.pool, s.metrics, memory, Check(10)).action, Action::kHold);
}

TEST(ScalerDecisionBoundaryTest, CheckExactlyOnAMinuteCountsTheMinuteJustEnded) {
  // At 10:00 exactly the window is [8, 10): minutes 8 (50%) and 9 (95%) of w1.
  auto s = SteadyPool(2, 50);
  s.metrics.workers[0].samples.back().percent = 95;
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Minute(10));
  ASSERT_TRUE(d.average_cpu) << d.reason;
  EXPECT_DOUBLE_EQ(*d.average_cpu, (72.5 + 50) / 2);
}

TEST(ScalerDecisionBoundaryTest, OneBelowTheMaximumGrowsToIt) {
  auto s = SteadyPool(7, 95);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_EQ(d.target_size, 8);
}

TEST(ScalerDecisionBoundaryTest, WorkerInServiceExactlyAtTheWindowsStartIsJudged) {
  auto s = SteadyPool(2, 10);
  s.pool.workers[1] = InService("w2", Minute(8));
  EXPECT_EQ(Decide(NoStabilisation(), s.pool, s.metrics, {}, Check(10)).action, Action::kShrink);
  s.pool.workers[1] = InService("w2", Minute(8) + seconds(1));
  EXPECT_EQ(Decide(NoStabilisation(), s.pool, s.metrics, {}, Check(10)).action, Action::kHold);
}

TEST(ScalerDecisionBoundaryTest, CoolDownSaysWhenTheWindowIsClear) {
  auto s = SteadyPool(2, 10);
  ScalerMemory memory;
  // Settled at 8:00: the window is clear of it from minute 10 on, 55 s after 9:05.
  memory.last_grow_at = Minute(8);
  EXPECT_TRUE(Contains(Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(9)).reason,
                       "settled 65 s ago (judged again from 55 s on)"));
  // Settled at 8:01: from minute 11 on.
  memory.last_grow_at = Minute(8) + seconds(1);
  EXPECT_TRUE(Contains(Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(9)).reason,
                       "settled 64 s ago (judged again from 115 s on)"));
}

TEST(ScalerDecisionBoundaryTest, CoolDownOfALaggingSourceCountsFromItsCompleteEnd) {
  // Settled at 8:00; the data is complete until 9:00, so the window is [7, 9) and is
  // clear of the settling one complete minute later, whatever the check's own time.
  auto s = SteadyPool(2, 10);
  s.metrics.complete_until = Minute(9);
  ScalerMemory memory;
  memory.last_grow_at = Minute(8);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "settled 125 s ago (judged again from 1 min on)")) << d.reason;
}

TEST(ScalerDecisionBoundaryTest, WindowOfExactlyOneSampleIsAveraged) {
  ScalingPolicy p;
  p.window = seconds(60);  // as long as the check interval and the sample
  auto s = SteadyPool(2, 50);
  s.metrics.workers[0].samples.back().percent = 95;  // minute 9: (95 + 50) / 2 = 72.5
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  ASSERT_TRUE(d.average_cpu) << d.reason;
  EXPECT_DOUBLE_EQ(*d.average_cpu, 72.5);
  EXPECT_EQ(d.action, Action::kGrow);
  // One second shorter than the sample: widened to the sample, and said so.
  p.check_interval = seconds(30);
  p.window = seconds(59);
  d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 72.5);
  EXPECT_TRUE(Contains(d.reason, "(the window widened from 59 s to one 1 min sample)")) << d.reason;
  EXPECT_FALSE(Contains(Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10)).reason, "widened"));
}

TEST(ScalerDecisionBoundaryTest, SamplesOfNoLengthGiveNoAverage) {
  auto s = SteadyPool(2, 95);
  s.metrics.period = seconds(0);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "no average can be taken")) << d.reason;
}

TEST(ScalerDecisionBoundaryTest, MetricsExactlyStaleAfterOld) {
  // Two check intervals (120 s) is the limit: a sample that ended 120 s ago counts,
  // 121 s does not.
  ScalingPolicy p;
  p.window = minutes(10);
  auto s = SteadyPool(2, 95);
  s.metrics.workers[0] = Flat("w1", 0, 8, 95);  // ends at minute 8
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Minute(10)).action, Action::kGrow);
  Decision d = Decide(p, s.pool, s.metrics, {}, Minute(10) + seconds(1));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_EQ(d.reason, "CPU data for worker w1 is stale: its newest sample ended 121 s ago");
}

TEST(ScalerDecisionBoundaryTest, StaleLimitIsTheLongerOfTwoIntervalsAndTwoSamples) {
  ScalingPolicy p;
  p.window = minutes(10);
  auto s = SteadyPool(2, 95);
  s.metrics.workers[0] = Flat("w1", 0, 8, 95);  // ends at minute 8
  // Checks every 90 s: 180 s; samples of a minute: 120 s. 150 s is not stale.
  p.check_interval = seconds(90);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Minute(10) + seconds(30)).action, Action::kGrow);
  // Checks every 30 s: two samples, 120 s, are the limit.
  p.check_interval = seconds(30);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Minute(10)).action, Action::kGrow);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Minute(10) + seconds(1)).action, Action::kHold);
}

TEST(ScalerDecisionBoundaryTest, ASampleThatIsNoNumberIsIgnored) {
  auto s = SteadyPool(2, 95);
  s.metrics.workers[0].samples.back().percent = std::numeric_limits<double>::quiet_NaN();
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10));
  ASSERT_TRUE(d.average_cpu) << d.reason;
  EXPECT_DOUBLE_EQ(*d.average_cpu, 95);  // w1's minute 8 only
}

TEST(ScalerDecisionBoundaryTest, PoolExactlyAtEitherBoundIsJudgedByItsLoad) {
  ScalingPolicy p;
  p.min_workers = 2;
  p.max_workers = 3;
  for (int n : {2, 3}) {
    SCOPED_TRACE(n);
    auto s = SteadyPool(n, 50);
    Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
    EXPECT_EQ(d.action, Action::kHold);
    EXPECT_TRUE(Contains(d.reason, "within the thresholds")) << d.reason;
  }
}

TEST(ScalerDecisionBoundaryTest, RecommendationExactlyAtTheSpansStartCounts) {
  ScalingPolicy p;             // stabilisation 5 min
  auto s = SteadyPool(4, 10);  // recommends 2
  ScalerMemory memory;
  memory.recommending_since = Check(5);
  memory.recommendations = {{Check(5), 3}};
  Decision d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 3);
  // One second older: outside the span.
  memory.recommending_since = Check(5) - seconds(1);
  memory.recommendations = {{Check(5) - seconds(1), 3}};
  d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.target_size, 2);
}

TEST(ScalerDecisionBoundaryTest, RecommendationsAfterNowAreIgnored) {
  ScalingPolicy p;
  auto s = SteadyPool(4, 10);
  ScalerMemory memory;
  memory.recommending_since = Check(5);
  memory.recommendations = {{Check(11), 4}};  // a clock that went back
  Decision d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 2);
  memory.recommendations = {{Check(10), 4}};  // this very moment counts
  EXPECT_EQ(Decide(p, s.pool, s.metrics, memory, Check(10)).action, Action::kHold);
}

TEST(ScalerDecisionBoundaryTest, StabilisationOneSecondShortHolds) {
  ScalingPolicy p;
  auto s = SteadyPool(4, 10);
  ScalerMemory memory;
  memory.recommending_since = Check(5) + seconds(1);
  Decision d = Decide(p, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kHold);
  EXPECT_TRUE(Contains(d.reason, "stabilising (recommendations seen for 299 s of 5 min)")) << d.reason;
}

TEST(ScalerDecisionBoundaryTest, RatioAnUlpAboveAWholeResultRoundsToIt) {
  // 4 x (0.5 + 1 ulp) is 2 plus a rounding error, meant as 2.
  ScalingPolicy p = NoStabilisation();
  p.shrink_ratio = std::nextafter(0.5, 1.0);
  auto s = SteadyPool(4, 10);
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).target_size, 2);
  // 2 x (1.5 + 1 ulp) means 3.
  p.expand_ratio = std::nextafter(1.5, 2.0);
  auto busy = SteadyPool(2, 95);
  EXPECT_EQ(Decide(p, busy.pool, busy.metrics, {}, Check(10)).target_size, 3);
}

TEST(ScalerDecisionBoundaryTest, ShrinkCandidateCarriesTheLoadAtMostAtTheMidpoint) {
  // Midpoint 50%. 4 x 25% = 100% of a worker: 2 workers carry exactly 50% -> 2;
  // 4 x 25.01%: 2 would carry 50.02% -> 3.
  ScalingPolicy p = NoStabilisation();
  auto exact = SteadyPool(4, 25 - 1e-9);  // below the 30% shrink threshold either way
  EXPECT_EQ(Decide(p, exact.pool, exact.metrics, {}, Check(10)).target_size, 2);
  auto four = SteadyPool(4, 25.01);
  Decision d = Decide(p, four.pool, four.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink);
  EXPECT_EQ(d.target_size, 3);
}

TEST(ScalerRememberTest, RecommendationExactlyAtTheSpansStartIsKept) {
  ScalingPolicy p;  // 5 min
  Decision hold;
  hold.recommended_size = 3;
  ScalerMemory memory;
  memory.recommending_since = Check(0) - seconds(1);
  memory.recommendations = {{Check(0) - seconds(1), 4}, {Check(0), 3}};
  memory = Remember(memory, p, hold, Check(5));
  ASSERT_EQ(memory.recommendations.size(), 2u);
  EXPECT_EQ(memory.recommendations.front().at, Check(0));
  EXPECT_EQ(memory.recommending_since, Check(0) - seconds(1));
}

TEST(ScalerRememberTest, ShrinkIsRememberedAsAShrink) {
  Decision shrink;
  shrink.action = Action::kShrink;
  ScalerMemory next = Remember({}, ScalingPolicy{}, shrink, Check(3));
  EXPECT_EQ(next.last_action_at, Check(3));
  EXPECT_EQ(next.last_action_direction, Direction::kShrink);
}

// ---- a saturated pool grows on the balancer's counts -------------------------------

// One worker in service since long ago at `percent` in minutes 0..9, the balancer's
// counts of minute 9 (the newest before Check(10)).
struct Saturation {
  PoolState pool;
  MetricsView metrics;
};
Saturation SaturatedPool(double percent, double offered, double served) {
  Saturation s;
  s.pool.workers = {InService("w1")};
  s.metrics.workers = {Flat("w1", 0, 10, percent)};
  s.metrics.requests = {{Minute(9), offered, served}};
  return s;
}

TEST(ScalerSaturationTest, GrowsOnTheNewestPeriodsCountsEvenWhileWorkersStart) {
  // 60 offered, 10 served at 100%: 100 x 6 / 100 = 6 workers needed at full CPU while
  // w2 starts (12 at the midpoint once none does); x2 per step.
  Saturation s = SaturatedPool(100, 60, 10);
  s.pool.workers.push_back(Starting("w2", Check(9)));
  ScalerMemory memory;
  memory.last_grow_at = Check(9);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(d.action, Action::kGrow) << d.reason;
  EXPECT_EQ(d.target_size, 4);
  EXPECT_EQ(d.reason,
            "saturated: average CPU 100.0% in the newest 1 min, with 83.3% of the requests unserved (60 "
            "offered, 10 served per second), which needs 6 workers at 100%, counting w2 as serving, at "
            "most x2 per step: grow 2 -> 4");
  ASSERT_TRUE(d.average_cpu);
  EXPECT_DOUBLE_EQ(*d.average_cpu, 100);
  EXPECT_EQ(d.recommended_size, 4);
  // Needing no more than the pool has at full CPU (starting workers counted): the
  // cool-down holds, though 8 would be needed at the midpoint.
  Saturation enough = SaturatedPool(100, 40, 10);  // 100 x 4 / 100 = 4 needed
  enough.pool.workers = {InService("w1"), Starting("w2", Check(9)), Starting("w3", Check(9)),
                         Starting("w4", Check(9))};
  EXPECT_EQ(Decide(ScalingPolicy{}, enough.pool, enough.metrics, memory, Check(10)).action, Action::kHold);
  // One more request offered: 100 x 40.5 / 10 / 100 = 4.05 -> 5.
  enough.metrics.requests = {{Minute(9), 40.5, 10}};
  Decision one_over = Decide(ScalingPolicy{}, enough.pool, enough.metrics, memory, Check(10));
  EXPECT_EQ(one_over.action, Action::kGrow) << one_over.reason;
  EXPECT_EQ(one_over.target_size, 5);
  // With no worker starting, the same count sizes the pool at the midpoint: 12, x2 per step.
  Saturation settled = SaturatedPool(100, 60, 10);
  Decision midpoint = Decide(ScalingPolicy{}, settled.pool, settled.metrics, {}, Check(10));
  EXPECT_TRUE(Contains(midpoint.reason,
                       "which needs 12 workers at 50% (the thresholds' midpoint), at most "
                       "x2 per step: grow 1 -> 2"))
      << midpoint.reason;
}

TEST(ScalerSaturationTest, NeedsNinetyFivePercentAndUnservedRequestsInTheNewestPeriod) {
  auto grows = [](Saturation s) {
    return Decide(ScalingPolicy{}, s.pool, s.metrics, {}, Check(10)).reason.starts_with("saturated");
  };
  EXPECT_TRUE(grows(SaturatedPool(95, 30, 10)));
  EXPECT_FALSE(grows(SaturatedPool(94.9, 30, 10)));
  // Everything served: CPU says it all.
  EXPECT_FALSE(grows(SaturatedPool(100, 10, 10)));
  EXPECT_TRUE(grows(SaturatedPool(100, 10.01, 10)));
  // Nothing served: no rate per worker to size with.
  EXPECT_FALSE(grows(SaturatedPool(100, 10, 0)));
  // Counts of another period than the newest are not read.
  Saturation older = SaturatedPool(100, 30, 10);
  older.metrics.requests = {{Minute(8), 30, 10}, {Minute(10), 30, 10}};
  EXPECT_FALSE(grows(older));
  // A sample that is no number is no CPU: alone, nothing to judge; beside another
  // worker's 100%, that one decides.
  Saturation nan = SaturatedPool(100, 30, 10);
  nan.metrics.workers[0].samples.back().percent = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(grows(nan));
  nan.pool.workers.push_back(InService("w2"));
  nan.metrics.workers.push_back(Flat("w2", 0, 10, 100));
  EXPECT_TRUE(grows(nan));
}

TEST(ScalerSaturationTest, OneGrowPerSaturatedPeriod) {
  Saturation s = SaturatedPool(100, 30, 10);
  ScalerMemory memory;
  // The newest period, minute 9, ends at minute 10: a grow at exactly 10:00 already
  // acted on it; one a second earlier did not.
  memory.last_grow_at = Minute(10);
  s.pool.workers.push_back(Starting("w2", Minute(10)));
  Decision at = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(at.action, Action::kHold) << at.reason;
  memory.last_grow_at = Minute(10) - seconds(1);
  Decision before = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(before.action, Action::kGrow) << before.reason;
  EXPECT_EQ(before.target_size, 3);  // 100 x 3 / 100 = 3 at full CPU while w2 starts
  // Counts read as people read them: three significant digits.
  s.metrics.requests = {{Minute(9), 30.1234, 9.87654}};
  EXPECT_TRUE(Contains(Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10)).reason,
                       "(30.1 offered, 9.88 served per second)"));
}

TEST(ScalerSaturationTest, AWorkerThatServedPartOfThePeriodCountsForThatPart) {
  // w2 came into service at 9:45: its 100% is a quarter of a worker's minute. Busy
  // 100 + 25 = 125% of a worker served 12.5/s: 30 offered need 125 x 30 / 12.5 / 50 = 6.
  Saturation s = SaturatedPool(100, 30, 12.5);
  s.pool.workers.push_back(InService("w2", Minute(9) + seconds(45)));
  s.metrics.workers.push_back(Flat("w2", 9, 10, 100));
  ScalerMemory memory;
  memory.last_grow_at = Minute(8);
  Decision d = Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10));
  EXPECT_TRUE(Contains(d.reason, "which needs 6 workers")) << d.reason;
  EXPECT_EQ(d.target_size, 4);
  // In service since the period began: a whole worker, 200 x 30 / 12.5 / 50 = 9.6 -> 10.
  s.pool.workers[1].state_since = Minute(9);
  EXPECT_TRUE(Contains(Decide(ScalingPolicy{}, s.pool, s.metrics, memory, Check(10)).reason,
                       "which needs 10 workers"));
}

TEST(ScalerSaturationTest, StopsAtTheMaximumAndThePause) {
  ScalingPolicy p;
  p.max_workers = 2;
  Saturation s = SaturatedPool(100, 60, 10);
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.target_size, 2) << d.reason;
  s.pool.workers.push_back(InService("w2"));
  s.metrics.workers.push_back(Flat("w2", 0, 10, 100));
  EXPECT_FALSE(Decide(p, s.pool, s.metrics, {}, Check(10)).reason.starts_with("saturated"));
  ScalingPolicy paused;
  paused.paused = true;
  EXPECT_EQ(Decide(paused, s.pool, s.metrics, {}, Check(10)).reason, "paused");
}

TEST(ScalerSaturationTest, AWindowSaturatedBeforeTheNewestPeriodIsScaledByItsCounts) {
  // Counts only for minute 8: the newest period (9) has none, so the saturation rule
  // does not act, and the window's average is scaled by the counts it holds.
  ScalingPolicy p;
  p.expand_ratio = 4;
  p.grow_threshold = 100;
  p.shrink_threshold = 30;
  Steady s = SteadyPool(2, 97);
  s.metrics.requests = {{Minute(8), 40, 20}};
  // 97 x 40 / 20 = 194% > 100: 2 x 194 / 65 = 5.97 -> 6.
  Decision d = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kGrow) << d.reason;
  EXPECT_EQ(d.target_size, 6);
  EXPECT_TRUE(Contains(d.reason, "50.0% of the requests unserved (load 194.0%)")) << d.reason;
  // At exactly 95% the counts are read (190%: 2 x 190 / 65 = 5.8 -> 6); at 94.9% not.
  s = SteadyPool(2, 95);
  s.metrics.requests = {{Minute(8), 40, 20}};
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).target_size, 6);
  s = SteadyPool(2, 94.9);
  s.metrics.requests = {{Minute(8), 40, 20}};
  EXPECT_EQ(Decide(p, s.pool, s.metrics, {}, Check(10)).action, Action::kHold);
}

// ---- hysteresis against the noise between workers ----------------------------------

// No stabilisation, a window of 5 minutes: the noise is judged over minutes 5..9.
ScalingPolicy GuardPolicy() {
  ScalingPolicy p = NoStabilisation();
  p.window = minutes(5);
  return p;
}

TEST(ScalerNoiseGuardTest, TheSmallerPoolMustReadThreeDeviationsUnderTheGrowThreshold) {
  // Two workers at 18.5 +- 4: a spread of 4 x sqrt(2) = 5.66 points in every minute (the
  // samples do not change in time: no noise margin), a standard error of the average of
  // 5.66 / sqrt(2) = 4. One worker would carry the load read two standard errors
  // heavier, 2 x (18.5 + 8) = 53%, at most 53 + 3 x 5.66 = 69.97 < 70: shrink.
  Steady s = SpreadPool(2, 18.5, 4);
  Decision d = Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink) << d.reason;
  EXPECT_EQ(d.target_size, 1);
  // At 18.6 +- 4: 53.2 + 16.97 = 70.17 > 70: hold, saying why.
  s = SpreadPool(2, 18.6, 4);
  d = Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kHold) << d.reason;
  EXPECT_TRUE(Contains(d.reason,
                       "; but 1 worker would read within three standard deviations of the noise (5.7% "
                       "points between workers) of the grow threshold 70%"))
      << d.reason;
  EXPECT_EQ(d.recommended_size, 1);  // the load's size; the guard only holds
  // Without a spread (every worker alike) the same load shrinks.
  s = SpreadPool(2, 18.6, 0);
  EXPECT_EQ(Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10)).target_size, 1);
  // Exactly at the grow threshold passes: 18.5 +- 4 against a threshold of its own
  // reading, computed here as Decide() computes it (5 minutes of squares 32, 5 degrees).
  const double sigma = std::sqrt(160.0 / 5);
  const double standard_error = sigma / std::sqrt(2.0);
  ScalingPolicy at_limit = GuardPolicy();
  at_limit.grow_threshold = (18.5 + 2 * standard_error) * 2 / 1 + 3 * sigma / std::sqrt(1.0);
  s = SpreadPool(2, 18.5, 4);
  d = Decide(at_limit, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink) << d.reason;
  EXPECT_EQ(d.target_size, 1);
}

TEST(ScalerNoiseGuardTest, ShrinksLessRatherThanNotAtAll) {
  // Four workers at 20 +- 7: a spread of 2 x 7 / sqrt(3) = 8.08, a standard error of
  // 4.04. Two would carry (20 + 8.08) x 2 = 56.2 + 3 x 8.08 / sqrt(2) = 73.3 > 70; three
  // 37.4 + 3 x 8.08 / sqrt(3) = 51.4: shrink to 3.
  Steady s = SpreadPool(4, 20, 7);
  Decision d = Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.action, Action::kShrink) << d.reason;
  EXPECT_EQ(d.target_size, 3);
  EXPECT_TRUE(Contains(d.reason, "; 2 workers would read within three standard deviations")) << d.reason;
  // 6 points apart: 6.93, (20 + 6.93) x 2 + 14.7 = 68.5: to 2.
  s = SpreadPool(4, 20, 6);
  EXPECT_EQ(Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10)).target_size, 2);
  // Six workers at 18 +- 18 (three idle, three at 36%): a spread of 18 x sqrt(6 / 5) =
  // 19.7, a standard error of 8.05. Three would read 34.1 x 2 + 34.2, four 51.2 + 29.6 =
  // 80.7, five 40.9 + 26.5 = 67.4: the guard steps up twice, to 5.
  s = SpreadPool(6, 18, 18);
  d = Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(d.target_size, 5) << d.reason;
  EXPECT_TRUE(Contains(d.reason, "; 3 workers would read within three standard deviations")) << d.reason;
}

TEST(ScalerNoiseGuardTest, NeedsThreeDegreesOfFreedomWithinTheSpan) {
  // Two workers, 20 points apart, at 20% on average: one would carry 40 + 3 x 14.1.
  // Samples only in minutes 7..9 (3 degrees of freedom): the noise holds the shrink.
  auto pool = [](int from) {
    Steady s;
    s.pool.workers = {InService("w1"), InService("w2")};
    s.metrics.workers = {Flat("w1", from, 10, 30), Flat("w2", from, 10, 10)};
    return s;
  };
  Steady three = pool(7);
  EXPECT_EQ(Decide(GuardPolicy(), three.pool, three.metrics, {}, Check(10)).action, Action::kHold);
  // Minutes 8..9 only: 2 degrees, no estimate, no guard.
  Steady two = pool(8);
  EXPECT_EQ(Decide(GuardPolicy(), two.pool, two.metrics, {}, Check(10)).action, Action::kShrink);
  // A sample of minute 4, before the span, does not count; one of minute 5 does.
  Steady before = pool(8);
  before.metrics.workers[0].samples.push_back({Minute(4), 30});
  before.metrics.workers[1].samples.push_back({Minute(4), 10});
  EXPECT_EQ(Decide(GuardPolicy(), before.pool, before.metrics, {}, Check(10)).action, Action::kShrink);
  Steady first = pool(8);
  first.metrics.workers[0].samples.push_back({Minute(5), 30});
  first.metrics.workers[1].samples.push_back({Minute(5), 10});
  EXPECT_EQ(Decide(GuardPolicy(), first.pool, first.metrics, {}, Check(10)).action, Action::kHold);
}

// ---- the average under the shrink threshold by more than its standard error ---------

TEST(ScalerNoiseThresholdTest, TheAverageMustBeUnderTheShrinkThresholdByMoreThanItsStandardError) {
  // Four workers at 20 +- 4 over minutes 5..9: squares of 64 a minute over 3 degrees of
  // freedom, a spread of sqrt(320 / 15) = 4.62, a standard error of 4.62 / sqrt(4) = 2.31,
  // computed here as Decide() computes it.
  Steady s = SpreadPool(4, 20, 4);
  const double standard_error = std::sqrt(320.0 / 15) / std::sqrt(4.0);
  ScalingPolicy p = GuardPolicy();
  // The threshold exactly at the average plus its standard error: the load may be at it;
  // hold, recommending the pool's size.
  p.shrink_threshold = 20 + standard_error;
  Decision at = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(at.action, Action::kHold);
  EXPECT_TRUE(Contains(at.reason,
                       "but by less than the standard error of the average (2.3% points, 4.6% "
                       "between workers)"))
      << at.reason;
  EXPECT_EQ(at.recommended_size, 4);
  // Above it by a little: shrink, to 2 (4 x 20 / 46.2 = 1.73; 2 x 24.6 + 9.8 < 70).
  p.shrink_threshold = 20 + standard_error + 0.01;
  Decision over = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(over.action, Action::kShrink) << over.reason;
  EXPECT_EQ(over.target_size, 2);
  // Below it by a little: hold, as at it.
  p.shrink_threshold = 20 + standard_error - 0.01;
  Decision under = Decide(p, s.pool, s.metrics, {}, Check(10));
  EXPECT_EQ(under.action, Action::kHold);
  EXPECT_EQ(under.recommended_size, 4);
  // The default threshold: 28 +- 4 reads 28%, under 30 but not by 2.31: hold; the same
  // average without a spread shrinks.
  s = SpreadPool(4, 28, 4);
  EXPECT_EQ(Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10)).action, Action::kHold);
  s = SpreadPool(4, 28, 0);
  EXPECT_EQ(Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10)).action, Action::kShrink);
}

// ---- the noise remembered from earlier checks ---------------------------------------

// Periods of 2 workers 30 points apart (squares 450, 1 degree of freedom each).
std::vector<NoisePeriod> Noisy(std::vector<TimePoint> starts) {
  std::vector<NoisePeriod> periods;
  for (TimePoint start : starts) periods.push_back({.start = start, .squares = 450, .freedom = 1});
  return periods;
}

TEST(ScalerNoiseMemoryTest, ADecisionCarriesTheNoiseOfEachPeriodItRead) {
  // Two workers at 20 +- 5 over minutes 5..9, the 5-minute window: five periods of
  // squares 50 and 1 degree of freedom each; the leaving workers and minutes before the
  // span do not count.
  Steady s = SpreadPool(2, 20, 5);
  s.pool.workers.push_back(InService("gone"));
  s.pool.workers.back().state = WorkerState::kLeaving;
  s.metrics.workers.push_back(Flat("gone", 0, 10, 90));
  Decision d = Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10));
  ASSERT_EQ(d.noise.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(d.noise[i], (NoisePeriod{.start = Minute(5 + i), .squares = 50, .freedom = 1}));
  }
  // A single worker has no spread: no period.
  Steady one = SteadyPool(1, 20);
  EXPECT_TRUE(Decide(GuardPolicy(), one.pool, one.metrics, {}, Check(10)).noise.empty());
}

TEST(ScalerNoiseMemoryTest, PeriodsFromThePastFortyMinutesCount) {
  // Two workers alike at 24% (no spread now): one would carry 48%: shrink.
  Steady s = SteadyPool(2, 24);
  EXPECT_EQ(Decide(GuardPolicy(), s.pool, s.metrics, {}, Check(10)).target_size, 1);
  // Three remembered periods 30 points apart, the oldest exactly 40 minutes before the
  // check: a spread of sqrt(1350 / 8) = 13.0 with the 5 alike periods of the span, a
  // standard error of 9.2: 24 + 9.2 is not under 30: hold.
  ScalerMemory memory;
  const TimePoint since = Check(10) - minutes(40);
  memory.noise = Noisy({since, since + minutes(1), since + minutes(2)});
  Decision held = Decide(GuardPolicy(), s.pool, s.metrics, memory, Check(10));
  EXPECT_EQ(held.action, Action::kHold);
  EXPECT_TRUE(Contains(held.reason, "(9.2% points, 13.0% between workers)")) << held.reason;
  // The oldest a second earlier: two periods of 1 degree and five alike, still 7 in all:
  // sqrt(900 / 7) = 11.3, 24 + 8.0: hold; with only those two and no fresh spread (one
  // worker a minute) nothing counts.
  memory.noise[0].start = since - seconds(1);
  Decision older = Decide(GuardPolicy(), s.pool, s.metrics, memory, Check(10));
  EXPECT_TRUE(Contains(older.reason, "(8.0% points, 11.3% between workers)")) << older.reason;
  Steady lone;
  lone.pool.workers = {InService("a"), InService("b")};
  lone.metrics.workers = {WorkerCpu{"a", {{Minute(5), 24}, {Minute(7), 24}, {Minute(9), 24}}},
                          WorkerCpu{"b", {{Minute(6), 24}, {Minute(8), 24}}}};
  EXPECT_EQ(Decide(GuardPolicy(), lone.pool, lone.metrics, memory, Check(10)).action, Action::kShrink);
  memory.noise[0].start = since;
  EXPECT_EQ(Decide(GuardPolicy(), lone.pool, lone.metrics, memory, Check(10)).action, Action::kHold);
}

TEST(ScalerNoiseMemoryTest, APeriodMeasuredAgainReplacesTheRememberedOne) {
  // Remembered: minutes 7..9 30 points apart. Measured now: the same minutes alike. The
  // fresh figures count, not both: no spread, shrink.
  Steady s = SteadyPool(2, 24);
  ScalerMemory memory;
  memory.noise = Noisy({Minute(7), Minute(8), Minute(9)});
  EXPECT_EQ(Decide(GuardPolicy(), s.pool, s.metrics, memory, Check(10)).action, Action::kShrink);
}

TEST(ScalerNoiseMemoryTest, RememberKeepsFortyMinutesOfNoiseWhateverThePoolDid) {
  ScalingPolicy p;
  const TimePoint now = Check(60);
  ScalerMemory memory;
  memory.noise = Noisy({now - minutes(40) - seconds(1), now - minutes(40), Minute(58)});
  Decision grow;
  grow.action = Action::kGrow;
  grow.current_size = 2;
  grow.target_size = 4;
  grow.noise = {{.start = Minute(58), .squares = 2, .freedom = 1},
                {.start = Minute(59), .squares = 8, .freedom = 3}};
  const ScalerMemory next = Remember(memory, p, grow, now);
  // The period older than 40 minutes is gone; minute 58 is the new figure; minute 59 added.
  EXPECT_EQ(next.noise, (std::vector<NoisePeriod>{{.start = now - minutes(40), .squares = 450, .freedom = 1},
                                                  {.start = Minute(58), .squares = 2, .freedom = 1},
                                                  {.start = Minute(59), .squares = 8, .freedom = 3}}));
  // A shrink, a hold that could not judge and a manual change keep it too.
  Decision shrink = grow;
  shrink.action = Action::kShrink;
  shrink.target_size = 1;
  EXPECT_EQ(Remember(memory, p, shrink, now).noise, next.noise);
  Decision blind;
  blind.noise = grow.noise;
  EXPECT_EQ(Remember(memory, p, blind, now).noise, next.noise);
  EXPECT_EQ(RememberManualChange(next, now).noise, next.noise);
}

}  // namespace
}  // namespace maskfleet::scaler
