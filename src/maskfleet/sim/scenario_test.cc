#include "maskfleet/sim/scenario.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace maskfleet::sim {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The message of a scenario that must not parse.
std::string ErrorOf(const std::string& text) {
  Result<Scenario> s = ParseScenario(text, "bad.toml");
  EXPECT_FALSE(s.has_value()) << "parsed:\n" << text;
  if (s) return "";
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  return s.error().message;
}

const char* kMinimal = R"(duration = "30m"
[[load]]
at = 0
rate = 5
)";

TEST(ParseDurationTest, UnitsAndPlainSeconds) {
  EXPECT_EQ(*ParseDuration("90s"), seconds(90));
  EXPECT_EQ(*ParseDuration("10m"), minutes(10));
  EXPECT_EQ(*ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(*ParseDuration("2m30s"), seconds(150));
  EXPECT_EQ(*ParseDuration("45"), seconds(45));
  EXPECT_EQ(*ParseDuration("0"), seconds(0));
}

TEST(ParseDurationTest, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "m", "10x", "1.5m", "-5s", "30s1m", "1m1m", "1m30", " 5s", "5 s"}) {
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
  }
  EXPECT_TRUE(Contains(ParseDuration("10x").error().message, "\"90s\""));
}

TEST(FormatDurationTest, ReadsAsPeopleWriteIt) {
  EXPECT_EQ(FormatDuration(seconds(90)), "1 min 30 s");
  EXPECT_EQ(FormatDuration(minutes(90)), "1 h 30 min");
  EXPECT_EQ(FormatDuration(seconds(0)), "0 s");
}

TEST(ParseScenarioTest, DefaultsAreTheSpecificationsPolicy) {
  Result<Scenario> s = ParseScenario(kMinimal, "scenarios/minimal.toml");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->name, "minimal");
  EXPECT_EQ(s->duration, minutes(30));
  EXPECT_EQ(s->initial_workers, 1);
  EXPECT_EQ(s->boot_delay, seconds(90));
  EXPECT_EQ(s->worker_capacity, 10);
  EXPECT_EQ(s->sample_period, seconds(60));
  EXPECT_EQ(s->cpu_noise, 0);
  EXPECT_EQ(s->policy, scaler::ScalingPolicy{});
  EXPECT_EQ(s->policy.grow_threshold, 70);
  EXPECT_EQ(s->policy.shrink_threshold, 30);
  EXPECT_EQ(s->policy.expand_ratio, 2.0);
  EXPECT_EQ(s->policy.shrink_ratio, 0.5);
  EXPECT_EQ(s->policy.min_workers, 1);
  EXPECT_EQ(s->policy.max_workers, 8);
  EXPECT_EQ(s->policy.check_interval, seconds(60));
  EXPECT_EQ(s->policy.window, seconds(120));
  EXPECT_EQ(s->policy.shrink_stabilisation, seconds(300));
  EXPECT_EQ(s->target_utilisation, 70);
  EXPECT_EQ(s->settling, minutes(20));
  ASSERT_EQ(s->load.size(), 1u);
  EXPECT_EQ(s->load[0].kind, LoadKind::kStep);
  EXPECT_EQ(s->load[0].rate, 5);
}

TEST(ParseScenarioTest, EveryField) {
  Result<Scenario> s = ParseScenario(R"(
name = "full"
description = "all of it"
duration = "2h"
initial_workers = 3

[workers]
boot_delay = "2m"
capacity = 12.5

[monitoring]
sample_period = "30s"
cpu_noise = 4
seed = 99

[policy]
grow_threshold = 80
shrink_threshold = 20.5
expand_ratio = 1.5
shrink_ratio = 0.75
min_workers = 2
max_workers = 6
check_interval = "30s"
window = "3m"
shrink_stabilisation = "10m"
paused = false

[evaluation]
target_utilisation = 60
settling = "25m"

[[load]]
at = "0m"
rate = 5
[[load]]
at = "10m"
ramp_to = 40
over = "20m"
[[load]]
at = "1h"
rate = 60
for = "3m"
)",
                                     "x.toml");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->name, "full");
  EXPECT_EQ(s->description, "all of it");
  EXPECT_EQ(s->duration, minutes(120));
  EXPECT_EQ(s->initial_workers, 3);
  EXPECT_EQ(s->boot_delay, minutes(2));
  EXPECT_EQ(s->worker_capacity, 12.5);
  EXPECT_EQ(s->sample_period, seconds(30));
  EXPECT_EQ(s->cpu_noise, 4);
  EXPECT_EQ(s->seed, 99u);
  EXPECT_EQ(s->policy.grow_threshold, 80);
  EXPECT_EQ(s->policy.shrink_threshold, 20.5);
  EXPECT_EQ(s->policy.expand_ratio, 1.5);
  EXPECT_EQ(s->policy.shrink_ratio, 0.75);
  EXPECT_EQ(s->policy.min_workers, 2);
  EXPECT_EQ(s->policy.max_workers, 6);
  EXPECT_EQ(s->policy.check_interval, seconds(30));
  EXPECT_EQ(s->policy.window, minutes(3));
  EXPECT_EQ(s->policy.shrink_stabilisation, minutes(10));
  EXPECT_EQ(s->target_utilisation, 60);
  EXPECT_EQ(s->settling, minutes(25));
  ASSERT_EQ(s->load.size(), 3u);
  EXPECT_EQ(s->load[1].kind, LoadKind::kRamp);
  EXPECT_EQ(s->load[1].at, minutes(10));
  EXPECT_EQ(s->load[1].span, minutes(20));
  EXPECT_EQ(s->load[1].rate, 40);
  EXPECT_EQ(s->load[2].kind, LoadKind::kSpike);
  EXPECT_EQ(s->load[2].span, minutes(3));
}

TEST(ParseScenarioTest, TargetUtilisationFollowsTheGrowThreshold) {
  Result<Scenario> s = ParseScenario(std::string(kMinimal) + "[policy]\ngrow_threshold = 80\n", "x.toml");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->target_utilisation, 80);
}

TEST(ParseScenarioErrorsTest, NameTheFileLineAndField) {
  const std::string m = ErrorOf(std::string(kMinimal) + "[workers]\ncapacity = -1\n");
  EXPECT_TRUE(Contains(m, "bad.toml:6:")) << m;
  EXPECT_TRUE(Contains(m, "workers.capacity must be a number above 0")) << m;
  EXPECT_TRUE(Contains(m, "not -1")) << m;
}

TEST(ParseScenarioErrorsTest, UnknownKeyIsNotIgnored) {
  const std::string m = ErrorOf(std::string(kMinimal) + "[workers]\nboot_dealy = \"2m\"\n");
  EXPECT_TRUE(Contains(m, "bad.toml:6:")) << m;
  EXPECT_TRUE(Contains(m, "unknown key 'workers.boot_dealy'")) << m;
  EXPECT_TRUE(Contains(m, "boot_delay")) << m;  // the known keys are listed
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[polcy]\nx = 1\n"), "unknown key 'polcy'"));
}

TEST(ParseScenarioErrorsTest, DurationRequiredAndWellFormed) {
  EXPECT_TRUE(Contains(ErrorOf("[[load]]\nat = 0\nrate = 1\n"), "duration is required"));
  const std::string m = ErrorOf("duration = \"ten minutes\"\n[[load]]\nat = 0\nrate = 1\n");
  EXPECT_TRUE(Contains(m, "bad.toml:1: duration must be a duration such as")) << m;
  EXPECT_TRUE(Contains(m, "not \"ten minutes\"")) << m;
  EXPECT_TRUE(Contains(ErrorOf("duration = 30\n[[load]]\nat = 0\nrate = 1\n"), "from 1 min to"));
}

TEST(ParseScenarioErrorsTest, PolicyThatCannotConvergeIsRefusedWithValidatesMessage) {
  const std::string m = ErrorOf(std::string(kMinimal) +
                                "[policy]\ngrow_threshold = 60\nshrink_threshold = 65\n");
  EXPECT_TRUE(
      Contains(m, "bad.toml:6: [policy]: shrink threshold (65%) must be below the grow threshold (60%)"))
      << m;
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[policy]\nmax_workers = 9\n"),
                       "policy.max_workers must be a whole number from 1 to 8"));
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[policy]\nexpand_ratio = \"2\"\n"),
                       "policy.expand_ratio must be a number"));
}

TEST(ParseScenarioErrorsTest, LoadEntries) {
  EXPECT_TRUE(Contains(ErrorOf("duration = \"30m\"\n"), "no [[load]] entries"));
  EXPECT_TRUE(Contains(ErrorOf("duration = \"30m\"\n[[load]]\nat = \"5m\"\nrate = 1\n"),
                       "bad.toml:3: load[1].at must be 0 for the first entry"));
  const std::string both = ErrorOf(std::string(kMinimal) + "[[load]]\nat = \"5m\"\nrate = 1\nramp_to = 3\n");
  EXPECT_TRUE(Contains(both, "bad.toml:6: load[2] needs exactly one of rate")) << both;
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[[load]]\nat = \"5m\"\nramp_to = 3\n"),
                       "load[2].over is required"));
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[[load]]\nat = \"5m\"\nrate = -3\n"),
                       "load[2].rate must be a number from 0"));
  const std::string overlap = ErrorOf(
      std::string(kMinimal) +
      "[[load]]\nat = \"5m\"\nramp_to = 3\nover = \"10m\"\n[[load]]\nat = \"10m\"\nrate = 1\n");
  EXPECT_TRUE(Contains(
      overlap, "bad.toml:10: load[3].at (10 min) must come after the previous change has finished (15 min)"))
      << overlap;
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[[load]]\nat = \"25m\"\nrate = 9\nfor = \"10m\"\n"),
                       "must finish within the duration (30 min)"));
  EXPECT_TRUE(Contains(ErrorOf(std::string(kMinimal) + "[[load]]\nat = \"5m\"\nrate = 9\nover = \"1m\"\n"),
                       "over belongs to a ramp"));
}

TEST(ParseScenarioTest, QueueBootAndMonitoringFields) {
  Result<Scenario> s = ParseScenario(R"(duration = "30m"
[workers]
boot_jitter = "30s"
boot_failure = 0.1
admission_limit = 8
[monitoring]
noise_correlation = "5m"
delay = "2m"
[arrivals]
process = "poisson"
seed = 9
[[load]]
at = 0
rate = 5
)",
                                     "q.toml");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(s->boot_jitter, seconds(30));
  EXPECT_DOUBLE_EQ(s->boot_failure, 0.1);
  EXPECT_EQ(s->admission_limit, 8);
  EXPECT_EQ(s->noise_correlation, minutes(5));
  EXPECT_EQ(s->metrics_delay, minutes(2));
  EXPECT_EQ(s->arrivals, ArrivalProcess::kPoisson);
  EXPECT_EQ(s->arrival_seed, 9u);
  // Left out, they change nothing.
  Result<Scenario> plain = ParseScenario(kMinimal, "p.toml");
  EXPECT_EQ(plain->boot_jitter, seconds(0));
  EXPECT_EQ(plain->boot_failure, 0);
  EXPECT_EQ(plain->admission_limit, 0);
  EXPECT_EQ(plain->noise_correlation, seconds(0));
  EXPECT_EQ(plain->metrics_delay, seconds(0));
  EXPECT_EQ(plain->arrivals, ArrivalProcess::kFluid);
}

TEST(ParseScenarioErrorsTest, QueueBootAndMonitoringFields) {
  const std::string head = "duration = \"30m\"\n";
  const std::string load = "[[load]]\nat = 0\nrate = 5\n";
  EXPECT_TRUE(Contains(ErrorOf(head + "[workers]\nboot_failure = 1.5\n" + load),
                       "bad.toml:3: workers.boot_failure must be a number from 0 to 1"));
  EXPECT_TRUE(Contains(ErrorOf(head + "[workers]\nadmission_limit = -1\n" + load),
                       "workers.admission_limit must be a whole number from 0"));
  EXPECT_TRUE(Contains(ErrorOf(head + "[arrivals]\nprocess = \"bursty\"\n" + load),
                       "arrivals.process must be \"fluid\" or \"poisson\", not \"bursty\""));
  EXPECT_TRUE(
      Contains(ErrorOf(head + "[monitoring]\ndelay = \"2h\"\n" + load), "monitoring.delay must be from"));
  EXPECT_TRUE(Contains(ErrorOf(head + "[arrivals]\nrate = 3\n" + load), "unknown key 'arrivals.rate'"));
}

TEST(ParseScenarioTest, Waves) {
  Result<Scenario> s = ParseScenario(R"(duration = "60m"
[[load]]
at = 0
wave = "sine"
low = 5
high = 45
period = "20m"
for = "40m"
[[load]]
at = "45m"
wave = "sawtooth"
low = 0
high = 10
period = "2m"
)",
                                     "w.toml");
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->load.size(), 2u);
  EXPECT_EQ(s->load[0].kind, LoadKind::kSine);
  EXPECT_EQ(s->load[0].span, minutes(40));
  EXPECT_EQ(s->load[1].kind, LoadKind::kSawtooth);
  EXPECT_EQ(s->load[1].span, minutes(15));  // to the end of the run
  // Sine: low at its start, high half a period later, low again a period later.
  EXPECT_NEAR(DemandAt(*s, 0), 5, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 600), 45, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 300), 25, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 1200), 5, 1e-9);
  // After it, the rate before it: none.
  EXPECT_NEAR(DemandAt(*s, 2400), 0, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 2399), 5 + 40 * (1 - std::cos(2 * 3.141592653589793 * 1199 / 1200)) / 2, 1e-9);
  // Sawtooth: linear from low to high, back to low at each period.
  EXPECT_NEAR(DemandAt(*s, 2700), 0, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 2760), 5, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 2819), 10 * 119.0 / 120, 1e-9);
  EXPECT_NEAR(DemandAt(*s, 2820), 0, 1e-9);
  // Waves are not constant load; the stretch between them is.
  const std::vector<LoadSegment> segments = Segments(*s);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_FALSE(segments[0].constant);
  EXPECT_TRUE(segments[1].constant);
  EXPECT_EQ(segments[1].begin, minutes(40));
  EXPECT_FALSE(segments[2].constant);

  EXPECT_TRUE(Contains(
      ErrorOf(
          "duration = \"30m\"\n[[load]]\nat = 0\nwave = \"square\"\nlow = 1\nhigh = 2\nperiod = \"1m\"\n"),
      "load[1].wave must be \"sine\" or \"sawtooth\", not \"square\""));
  EXPECT_TRUE(Contains(ErrorOf("duration = \"30m\"\n[[load]]\nat = 0\nwave = \"sine\"\nlow = 1\nhigh = 2\n"),
                       "load[1].period is required with wave"));
  EXPECT_TRUE(Contains(
      ErrorOf("duration = \"30m\"\n[[load]]\nat = 0\nwave = \"sine\"\nlow = 5\nhigh = 2\nperiod = \"1m\"\n"),
      "load[1].high must be a number from low"));
  EXPECT_TRUE(Contains(ErrorOf("duration = \"30m\"\n[[load]]\nat = 0\nrate = 5\nlow = 1\n"),
                       "load[1].low belongs to a wave"));
  EXPECT_TRUE(Contains(ErrorOf("duration = \"30m\"\n[[load]]\nat = 0\nrate = 5\nwave = \"sine\"\n"),
                       "needs exactly one of rate"));
}

TEST(ParseScenarioErrorsTest, NotTomlNamesTheLine) {
  const std::string m = ErrorOf("duration = \"30m\"\nrate = = 5\n");
  EXPECT_TRUE(Contains(m, "bad.toml: not valid TOML")) << m;
  EXPECT_TRUE(Contains(m, "2")) << m;
}

TEST(ReadScenarioFileTest, MissingFile) {
  Result<Scenario> s = ReadScenarioFile("/nonexistent/scenario.toml");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
}

Scenario Profile() {
  Result<Scenario> s = ParseScenario(R"(duration = "60m"
[evaluation]
settling = "5m"
[[load]]
at = 0
rate = 10
[[load]]
at = "10m"
ramp_to = 30
over = "10m"
[[load]]
at = "30m"
rate = 50
for = "2m"
[[load]]
at = "40m"
rate = 4
)",
                                     "profile.toml");
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return *s;
}

TEST(DemandAtTest, StepsRampsAndSpikes) {
  const Scenario s = Profile();
  EXPECT_EQ(DemandAt(s, 0), 10);
  EXPECT_EQ(DemandAt(s, 599), 10);
  EXPECT_DOUBLE_EQ(DemandAt(s, 600), 10);
  EXPECT_DOUBLE_EQ(DemandAt(s, 900), 20);  // half way up the ramp
  EXPECT_DOUBLE_EQ(DemandAt(s, 1200), 30);
  EXPECT_DOUBLE_EQ(DemandAt(s, 1799), 30);
  EXPECT_DOUBLE_EQ(DemandAt(s, 1800), 50);  // the spike
  EXPECT_DOUBLE_EQ(DemandAt(s, 1919), 50);
  EXPECT_DOUBLE_EQ(DemandAt(s, 1920), 30);  // back to the rate before it
  EXPECT_DOUBLE_EQ(DemandAt(s, 2400), 4);
  EXPECT_DOUBLE_EQ(DemandAt(s, 3599), 4);
}

TEST(SegmentsTest, ConstantStretchesBetweenChangesAfterTheSettlingAllowance) {
  const std::vector<LoadSegment> segments = Segments(Profile());
  ASSERT_EQ(segments.size(), 6u);
  auto check = [](const LoadSegment& seg, int begin_min, int end_min, bool constant, double before,
                  double rate) {
    EXPECT_EQ(seg.begin, minutes(begin_min));
    EXPECT_EQ(seg.end, minutes(end_min));
    EXPECT_EQ(seg.constant, constant);
    EXPECT_DOUBLE_EQ(seg.rate_before, before);
    EXPECT_DOUBLE_EQ(seg.rate, rate);
  };
  check(segments[0], 0, 10, true, 0, 10);
  check(segments[1], 10, 20, false, 10, 30);  // the ramp
  check(segments[2], 20, 30, true, 10, 30);   // after the ramp from 10
  check(segments[3], 30, 32, true, 30, 50);   // the spike
  check(segments[4], 32, 40, true, 50, 30);
  check(segments[5], 40, 60, true, 30, 4);
  EXPECT_EQ(segments[0].steady_from, minutes(5));
  EXPECT_TRUE(segments[0].HasConstantLoadPeriod());
  EXPECT_FALSE(segments[1].HasConstantLoadPeriod());
  EXPECT_FALSE(segments[3].HasConstantLoadPeriod());  // 2 minutes < 5 minutes of settling
  EXPECT_EQ(segments[5].steady_from, minutes(45));
  EXPECT_TRUE(segments[2].after_ramp);
  EXPECT_FALSE(segments[4].after_ramp);
}

// toml11 3.7 read past its buffer on a literal string holding bytes that are not
// UTF-8 (found by the scenario fuzz target); such text is refused before toml11 sees it.
TEST(ParseScenarioTest, LiteralStringThatIsNotUtf8IsRefusedNotReadPastItsEnd) {
  const std::string text = "duration = \"10m\"\ndescription = 'x\xff'\n";
  // An exactly sized copy, so that AddressSanitizer sees a read past it.
  const std::string exact(text.begin(), text.end());
  Result<Scenario> s = ParseScenario(exact, "bad.toml");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message, "bad.toml:2: not valid UTF-8 (a TOML file is UTF-8)");
}

}  // namespace
}  // namespace maskfleet::sim
