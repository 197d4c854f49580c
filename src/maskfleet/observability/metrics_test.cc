#include "maskfleet/observability/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace maskfleet::observability {
namespace {

TEST(observability_MetricsTest, ExpositionIsExactAndSorted) {
  MetricsRegistry registry;
  // Registered out of order, series added out of order: the text is sorted anyway.
  auto& requests = registry.CounterFamily("test_requests_total", "Requests.");
  requests.Add({{"route", "/z"}, {"status", "200"}}).Increment(3);
  requests.Add({{"route", "/a"}, {"status", "500"}}).Increment();
  requests.Add({{"route", "/a"}, {"status", "200"}}).Increment(2);
  registry.GaugeFamily("test_depth", "Queue depth.").Add({}).Set(4);
  registry.AddCallbackGauge("test_busy", "Busy threads.", [] { return 2.0; });

  EXPECT_EQ(registry.Serialize(),
            "# HELP test_busy Busy threads.\n"
            "# TYPE test_busy gauge\n"
            "test_busy 2\n"
            "# HELP test_depth Queue depth.\n"
            "# TYPE test_depth gauge\n"
            "test_depth 4\n"
            "# HELP test_requests_total Requests.\n"
            "# TYPE test_requests_total counter\n"
            "test_requests_total{route=\"/a\",status=\"200\"} 2\n"
            "test_requests_total{route=\"/a\",status=\"500\"} 1\n"
            "test_requests_total{route=\"/z\",status=\"200\"} 3\n");
}

TEST(observability_MetricsTest, HistogramHasLatencyBucketsFrom5msTo30s) {
  MetricsRegistry registry;
  auto& latency = registry.HistogramFamily("test_seconds", "Latency.");
  auto& histogram = latency.Add({}, LatencyBuckets());
  histogram.Observe(0.003);  // first bucket
  histogram.Observe(0.005);  // bounds are inclusive: still the first
  histogram.Observe(0.7);
  histogram.Observe(45);  // only +Inf
  EXPECT_EQ(registry.Serialize(),
            "# HELP test_seconds Latency.\n"
            "# TYPE test_seconds histogram\n"
            "test_seconds_count 4\n"
            "test_seconds_sum 45.708\n"
            "test_seconds_bucket{le=\"0.005\"} 2\n"
            "test_seconds_bucket{le=\"0.01\"} 2\n"
            "test_seconds_bucket{le=\"0.025\"} 2\n"
            "test_seconds_bucket{le=\"0.05\"} 2\n"
            "test_seconds_bucket{le=\"0.1\"} 2\n"
            "test_seconds_bucket{le=\"0.25\"} 2\n"
            "test_seconds_bucket{le=\"0.5\"} 2\n"
            "test_seconds_bucket{le=\"1\"} 3\n"
            "test_seconds_bucket{le=\"2.5\"} 3\n"
            "test_seconds_bucket{le=\"5\"} 3\n"
            "test_seconds_bucket{le=\"10\"} 3\n"
            "test_seconds_bucket{le=\"30\"} 3\n"
            "test_seconds_bucket{le=\"+Inf\"} 4\n");
}

TEST(observability_MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  registry.CounterFamily("test_total", "Back\\slash and\nnewline.").Add({{"v", "a\\b\"c\nd"}}).Increment();
  EXPECT_EQ(registry.Serialize(),
            "# HELP test_total Back\\\\slash and\\nnewline.\n"
            "# TYPE test_total counter\n"
            "test_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(observability_MetricsTest, SameNameAndTypeGivesTheSameFamily) {
  MetricsRegistry registry;
  auto& a = registry.CounterFamily("test_total", "Help.");
  auto& b = registry.CounterFamily("test_total", "Help.");
  EXPECT_EQ(&a, &b);
}

TEST(observability_MetricsDeathTest, InvalidNameIsAProgrammingError) {
  MetricsRegistry registry;
  EXPECT_DEATH(registry.CounterFamily("bad name", "Help."), "not a valid metric name");
  registry.CounterFamily("test_total", "Help.");
  EXPECT_DEATH(registry.GaugeFamily("test_total", "Help."), "test_total");
}

TEST(observability_MetricsTest, UpdatesFromManyThreadsWhileScrapingAreAllCounted) {
  MetricsRegistry registry;
  auto& family = registry.CounterFamily("test_total", "Help.");
  auto& histograms = registry.HistogramFamily("test_seconds", "Help.");
  constexpr int kThreads = 8;
  constexpr int kEach = 5000;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    std::size_t scrapes = 0;
    while (!done.load()) scrapes += registry.Serialize().empty() ? 0 : 1;
    EXPECT_GE(scrapes, 0u);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        family.Add({{"thread", std::to_string(t % 2)}}).Increment();
        histograms.Add({}, LatencyBuckets()).Observe(0.02);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  done = true;
  scraper.join();
  const std::string text = registry.Serialize();
  EXPECT_THAT(text, ::testing::HasSubstr("test_total{thread=\"0\"} 20000\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("test_total{thread=\"1\"} 20000\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("test_seconds_count 40000\n"));
}

}  // namespace
}  // namespace maskfleet::observability
