#include "maskfleet/scaler/policy.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace maskfleet::scaler {
namespace {

using std::chrono::minutes;
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

// ---- Exact boundaries: the value at each limit, one under, one over.

TEST(ScalerPolicyTest, EveryThresholdAndRatioMustBeANumber) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const struct {
    const char* name;
    double ScalingPolicy::*field;
  } fields[] = {{"grow threshold", &ScalingPolicy::grow_threshold},
                {"shrink threshold", &ScalingPolicy::shrink_threshold},
                {"expand ratio", &ScalingPolicy::expand_ratio},
                {"shrink ratio", &ScalingPolicy::shrink_ratio}};
  for (const auto& f : fields) {
    for (double bad : {nan, inf, -inf}) {
      SCOPED_TRACE(std::string(f.name) + " " + std::to_string(bad));
      ScalingPolicy p;
      p.*f.field = bad;
      EXPECT_EQ(Problem(p), "every threshold and ratio must be a number");
    }
  }
}

TEST(ScalerPolicyTest, GrowThresholdEdges) {
  const struct {
    double grow;
    bool accepted;
  } cases[] = {{0, false}, {0.5, true}, {100, true}, {100.5, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.grow);
    ScalingPolicy p;
    p.grow_threshold = c.grow;
    p.shrink_threshold = 0;
    EXPECT_EQ(Problem(p).empty(), c.accepted) << Problem(p);
  }
  ScalingPolicy p;
  p.grow_threshold = 100.5;
  EXPECT_EQ(Problem(p), "grow threshold (100.5%) must be above 0% and at most 100% of the workers' CPU");
  // 0 is refused as a grow threshold, not only for leaving no room below it.
  p.grow_threshold = 0;
  p.shrink_threshold = 0;
  EXPECT_EQ(Problem(p), "grow threshold (0%) must be above 0% and at most 100% of the workers' CPU");
}

TEST(ScalerPolicyTest, ShrinkThresholdEdges) {
  const struct {
    double shrink;
    bool accepted;
  } cases[] = {{-0.5, false}, {0, true}, {99.5, true}, {100, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.shrink);
    ScalingPolicy p;
    p.grow_threshold = 100;
    p.shrink_threshold = c.shrink;
    EXPECT_EQ(Problem(p).empty(), c.accepted) << Problem(p);
  }
  ScalingPolicy p;
  p.grow_threshold = 100;
  p.shrink_threshold = 100;
  EXPECT_EQ(Problem(p), "shrink threshold (100%) must be at least 0% and below 100% of the workers' CPU");
}

TEST(ScalerPolicyTest, ExpandRatioEdges) {
  const struct {
    double ratio;
    bool accepted;
  } cases[] = {{1, false}, {1.001, true}, {10, true}, {10.001, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ratio);
    ScalingPolicy p;
    p.expand_ratio = c.ratio;
    EXPECT_EQ(Problem(p).empty(), c.accepted) << Problem(p);
  }
}

TEST(ScalerPolicyTest, ShrinkRatioEdges) {
  const struct {
    double ratio;
    bool accepted;
  } cases[] = {{0, false}, {0.001, true}, {0.999, true}, {1, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ratio);
    ScalingPolicy p;
    p.shrink_ratio = c.ratio;
    EXPECT_EQ(Problem(p).empty(), c.accepted) << Problem(p);
  }
}

TEST(ScalerPolicyTest, WorkerBoundEdges) {
  const struct {
    int min, max;
    const char* problem;  // "" when accepted
  } cases[] = {
      {0, 8, "minimum workers (0) must be between 1 and 8"},
      {1, 1, ""},
      {8, 8, ""},
      {9, 8, "minimum workers (9) must be between 1 and 8"},
      {1, 0, "maximum workers (0) must be between 1 and 8"},
      {1, 9, "maximum workers (9) must be between 1 and 8"},
      {4, 3, "minimum workers (4) must not exceed maximum workers (3)"},
      {3, 3, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.min) + ".." + std::to_string(c.max));
    ScalingPolicy p;
    p.min_workers = c.min;
    p.max_workers = c.max;
    EXPECT_EQ(Problem(p), c.problem);
  }
}

TEST(ScalerPolicyTest, DurationEdges) {
  ScalingPolicy p;
  p.check_interval = seconds(1);
  EXPECT_EQ(Problem(p), "");
  p.check_interval = seconds(-1);
  EXPECT_EQ(Problem(p), "check interval (-1 s) must be positive");
  p = {};
  p.window = seconds(0);
  EXPECT_EQ(Problem(p), "averaging window (0 s) must be positive");
  p = {};
  p.shrink_stabilisation = seconds(-1);
  EXPECT_EQ(Problem(p), "shrink stabilisation (-1 s) must not be negative");
}

TEST(ScalerPolicyTest, WindowEqualToTheCheckIntervalIsAllowed) {
  ScalingPolicy p;
  p.check_interval = seconds(60);
  p.window = seconds(60);
  EXPECT_EQ(Problem(p), "");
  p.window = seconds(59);
  EXPECT_EQ(Problem(p),
            "averaging window (59 s) must be at least the check interval (60 s), or some "
            "minutes would never be looked at");
  p.window = seconds(61);
  EXPECT_EQ(Problem(p), "");
}

// ---- warnings: accepted, but not what the numbers suggest -------------------------------

std::vector<std::string> WarnedFields(const ScalingPolicy& p, seconds period = seconds(60)) {
  std::vector<std::string> fields;
  for (const PolicyWarning& w : Warnings(p, period)) fields.push_back(w.field);
  return fields;
}

TEST(ScalerPolicyWarningsTest, TheDefaultPolicyHasNone) {
  EXPECT_TRUE(Warnings(ScalingPolicy{}, seconds(60)).empty());
}

TEST(ScalerPolicyWarningsTest, ThresholdsThatOneResizeCarriesAcrossEachOther) {
  // The careless policy: grow 60 / shrink 55 with ratios 2.0 / 0.5: the bound is
  // 60 x min(0.5, 1 / 2) = 30.
  ScalingPolicy p;
  p.grow_threshold = 60;
  p.shrink_threshold = 55;
  const std::vector<PolicyWarning> warnings = Warnings(p, seconds(60));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].field, "shrink_threshold");
  EXPECT_TRUE(warnings[0].message.starts_with(
      "shrink threshold (55%) is not below grow threshold x min(shrink ratio, 1 / expand ratio) = 30%"))
      << warnings[0].message;
  EXPECT_TRUE(warnings[0].message.find("at 57.5% (the thresholds' midpoint)") != std::string::npos)
      << warnings[0].message;
  // Exactly at the bound warns, just under it does not: 70 x 0.5 = 35.
  p = {};
  p.shrink_threshold = 35;
  EXPECT_EQ(WarnedFields(p), std::vector<std::string>{"shrink_threshold"});
  p.shrink_threshold = 34.9;
  EXPECT_TRUE(WarnedFields(p).empty());
  // The other ratio binds when it is the smaller: expand 4 -> 70 / 4 = 17.5.
  p = {};
  p.expand_ratio = 4;
  p.shrink_threshold = 17.5;
  EXPECT_EQ(WarnedFields(p), std::vector<std::string>{"shrink_threshold"});
  p.shrink_threshold = 17.4;
  EXPECT_TRUE(WarnedFields(p).empty());
  // And the shrink ratio when it is: 0.3 -> 21.
  p = {};
  p.shrink_ratio = 0.3;
  p.shrink_threshold = 21;
  EXPECT_EQ(WarnedFields(p), std::vector<std::string>{"shrink_threshold"});
  p.shrink_threshold = 20.9;
  EXPECT_TRUE(WarnedFields(p).empty());
}

TEST(ScalerPolicyWarningsTest, WindowShorterThanOneSample) {
  // 5-minute samples (CloudWatch basic monitoring) and the default 2-minute window.
  const std::vector<PolicyWarning> warnings = Warnings(ScalingPolicy{}, minutes(5));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].field, "window_seconds");
  EXPECT_EQ(warnings[0].message,
            "averaging window (120 s) is shorter than one metrics sample (300 s): each check widens it to "
            "one sample, and says so in its reason");
  ScalingPolicy p;
  p.window = minutes(5);
  p.check_interval = minutes(5);
  EXPECT_TRUE(WarnedFields(p, minutes(5)).empty());
  p.window = minutes(5) - seconds(1);
  EXPECT_EQ(WarnedFields(p, minutes(5)), std::vector<std::string>{"window_seconds"});
}

TEST(ScalerPolicyWarningsTest, WindowLongerThanFourChecks) {
  ScalingPolicy p;
  p.window = minutes(4);  // exactly 4 checks of 60 s
  EXPECT_TRUE(WarnedFields(p).empty());
  p.window = minutes(4) + seconds(1);
  EXPECT_EQ(WarnedFields(p), std::vector<std::string>{"window_seconds"});
  p.window = minutes(30);
  const std::vector<PolicyWarning> warnings = Warnings(p, seconds(60));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(
      warnings[0].message.starts_with("averaging window (1800 s) is longer than 4 check intervals (240 s)"))
      << warnings[0].message;
}

TEST(ScalerPolicyWarningsTest, SeveralInTheOrderOfTheForm) {
  ScalingPolicy p;
  p.grow_threshold = 60;
  p.shrink_threshold = 55;
  p.window = minutes(30);
  EXPECT_EQ(WarnedFields(p, minutes(60)),
            (std::vector<std::string>{"shrink_threshold", "window_seconds", "window_seconds"}));
}

}  // namespace
}  // namespace maskfleet::scaler
