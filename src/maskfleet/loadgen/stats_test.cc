#include "maskfleet/loadgen/stats.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

TEST(PercentileTest, NearestRank) {
  const std::vector<double> ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(Percentile(ten, 50), 5);
  EXPECT_EQ(Percentile(ten, 90), 9);
  EXPECT_EQ(Percentile(ten, 99), 10);
  EXPECT_EQ(Percentile(ten, 100), 10);
  EXPECT_EQ(Percentile(ten, 0.001), 1);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({42}, 1), 42);
  EXPECT_EQ(Percentile({42}, 99), 42);
}

TEST(PercentileTest, HundredValues) {
  std::vector<double> values;
  for (int i = 1; i <= 100; ++i) values.push_back(i);
  EXPECT_EQ(Percentile(values, 50), 50);
  EXPECT_EQ(Percentile(values, 90), 90);
  EXPECT_EQ(Percentile(values, 99), 99);
}

TEST(PercentileTest, SummarizeSortsFirst) {
  const LatencySummary s = SummarizeLatencies({30, 10, 20, 50, 40});
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.p50_ms, 30);
  EXPECT_EQ(s.p90_ms, 50);
  EXPECT_EQ(s.p99_ms, 50);
  EXPECT_EQ(s.max_ms, 50);
  EXPECT_EQ(SummarizeLatencies({}).count, 0u);
}

TEST(RunStatsTest, CountsByOutcomeStatusAndError) {
  RunStats stats;
  stats.Add({.seq = 0, .outcome = Outcome::kAnswered, .latency_ms = 10, .http_status = 200, .worker = "w1"});
  stats.Add({.seq = 1, .outcome = Outcome::kAnswered, .latency_ms = 30, .http_status = 200, .worker = "w2"});
  stats.Add({.seq = 2, .outcome = Outcome::kAnswered, .latency_ms = 20, .http_status = 401, .worker = "w1"});
  stats.Add({.seq = 3, .outcome = Outcome::kTransportError, .error = "connection"});
  stats.Add({.seq = 4, .outcome = Outcome::kDropped});
  const RunSummary s = stats.Summarize(2.0);
  EXPECT_EQ(s.scheduled, 5u);
  EXPECT_EQ(s.sent, 4u);
  EXPECT_EQ(s.dropped, 1u);
  EXPECT_EQ(s.succeeded, 2u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.failed_by_status.at(401), 1u);
  EXPECT_EQ(s.failed_by_error.at("connection"), 1u);
  EXPECT_DOUBLE_EQ(s.sent_per_s, 2.0);
  EXPECT_DOUBLE_EQ(s.succeeded_per_s, 1.0);
  EXPECT_EQ(s.latency.count, 3u);
  EXPECT_EQ(s.latency.p50_ms, 20);
  EXPECT_EQ(s.latency.max_ms, 30);
  EXPECT_EQ(s.answers_by_worker.at("w1"), 2u);

  const nlohmann::json json = SummaryToJson({.url = "http://x/api/upload", .mode = "m"}, s);
  EXPECT_EQ(json["sent"], 4);
  EXPECT_EQ(json["failed_by_status"]["401"], 1);
  EXPECT_EQ(json["failed_by_error"]["connection"], 1);
  EXPECT_EQ(json["latency_ms"]["p50"], 20.0);

  const std::string text = FormatSummaryText({.url = "http://x/api/upload", .mode = "m"}, s);
  EXPECT_NE(text.find("sent        4 (of 5 scheduled; 1 dropped: client saturated)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("HTTP 401    1"), std::string::npos) << text;
  EXPECT_NE(text.find("error connection: 1"), std::string::npos) << text;
  EXPECT_NE(text.find("p50 20.0  p90 30.0  p99 30.0  max 30.0"), std::string::npos) << text;
}

TEST(RunStatsTest, ManyThreadsAddAtOnce) {
  RunStats stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        stats.Add({.outcome = Outcome::kAnswered, .latency_ms = 1, .http_status = 200});
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(stats.Summarize(1).succeeded, 4000u);
}

}  // namespace
}  // namespace maskfleet::loadgen
