#include "maskfleet/common/clock.h"

#include <gtest/gtest.h>

namespace maskfleet {
namespace {

TEST(ClockTest, SimulatedClockMovesOnlyWhenTold) {
  SimulatedClock clock;
  const Clock::TimePoint start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(std::chrono::minutes(2));
  EXPECT_EQ(clock.Now() - start, std::chrono::minutes(2));
}

TEST(ClockTest, RealClockFollowsSystemTime) {
  const auto before = std::chrono::system_clock::now();
  const auto now = RealClock().Now();
  EXPECT_GE(now, before);
  EXPECT_LT(now - before, std::chrono::seconds(5));
}

}  // namespace
}  // namespace maskfleet
