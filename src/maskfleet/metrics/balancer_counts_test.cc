#include "maskfleet/metrics/balancer_counts.h"

#include <gtest/gtest.h>

namespace maskfleet::metrics {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// The start of a minute, long after the epoch.
const Clock::TimePoint kMinute{seconds(1'800'000'000 / 60 * 60)};

BalancerCounterReading At(seconds offset, std::uint64_t offered, std::uint64_t served,
                          std::string generation = "100-5") {
  return {kMinute + offset, std::move(generation), offered, served};
}

// Readings every 10 s over one minute and the first reading of the next, at `offered` and
// `served` requests per second.
std::vector<BalancerCounterReading> SteadyMinute(std::uint64_t offered, std::uint64_t served) {
  std::vector<BalancerCounterReading> readings;
  for (int s = 0; s <= 60; s += 10) {
    readings.push_back(At(seconds(s), 1000 + offered * s, 900 + served * s));
  }
  return readings;
}

TEST(metrics_BalancerCountsTest, SteadyCountersGiveTheirRatePerSecond) {
  const auto periods = RequestsPerPeriod(SteadyMinute(5, 4), kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].start, kMinute);
  EXPECT_DOUBLE_EQ(periods[0].offered, 5);
  EXPECT_DOUBLE_EQ(periods[0].served, 4);
}

TEST(metrics_BalancerCountsTest, AnIntervalAcrossABoundaryIsSharedByWallTime) {
  // 40 requests between 50 s and 70 s: 20 to each minute; the rest of each minute is idle.
  const std::vector<BalancerCounterReading> readings = {At(seconds(20), 0, 0), At(seconds(50), 0, 0),
                                                        At(seconds(70), 40, 40), At(seconds(100), 40, 40)};
  const auto periods = RequestsPerPeriod(readings, kMinute, kMinute + minutes(2), seconds(60));
  ASSERT_EQ(periods.size(), 2u);
  EXPECT_DOUBLE_EQ(periods[0].offered, 20.0 / 40);  // 20 requests over the 40 s seen
  EXPECT_DOUBLE_EQ(periods[1].offered, 20.0 / 40);
}

TEST(metrics_BalancerCountsTest, ShorterPeriodsAlignToTheirMultiples) {
  const auto periods = RequestsPerPeriod(SteadyMinute(3, 3), kMinute, kMinute + minutes(1), seconds(20));
  ASSERT_EQ(periods.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(periods[i].start, kMinute + seconds(20 * i));
    EXPECT_DOUBLE_EQ(periods[i].offered, 3);
  }
}

// The counter-reset boundaries: the same count is a quiet interval, one lower a reset.
TEST(metrics_BalancerCountsTest, AnUnchangedCounterIsAQuietIntervalNotAReset) {
  const std::vector<BalancerCounterReading> readings = {At(seconds(0), 500, 400), At(seconds(60), 500, 400)};
  const auto periods = RequestsPerPeriod(readings, kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_DOUBLE_EQ(periods[0].offered, 0);
  EXPECT_DOUBLE_EQ(periods[0].served, 0);
}

TEST(metrics_BalancerCountsTest, AnOfferedCounterOneLowerIsAResetAndCountsNothing) {
  // Reset at 30 s: the interval 20..30 s is left out; 0..20 and 30..60 count (50 s seen).
  const std::vector<BalancerCounterReading> readings = {
      At(seconds(0), 1000, 1000), At(seconds(20), 1040, 1040), At(seconds(30), 1039, 1040),
      At(seconds(60), 1099, 1100)};
  const auto periods = RequestsPerPeriod(readings, kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_DOUBLE_EQ(periods[0].offered, (40.0 + 60.0) / 50);
  EXPECT_DOUBLE_EQ(periods[0].served, (40.0 + 60.0) / 50);
}

TEST(metrics_BalancerCountsTest, AServedCounterOneLowerIsAResetToo) {
  const std::vector<BalancerCounterReading> readings = {At(seconds(0), 10, 10), At(seconds(30), 20, 9),
                                                        At(seconds(60), 50, 39)};
  const auto periods = RequestsPerPeriod(readings, kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_DOUBLE_EQ(periods[0].offered, 1);  // 30 requests over the 30 s after the reset
  EXPECT_DOUBLE_EQ(periods[0].served, 1);
}

TEST(metrics_BalancerCountsTest, ANewGenerationIsAResetEvenWithHigherCounters) {
  // HAProxy restarted at about 30 s and counted past the old figures already: without the
  // generation, 30..40 s would add a bogus 10,000 requests.
  const std::vector<BalancerCounterReading> readings = {
      At(seconds(0), 0, 0, "100-5"), At(seconds(30), 300, 300, "100-5"),
      At(seconds(40), 10'300, 10'300, "200-9"), At(seconds(60), 10'500, 10'500, "200-9")};
  const auto periods = RequestsPerPeriod(readings, kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_DOUBLE_EQ(periods[0].offered, (300.0 + 200.0) / 50);
}

TEST(metrics_BalancerCountsTest, AReadingNotAfterThePreviousCountsNothing) {
  const std::vector<BalancerCounterReading> readings = {At(seconds(0), 0, 0), At(seconds(40), 40, 40),
                                                        At(seconds(40), 80, 80), At(seconds(60), 100, 100)};
  const auto periods = RequestsPerPeriod(readings, kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_DOUBLE_EQ(periods[0].offered, (40.0 + 20.0) / 60);
}

TEST(metrics_BalancerCountsTest, AnIntervalOfExactlyMaxIntervalCountsOneSecondMoreDoesNot) {
  const std::vector<BalancerCounterReading> at_limit = {At(seconds(0), 0, 0), At(seconds(120), 240, 240)};
  const auto kept = RequestsPerPeriod(at_limit, kMinute, kMinute + minutes(2), seconds(60), seconds(120));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_DOUBLE_EQ(kept[0].offered, 2);
  EXPECT_DOUBLE_EQ(kept[1].offered, 2);

  const std::vector<BalancerCounterReading> over = {At(seconds(0), 0, 0), At(seconds(121), 242, 242)};
  EXPECT_TRUE(RequestsPerPeriod(over, kMinute, kMinute + minutes(2), seconds(60), seconds(120)).empty());
  const std::vector<BalancerCounterReading> under = {At(seconds(0), 0, 0), At(seconds(119), 238, 238)};
  EXPECT_EQ(RequestsPerPeriod(under, kMinute, kMinute + minutes(2), seconds(60), seconds(120)).size(), 2u);
}

TEST(metrics_BalancerCountsTest, APeriodHalfCoveredCountsLessDoesNot) {
  const std::vector<BalancerCounterReading> half = {At(seconds(30), 0, 0), At(seconds(60), 30, 15)};
  const auto kept = RequestsPerPeriod(half, kMinute, kMinute + minutes(1), seconds(60));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_DOUBLE_EQ(kept[0].offered, 1);
  EXPECT_DOUBLE_EQ(kept[0].served, 0.5);

  const std::vector<BalancerCounterReading> less = {At(seconds(31), 0, 0), At(seconds(60), 29, 29)};
  EXPECT_TRUE(RequestsPerPeriod(less, kMinute, kMinute + minutes(1), seconds(60)).empty());
}

TEST(metrics_BalancerCountsTest, OnlyWholePeriodsInsideTheRangeAreAnswered) {
  std::vector<BalancerCounterReading> readings;
  for (int s = 0; s <= 180; s += 10) readings.push_back(At(seconds(s), 2 * s, 2 * s));
  // [kMinute + 1 s, kMinute + 179 s): only the second minute lies wholly inside.
  const auto periods = RequestsPerPeriod(readings, kMinute + seconds(1), kMinute + seconds(179), seconds(60));
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].start, kMinute + minutes(1));
  EXPECT_TRUE(RequestsPerPeriod(readings, kMinute, kMinute, seconds(60)).empty());
  EXPECT_TRUE(RequestsPerPeriod(readings, kMinute, kMinute + minutes(3), seconds(0)).empty());
}

TEST(metrics_BalancerCountsTest, FewerThanTwoReadingsGiveNothing) {
  EXPECT_TRUE(RequestsPerPeriod({}, kMinute, kMinute + minutes(1), seconds(60)).empty());
  const std::vector<BalancerCounterReading> one = {At(seconds(0), 5, 5)};
  EXPECT_TRUE(RequestsPerPeriod(one, kMinute, kMinute + minutes(1), seconds(60)).empty());
}

}  // namespace
}  // namespace maskfleet::metrics
