#include "maskfleet/scaler/policy.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace maskfleet::scaler {
namespace {

using std::chrono::seconds;

// The message Validate() gives for `policy`, or "" when it is accepted.
std::string Problem(const ScalingPolicy& policy) {
  auto status = Validate(policy);
  if (status) return "";
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  return status.error().message;
}

TEST(ScalerPolicyTest, DefaultsAreTheSpecificationsAndValid) {
  ScalingPolicy p;
  EXPECT_EQ(p.grow_threshold, 70.0);
  EXPECT_EQ(p.shrink_threshold, 30.0);
  EXPECT_EQ(p.expand_ratio, 2.0);
  EXPECT_EQ(p.shrink_ratio, 0.5);
  EXPECT_EQ(p.min_workers, 1);
  EXPECT_EQ(p.max_workers, 8);
  EXPECT_EQ(p.check_interval, seconds(60));
  EXPECT_EQ(p.window, seconds(120));
  EXPECT_EQ(p.shrink_stabilisation, seconds(300));
  EXPECT_FALSE(p.paused);
  EXPECT_EQ(Problem(p), "");
}

TEST(ScalerPolicyTest, ShrinkThresholdMustBeBelowGrowThreshold) {
  ScalingPolicy p;
  p.shrink_threshold = 70;
  EXPECT_EQ(Problem(p),
            "shrink threshold (70%) must be below the grow threshold (70%): otherwise one load "
            "can call for both growing and shrinking and the pool never settles");
  p.shrink_threshold = 80;
  EXPECT_NE(Problem(p).find("shrink threshold (80%) must be below"), std::string::npos);
  p.shrink_threshold = 69.5;
  EXPECT_EQ(Problem(p), "");
}

TEST(ScalerPolicyTest, ThresholdsMustBePercentages) {
  ScalingPolicy p;
  p.grow_threshold = 120;
  EXPECT_NE(Problem(p).find("grow threshold (120%)"), std::string::npos);
  p.grow_threshold = 0;
  EXPECT_NE(Problem(p).find("grow threshold (0%)"), std::string::npos);
  p = {};
  p.shrink_threshold = -5;
  EXPECT_NE(Problem(p).find("shrink threshold (-5%)"), std::string::npos);
  p = {};
  p.grow_threshold = 100;
  p.shrink_threshold = 0;
  EXPECT_EQ(Problem(p), "");
  p.grow_threshold = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(Problem(p).find("must be a number"), std::string::npos);
}

TEST(ScalerPolicyTest, ExpandRatioMustGrowAndNotAbsurdly) {
  ScalingPolicy p;
  p.expand_ratio = 1.0;
  EXPECT_NE(Problem(p).find("expand ratio (1) must be above 1"), std::string::npos);
  p.expand_ratio = 0.5;
  EXPECT_NE(Problem(p).find("expand ratio (0.5)"), std::string::npos);
  p.expand_ratio = 11;
  EXPECT_NE(Problem(p).find("at most 10"), std::string::npos);
  p.expand_ratio = 1.2;
  EXPECT_EQ(Problem(p), "");
  p.expand_ratio = 10;
  EXPECT_EQ(Problem(p), "");
}

TEST(ScalerPolicyTest, ShrinkRatioMustBeBetweenZeroAndOne) {
  ScalingPolicy p;
  for (double bad : {0.0, 1.0, 1.5, -0.5}) {
    p.shrink_ratio = bad;
    EXPECT_NE(Problem(p).find("shrink ratio"), std::string::npos) << bad;
  }
  p.shrink_ratio = 0.25;
  EXPECT_EQ(Problem(p), "");
}

TEST(ScalerPolicyTest, BoundsWithinOneToEight) {
  ScalingPolicy p;
  p.min_workers = 0;
  EXPECT_EQ(Problem(p), "minimum workers (0) must be between 1 and 8");
  p = {};
  p.max_workers = 9;
  EXPECT_EQ(Problem(p), "maximum workers (9) must be between 1 and 8");
  p = {};
  p.min_workers = 5;
  p.max_workers = 4;
  EXPECT_EQ(Problem(p), "minimum workers (5) must not exceed maximum workers (4)");
  p.max_workers = 5;
  EXPECT_EQ(Problem(p), "");
}

TEST(ScalerPolicyTest, IntervalsMustBePositiveAndWindowCoverTheInterval) {
  ScalingPolicy p;
  p.check_interval = seconds(0);
  EXPECT_EQ(Problem(p), "check interval (0 s) must be positive");
  p = {};
  p.window = seconds(-1);
  EXPECT_EQ(Problem(p), "averaging window (-1 s) must be positive");
  p = {};
  p.window = seconds(30);
  EXPECT_EQ(Problem(p),
            "averaging window (30 s) must be at least the check interval (60 s), or some "
            "minutes would never be looked at");
  p = {};
  p.shrink_stabilisation = seconds(-60);
  EXPECT_NE(Problem(p).find("shrink stabilisation (-60 s)"), std::string::npos);
  p.shrink_stabilisation = seconds(0);
  EXPECT_EQ(Problem(p), "");
}

}  // namespace
}  // namespace maskfleet::scaler
