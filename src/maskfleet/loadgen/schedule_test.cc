#include "maskfleet/loadgen/schedule.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

using testing::DoubleNear;
using testing::ElementsAre;
using testing::Pointwise;

MATCHER(Near, "") { return std::abs(std::get<0>(arg) - std::get<1>(arg)) < 1e-9; }

TEST(ScheduleTest, ConstantRateStartsAtOnceAndSpacesEvenly) {
  EXPECT_THAT(TakeOffsets(OpenLoopSchedule::Constant(5, 10), 100),
              Pointwise(Near(), std::vector<double>{0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8}));
}

TEST(ScheduleTest, FractionalRate) {
  EXPECT_THAT(TakeOffsets(OpenLoopSchedule::Constant(0.5, 3), 100),
              Pointwise(Near(), std::vector<double>{0, 2, 4}));
}

TEST(ScheduleTest, CountZeroMeansNoCap) {
  OpenLoopSchedule schedule = OpenLoopSchedule::Constant(1000, 0);
  const std::vector<double> offsets = TakeOffsets(schedule, 100000);
  ASSERT_EQ(offsets.size(), 100000u);
  EXPECT_NEAR(offsets.back(), 99.999, 1e-9);  // no drift from adding up 1/rate
}

TEST(ScheduleTest, ProfileStepsCarryTheFractionOwed) {
  // 10/s for 0.95 s owes 9.5 requests: 0..9 at 0, 0.1 ... 0.9; request 10 needs
  // half a request more at 1/s, so it starts at 1.45.
  OpenLoopSchedule schedule({{.duration_s = 0.95, .rate = 10}, {.duration_s = 3, .rate = 1}}, 0);
  EXPECT_THAT(TakeOffsets(schedule, 100),
              Pointwise(Near(), std::vector<double>{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.45,
                                                    2.45, 3.45}));
}

TEST(ScheduleTest, ProfileEndsAfterItsLastStep) {
  OpenLoopSchedule schedule({{.duration_s = 2, .rate = 2}, {.duration_s = 1, .rate = 4}}, 0);
  EXPECT_THAT(TakeOffsets(schedule, 100),
              Pointwise(Near(), std::vector<double>{0, 0.5, 1, 1.5, 2, 2.25, 2.5, 2.75}));
}

TEST(ScheduleTest, AZeroRateStepIsAPause) {
  OpenLoopSchedule schedule(
      {{.duration_s = 1, .rate = 2}, {.duration_s = 5, .rate = 0}, {.duration_s = 1, .rate = 2}}, 0);
  EXPECT_THAT(TakeOffsets(schedule, 100), Pointwise(Near(), std::vector<double>{0, 0.5, 6, 6.5}));
}

TEST(ScheduleTest, LeadingPauseDelaysTheFirstRequest) {
  OpenLoopSchedule schedule({{.duration_s = 3, .rate = 0}, {.duration_s = 1, .rate = 1}}, 0);
  EXPECT_THAT(TakeOffsets(schedule, 100), ElementsAre(DoubleNear(3, 1e-9)));
}

TEST(ScheduleTest, CountCapsAProfile) {
  OpenLoopSchedule schedule({{.duration_s = 100, .rate = 10}}, 7);
  EXPECT_EQ(TakeOffsets(schedule, 100).size(), 7u);
}

TEST(ScheduleTest, OffsetsNeverDecreaseAcrossManySteps) {
  LoadProfile profile;
  for (int i = 0; i < 50; ++i) profile.push_back({.duration_s = 0.37, .rate = (i % 7) * 3.3});
  const std::vector<double> offsets = TakeOffsets(OpenLoopSchedule(profile, 0), 100000);
  ASSERT_FALSE(offsets.empty());
  for (std::size_t i = 1; i < offsets.size(); ++i) ASSERT_LE(offsets[i - 1], offsets[i]) << i;
  EXPECT_LT(offsets.back(), ProfileDuration(profile));
  // The count matches the integral of the rate, give or take the last fraction.
  double integral = 0;
  for (const RateStep& step : profile) integral += step.rate * step.duration_s;
  EXPECT_NEAR(static_cast<double>(offsets.size()), integral, 1.0);
}

}  // namespace
}  // namespace maskfleet::loadgen
