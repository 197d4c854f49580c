#include "maskfleet/metrics/minute_aggregator.h"

#include <gtest/gtest.h>

namespace maskfleet::metrics {
namespace {

using std::chrono::seconds;
using Outcome = MinuteAggregator::Outcome;

// Minute 0 of the tests starts at this epoch second (a multiple of 60).
constexpr long long kBase = 1'700'000'040;
static_assert(kBase % 60 == 0);

Clock::TimePoint At(double s) {
  return Clock::TimePoint(std::chrono::duration_cast<Clock::TimePoint::duration>(
      std::chrono::duration<double>(static_cast<double>(kBase) + s)));
}
std::chrono::sys_seconds Minute(int i) { return std::chrono::sys_seconds(seconds(kBase + 60 * i)); }
CpuCounterReading Reading(double at, double cpu_seconds, double allotment = 0.5) {
  return {At(at),
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(cpu_seconds)),
          allotment};
}

TEST(metrics_MinuteAggregatorTest, FirstReadingIsOnlyABaseline) {
  MinuteAggregator agg;
  EXPECT_EQ(agg.Add(Reading(0, 100)), Outcome::kBaseline);
  EXPECT_TRUE(agg.TakeChanged().empty());
}

TEST(metrics_MinuteAggregatorTest, FullMinuteAtHalfTheAllotment) {
  // Allotment 0.5 CPU; readings every 10 s, 2.5 CPU-s each: 0.25 CPU = 50 %.
  MinuteAggregator agg;
  for (int i = 0; i <= 6; ++i) agg.Add(Reading(10 * i, 2.5 * i));
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_EQ(minutes[0].minute, Minute(0));
  EXPECT_NEAR(minutes[0].percent, 50.0, 1e-9);
  EXPECT_NEAR(minutes[0].covered.count(), 60.0, 1e-9);
  EXPECT_TRUE(minutes[0].complete);
  // Reported once complete, then forgotten.
  EXPECT_TRUE(agg.TakeChanged().empty());
}

TEST(metrics_MinuteAggregatorTest, IntervalAcrossABoundaryIsSplitByWallTime) {
  // 50 s -> 70 s uses 4 CPU-s at allotment 0.5: 8 allotment-seconds over 20 s, of
  // which 10 s (4 allotment-seconds) fall in each minute: 40 % in both.
  MinuteAggregator agg;
  agg.Add(Reading(50, 0));
  EXPECT_EQ(agg.Add(Reading(70, 4)), Outcome::kAdded);
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(minutes[0].minute, Minute(0));
  EXPECT_NEAR(minutes[0].percent, 40.0, 1e-9);
  EXPECT_NEAR(minutes[0].covered.count(), 10.0, 1e-9);
  EXPECT_TRUE(minutes[0].complete);
  EXPECT_EQ(minutes[1].minute, Minute(1));
  EXPECT_NEAR(minutes[1].percent, 40.0, 1e-9);
  EXPECT_FALSE(minutes[1].complete);
}

TEST(metrics_MinuteAggregatorTest, PartialMinuteIsTheShareOfTheSeenPart) {
  // A worker first read at 35 s: the minute's figure covers 35..60 s only.
  // 35 -> 45: 1 CPU-s at allotment 1 (10 %); 45 -> 60: 6 CPU-s (40 %).
  // Minute 0: (1 + 6) / 25 = 28 %.
  MinuteAggregator agg;
  agg.Add(Reading(35, 10, 1.0));
  agg.Add(Reading(45, 11, 1.0));
  auto running = agg.TakeChanged();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_NEAR(running[0].percent, 10.0, 1e-9);
  EXPECT_FALSE(running[0].complete);
  agg.Add(Reading(60, 17, 1.0));
  auto done = agg.TakeChanged();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_NEAR(done[0].percent, 28.0, 1e-9);
  EXPECT_NEAR(done[0].covered.count(), 25.0, 1e-9);
  EXPECT_TRUE(done[0].complete);
}

TEST(metrics_MinuteAggregatorTest, CounterResetStartsANewBaseline) {
  // 0..20 s: 10 CPU-s at allotment 1 = 50 %. At 30 s the counter reads 2 (the
  // process was replaced): 20..30 s is unknown. 30..60 s: 2 -> 17 = 15 CPU-s = 50 %.
  MinuteAggregator agg;
  agg.Add(Reading(0, 100, 1.0));
  agg.Add(Reading(20, 110, 1.0));
  EXPECT_EQ(agg.Add(Reading(30, 2, 1.0)), Outcome::kReset);
  agg.Add(Reading(60, 17, 1.0));
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_NEAR(minutes[0].percent, 50.0, 1e-9);
  EXPECT_NEAR(minutes[0].covered.count(), 50.0, 1e-9);
}

TEST(metrics_MinuteAggregatorTest, LongGapLeavesTheMinutesInBetweenWithoutData) {
  MinuteAggregatorOptions options;
  options.max_interval = seconds(60);
  MinuteAggregator agg(options);
  agg.Add(Reading(0, 0, 1.0));
  agg.Add(Reading(30, 3, 1.0));  // 10 %
  // Nothing read for 4 minutes: not spread over minutes 1..4.
  EXPECT_EQ(agg.Add(Reading(270, 100, 1.0)), Outcome::kBaseline);
  agg.Add(Reading(300, 106, 1.0));  // 270..300: 6 CPU-s = 20 %
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 2u);
  EXPECT_EQ(minutes[0].minute, Minute(0));
  EXPECT_NEAR(minutes[0].percent, 10.0, 1e-9);
  EXPECT_NEAR(minutes[0].covered.count(), 30.0, 1e-9);
  EXPECT_TRUE(minutes[0].complete);
  EXPECT_EQ(minutes[1].minute, Minute(4));
  EXPECT_NEAR(minutes[1].percent, 20.0, 1e-9);
  EXPECT_TRUE(minutes[1].complete);
}

TEST(metrics_MinuteAggregatorTest, ClockSteppingBackStartsANewBaseline) {
  MinuteAggregator agg;
  agg.Add(Reading(10, 0, 1.0));
  agg.Add(Reading(20, 1, 1.0));
  EXPECT_EQ(agg.Add(Reading(20, 5, 1.0)), Outcome::kOutOfOrder);
  EXPECT_EQ(agg.Add(Reading(15, 5, 1.0)), Outcome::kOutOfOrder);
  EXPECT_EQ(agg.Add(Reading(25, 6, 1.0)), Outcome::kAdded);  // 15..25: 1 CPU-s
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  // 10..20: 1 CPU-s, 15..25: 1 CPU-s: 2 CPU-s over 20 covered seconds.
  EXPECT_NEAR(minutes[0].percent, 10.0, 1e-9);
}

TEST(metrics_MinuteAggregatorTest, NonPositiveAllotmentIsIgnored) {
  MinuteAggregator agg;
  agg.Add(Reading(0, 0, 1.0));
  EXPECT_EQ(agg.Add(Reading(10, 5, 0.0)), Outcome::kInvalid);
  EXPECT_EQ(agg.Add(Reading(20, 4, 1.0)), Outcome::kAdded);  // 0..20: 4 CPU-s = 20 %
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_NEAR(minutes[0].percent, 20.0, 1e-9);
}

TEST(metrics_MinuteAggregatorTest, IdleIsZeroNotMissing) {
  MinuteAggregator agg;
  agg.Add(Reading(0, 7));
  agg.Add(Reading(60, 7));
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_EQ(minutes[0].percent, 0.0);
  EXPECT_TRUE(minutes[0].complete);
}

TEST(metrics_MinuteAggregatorTest, BusierThanTheAllotmentIsNotClipped) {
  // Allotment 0.25, 30 CPU-s in a minute: 0.5 CPU = 200 %.
  MinuteAggregator agg;
  agg.Add(Reading(0, 0, 0.25));
  agg.Add(Reading(60, 30, 0.25));
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_NEAR(minutes[0].percent, 200.0, 1e-9);
}

TEST(metrics_MinuteAggregatorTest, RunningMinuteIsReportedOnlyWhenChanged) {
  MinuteAggregator agg;
  agg.Add(Reading(0, 0, 1.0));
  agg.Add(Reading(10, 1, 1.0));
  EXPECT_EQ(agg.TakeChanged().size(), 1u);
  EXPECT_TRUE(agg.TakeChanged().empty());
  agg.Add(Reading(20, 2, 1.0));
  EXPECT_EQ(agg.TakeChanged().size(), 1u);
}

TEST(metrics_MinuteAggregatorTest, SubSecondReadingsAddUp) {
  // Readings every 250 ms at a steady 0.3 CPU, allotment 0.6: 50 %.
  MinuteAggregator agg;
  for (int i = 0; i <= 240; ++i) agg.Add(Reading(0.25 * i, 0.075 * i, 0.6));
  auto minutes = agg.TakeChanged();
  ASSERT_EQ(minutes.size(), 1u);
  EXPECT_NEAR(minutes[0].percent, 50.0, 1e-6);
  EXPECT_NEAR(minutes[0].covered.count(), 60.0, 1e-6);
}

// CpuPerPeriod: readings every 5 s of a worker with 0.25 CPU.
std::vector<CpuCounterReading> Readings(double from, double to, double step, double busy_share) {
  std::vector<CpuCounterReading> out;
  for (double t = from; t <= to + 1e-9; t += step) {
    out.push_back({At(t),
                   std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::duration<double>((t - from) * 0.25 * busy_share)),
                   0.25});
  }
  return out;
}

TEST(metrics_CpuPerPeriodTest, SteadyLoadGivesItsShareInEveryCompletePeriod) {
  const auto periods = CpuPerPeriod(Readings(0, 60, 5, 0.6), At(0), At(60), seconds(10));
  ASSERT_EQ(periods.size(), 6u);
  for (std::size_t i = 0; i < periods.size(); ++i) {
    EXPECT_EQ(periods[i].first, At(10.0 * static_cast<double>(i)));
    EXPECT_NEAR(periods[i].second, 60.0, 1e-6);
  }
}

TEST(metrics_CpuPerPeriodTest, OnlyCompletePeriodsInsideTheRangeCount) {
  // [3, 57): the periods starting at 10 .. 40 are inside; 0 and 50 are cut.
  const auto periods = CpuPerPeriod(Readings(0, 60, 5, 0.5), At(3), At(57), seconds(10));
  ASSERT_EQ(periods.size(), 4u);
  EXPECT_EQ(periods.front().first, At(10));
  EXPECT_EQ(periods.back().first, At(40));
}

TEST(metrics_CpuPerPeriodTest, ALoadChangeShowsInThePeriodsAfterIt) {
  std::vector<CpuCounterReading> r = Readings(0, 30, 5, 0.2);
  const auto base = r.back().cpu_used;
  for (double t = 35; t <= 60; t += 5) {
    r.push_back({At(t),
                 base + std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::duration<double>((t - 30) * 0.25 * 0.9)),
                 0.25});
  }
  const auto periods = CpuPerPeriod(r, At(0), At(60), seconds(30));
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_NEAR(periods[0].second, 20.0, 1e-6);
  EXPECT_NEAR(periods[1].second, 90.0, 1e-6);
}

TEST(metrics_CpuPerPeriodTest, HalfCoveredPeriodsAreLeftOutAndRestartsBreakTheSeries) {
  // Readings only from 0 to 5 s, then a restart (counter back to 0) and 50..60 s.
  std::vector<CpuCounterReading> r = Readings(0, 5, 5, 0.5);
  for (const CpuCounterReading& c : Readings(50, 60, 5, 0.5)) r.push_back(c);  // from 0 again
  const auto periods = CpuPerPeriod(r, At(0), At(60), seconds(10));
  // 0..10 is half covered (kept), 10..50 has no interval, 50..60 full.
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_EQ(periods[0].first, At(0));
  EXPECT_EQ(periods[1].first, At(50));
  EXPECT_NEAR(periods[1].second, 50.0, 1e-6);
}

TEST(metrics_CpuPerPeriodTest, NoReadingsOrEmptyRangeGiveNothing) {
  EXPECT_TRUE(CpuPerPeriod({}, At(0), At(60), seconds(10)).empty());
  EXPECT_TRUE(CpuPerPeriod(Readings(0, 60, 5, 0.5), At(60), At(0), seconds(10)).empty());
  EXPECT_TRUE(CpuPerPeriod(Readings(0, 60, 5, 0.5), At(0), At(60), seconds(0)).empty());
}

}  // namespace
}  // namespace maskfleet::metrics
