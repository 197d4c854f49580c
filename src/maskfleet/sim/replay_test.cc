#include "maskfleet/sim/replay.h"

#include <gtest/gtest.h>

#include <string>

#include "maskfleet/sim/chart.h"
#include "maskfleet/sim/metrics.h"

namespace maskfleet::sim {
namespace {

using std::chrono::seconds;

// Four seconds: a check at 1 s grows 1 -> 2 (the row of the check already shows the
// new worker starting), a hold at 3 s with no average. Columns in another order than
// live-run.sh writes them, and one that nothing reads.
constexpr const char* kRecording =
    "in_service,t,starting,offered_rate,note,average_cpu,action,size_before,size_after,sent,failed\n"
    "1,0,0,4,x,,,,,4,0\n"
    "1,1,1,4,,95.5,grow,1,2,4,1\n"
    "1,2,1,4,,95.5,,,,4,2\n"
    "2,3,0,0.5,,,hold,2,2,1,0\n";

Trace Parse(const std::string& text) {
  Result<Trace> t = ParseReplay(text, "live.csv");
  EXPECT_TRUE(t.has_value()) << t.error().message;
  return t ? *t : Trace{};
}

std::string ParseError(const std::string& text) {
  Result<Trace> t = ParseReplay(text, "live.csv");
  EXPECT_FALSE(t.has_value());
  return t ? "" : t.error().message;
}

// A four-second scenario (a file must last a minute at least, hence the override).
Scenario StepScenario() {
  Result<Scenario> s = ParseScenario(R"(duration = 60
[policy]
check_interval = "1s"
window = "2s"
[[load]]
at = 0
rate = 4
[[load]]
at = 3
rate = 0.5
)",
                                     "live.toml");
  EXPECT_TRUE(s.has_value()) << s.error().message;
  if (!s) return Scenario{};
  s->duration = seconds(4);
  return *s;
}

TEST(ReplayTest, ReadsEverySecondAndEveryCheck) {
  const Trace t = Parse(kRecording);
  EXPECT_EQ(t.controller, "live");
  EXPECT_EQ(t.demand, (std::vector<double>{4, 4, 4, 0.5}));
  EXPECT_EQ(t.in_service, (std::vector<int>{1, 1, 1, 2}));
  EXPECT_EQ(t.starting, (std::vector<int>{0, 1, 1, 0}));
  ASSERT_EQ(t.checks.size(), 2u);

  const CheckRecord& grow = t.checks[0];
  EXPECT_EQ(grow.at, seconds(1));
  EXPECT_EQ(grow.decision.action, scaler::Action::kGrow);
  EXPECT_EQ(grow.decision.current_size, 1);
  EXPECT_EQ(grow.decision.target_size, 2);
  EXPECT_EQ(grow.decision.average_cpu, 95.5);
  EXPECT_TRUE(grow.Resized());
  // The pool the check saw: the row before, not the new worker already starting.
  EXPECT_EQ(grow.in_service, 1);
  EXPECT_EQ(grow.starting, 0);

  const CheckRecord& hold = t.checks[1];
  EXPECT_EQ(hold.decision.action, scaler::Action::kHold);
  EXPECT_FALSE(hold.decision.average_cpu.has_value());
  EXPECT_FALSE(hold.Resized());
  EXPECT_EQ(hold.starting, 1);

  // Requests are what was sent, unserved what failed.
  EXPECT_DOUBLE_EQ(t.requests, 13);
  EXPECT_DOUBLE_EQ(t.unserved_requests, 3);
}

TEST(ReplayTest, WithoutRequestColumnsTheOfferedLoadCountsAndNothingIsUnserved) {
  const Trace t = Parse("t,offered_rate,in_service,starting\n0,2,1,0\n1,3,1,0\n");
  EXPECT_DOUBLE_EQ(t.requests, 5);
  EXPECT_DOUBLE_EQ(t.unserved_requests, 0);
  EXPECT_TRUE(t.checks.empty());
}

TEST(ReplayTest, AcceptsWindowsLineEndsAndNoFinalNewline) {
  const Trace t = Parse("t,offered_rate,in_service,starting\r\n0,2,1,0\r\n1,2,1,0");
  EXPECT_EQ(t.demand.size(), 2u);
}

TEST(ReplayTest, RefusesWhatItCannotRead) {
  EXPECT_EQ(ParseError(""), "live.csv: empty, expected a header line");
  EXPECT_EQ(ParseError("t,offered_rate,in_service,starting\n"), "live.csv: no rows after the header");
  EXPECT_NE(ParseError("t,offered_rate,starting\n0,1,0\n").find("live.csv:1: no column 'in_service'"),
            std::string::npos);
  EXPECT_EQ(ParseError("t,offered_rate,in_service,starting\n0,1,1,0\n2,1,1,0\n"),
            "live.csv:3: t must go up by one second from 0, expected 1, not 2");
  EXPECT_EQ(ParseError("t,offered_rate,in_service,starting\n0,1,x,0\n"),
            "live.csv:2: in_service must be a whole number of at least 0, not 'x'");
  EXPECT_EQ(ParseError("t,offered_rate,in_service,starting\n0,-1,1,0\n"),
            "live.csv:2: offered_rate must be a number of at least 0, not '-1'");
  EXPECT_EQ(
      ParseError("t,offered_rate,in_service,starting,action,size_before,size_after\n0,1,1,0,jump,1,2\n"),
      "live.csv:2: action must be grow, shrink, hold or empty, not 'jump'");
  EXPECT_EQ(ParseError("t,offered_rate,in_service,starting,action,size_before\n0,1,1,0,grow,1\n"),
            "live.csv:2: size_after must be a whole number of at least 0, not ''");
}

TEST(ReplayTest, ReadReplayFileNamesAMissingFile) {
  Result<Trace> t = ReadReplayFile("/nonexistent/live.csv");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, ErrorCode::kNotFound);
}

TEST(ReplayTest, MatchesOnlyItsScenario) {
  const Scenario s = StepScenario();
  Trace t = Parse(kRecording);
  EXPECT_TRUE(CheckReplayMatches(t, s, "live.csv").has_value());

  t.demand[2] = 5;
  Status other_load = CheckReplayMatches(t, s, "live.csv");
  ASSERT_FALSE(other_load.has_value());
  EXPECT_EQ(other_load.error().message,
            "live.csv: the offered rate at t = 2 is 5 req/s, scenario live has 4");

  Trace shorter = Parse("t,offered_rate,in_service,starting\n0,4,1,0\n");
  Status length = CheckReplayMatches(shorter, s, "live.csv");
  ASSERT_FALSE(length.has_value());
  EXPECT_EQ(length.error().message, "live.csv holds 1 seconds, scenario live lasts 4");
}

TEST(ReplayTest, FiguresOfARecording) {
  Scenario s = StepScenario();
  s.worker_capacity = 4;
  s.settling = seconds(1);
  const ElasticityFigures f = Evaluate(Parse(kRecording), EvaluationOptionsFor(s));
  EXPECT_EQ(f.resizes, 1);
  EXPECT_EQ(f.resizes_while_booting, 0);
  EXPECT_NEAR(f.unserved_percent, 100.0 * 3 / 13, 1e-9);
  // 4 req/s at 70% of 4 req/s per worker needs 2 workers: 3 of 4 seconds short by one.
  EXPECT_NEAR(f.under_timeshare, 75, 1e-9);
}

// ---------------------------------------------------------------------------------
// The chart's CPU panel (chart.h), which recordings are drawn with.

TEST(ChartCpuPanelTest, DrawsTheChecksCpuThresholdsAndResizes) {
  const Scenario s = StepScenario();
  Trace t = Parse(kRecording);
  t.scenario = "live";
  const std::string plain = TraceSvg(t, s);
  const std::string with_cpu = TraceSvg(t, s, ChartOptions{.cpu_panel = true});
  EXPECT_NE(plain.find("height=\"400\""), std::string::npos);
  EXPECT_EQ(plain.find("CPU (%)"), std::string::npos);
  EXPECT_NE(with_cpu.find("height=\"570\""), std::string::npos);
  for (const char* part : {"CPU (%)", "grow 70%", "shrink 30%", "<title>grow 1 -&gt; 2</title>",
                           "average CPU seen by each check", "live: live", "time (minutes)"}) {
    EXPECT_NE(with_cpu.find(part), std::string::npos) << part;
  }
  // The grow's average is drawn from its check (1 s) to the next (3 s); the hold at
  // 3 s computed none, so nothing is drawn after it.
  EXPECT_NE(with_cpu.find("stroke=\"#7b3fa0\" stroke-width=\"1.5\" points=\""), std::string::npos);
  EXPECT_EQ(with_cpu.find("<polygon", with_cpu.find("<polygon") + 1), std::string::npos);  // one resize
}

}  // namespace
}  // namespace maskfleet::sim
