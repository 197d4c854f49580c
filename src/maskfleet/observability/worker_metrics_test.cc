#include "maskfleet/observability/worker_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <string>
#include <string_view>
#include <vector>

namespace maskfleet::observability {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using ::testing::HasSubstr;

TEST(observability_WorkerMetricsTest, RequestsAndDetectionsAppearUnderTheDocumentedNames) {
  SimulatedClock clock(Clock::TimePoint(std::chrono::seconds(1'699'999'980)));
  MetricsRegistry registry;
  WorkerMetrics metrics(registry, clock);
  auto request = [&](std::string_view route, std::string_view method, int status, int ms) {
    metrics.RecordRequest({.route = route, .method = method, .status = status, .duration = milliseconds(ms)});
  };
  request("/api/upload", "POST", 200, 120);
  request("/api/upload", "POST", 200, 80);
  request("/api/upload", "POST", 415, 3);
  request("/healthz", "GET", 200, 1);
  metrics.RecordDetection(2, 1);
  metrics.RecordDetection(0, 0);
  clock.Advance(minutes(1));

  const std::string text = registry.Serialize();
  const std::string requests = "maskfleet_http_requests_total";
  EXPECT_THAT(text, HasSubstr(requests + "{method=\"POST\",route=\"/api/upload\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(requests + "{method=\"POST\",route=\"/api/upload\",status=\"415\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(requests + "{method=\"GET\",route=\"/healthz\",status=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE maskfleet_http_request_duration_seconds histogram\n"));
  const std::string duration = "maskfleet_http_request_duration_seconds";
  EXPECT_THAT(text, HasSubstr(duration + "_count{route=\"/api/upload\"} 3\n"));
  EXPECT_THAT(text, HasSubstr(duration + "_bucket{route=\"/api/upload\",le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(duration + "_bucket{route=\"/api/upload\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr(duration + "_bucket{route=\"/api/upload\",le=\"0.25\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_detections_total 2\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_faces_total{masked=\"false\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_faces_total{masked=\"true\"} 2\n"));
  // /healthz is not user traffic: three requests in the minute, not four.
  EXPECT_THAT(text, HasSubstr("maskfleet_requests_per_minute 3\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_requests_minute_total{minute=\"1699999980\"} 3\n"));
  EXPECT_EQ(metrics.request_rate().LastCompletedMinute()->count, 3u);
}

TEST(observability_WorkerMetricsTest, ConcurrentRequestsOnManyRoutesAreAllCounted) {
  SimulatedClock clock;
  MetricsRegistry registry;
  WorkerMetrics metrics(registry, clock);
  constexpr int kThreads = 8;
  constexpr int kEach = 3000;
  const std::vector<std::string> routes = {"/a", "/b", "/c"};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        metrics.RecordRequest({.route = routes[static_cast<std::size_t>((t + i) % 3)],
                               .method = "GET",
                               .status = 200 + (i % 2),
                               .duration = milliseconds(1)});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  clock.Advance(minutes(1));
  const std::string text = registry.Serialize();
  for (const std::string& route : routes) {
    for (int status : {200, 201}) {
      EXPECT_THAT(text, HasSubstr("maskfleet_http_requests_total{method=\"GET\",route=\"" + route +
                                  "\",status=\"" + std::to_string(status) + "\"} 4000\n"));
    }
    EXPECT_THAT(text,
                HasSubstr("maskfleet_http_request_duration_seconds_count{route=\"" + route + "\"} 8000\n"));
  }
  EXPECT_EQ(metrics.request_rate().LastCompletedMinute()->count, 24000u);
}

TEST(observability_WorkerMetricsTest, ExecutorStateIsExposed) {
  BoundedExecutor executor({.threads = 1, .max_queued = 0});
  MetricsRegistry registry;
  ExposeExecutor(registry, executor, "test_pool");
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  ASSERT_TRUE(executor.Post([opened] { opened.wait(); }).has_value());
  EXPECT_FALSE(executor.Post([] {}).has_value());
  while (executor.busy_threads() != 1) std::this_thread::yield();
  EXPECT_EQ(registry.Serialize(),
            "# HELP test_pool_busy_threads Threads running a task now.\n"
            "# TYPE test_pool_busy_threads gauge\n"
            "test_pool_busy_threads 1\n"
            "# HELP test_pool_queue_capacity Tasks that may wait for a thread.\n"
            "# TYPE test_pool_queue_capacity gauge\n"
            "test_pool_queue_capacity 0\n"
            "# HELP test_pool_queue_depth Tasks waiting for a thread.\n"
            "# TYPE test_pool_queue_depth gauge\n"
            "test_pool_queue_depth 0\n"
            "# HELP test_pool_rejected_total Tasks refused because the pool was full or stopping.\n"
            "# TYPE test_pool_rejected_total counter\n"
            "test_pool_rejected_total 1\n"
            "# HELP test_pool_threads Threads in the pool.\n"
            "# TYPE test_pool_threads gauge\n"
            "test_pool_threads 1\n");
  gate.set_value();
}

}  // namespace
}  // namespace maskfleet::observability
