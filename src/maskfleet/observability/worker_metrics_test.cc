#include "maskfleet/observability/worker_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace maskfleet::observability {
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;
using std::chrono::minutes;

TEST(observability_WorkerMetricsTest, RequestsAndDetectionsAppearUnderTheDocumentedNames) {
  SimulatedClock clock(Clock::TimePoint(std::chrono::seconds(1'699'999'980)));
  MetricsRegistry registry;
  WorkerMetrics metrics(registry, clock);
  metrics.RecordRequest({.route = "/api/upload", .method = "POST", .status = 200, .duration = milliseconds(120)});
  metrics.RecordRequest({.route = "/api/upload", .method = "POST", .status = 200, .duration = milliseconds(80)});
  metrics.RecordRequest({.route = "/api/upload", .method = "POST", .status = 415, .duration = milliseconds(3)});
  metrics.RecordRequest({.route = "/healthz", .method = "GET", .status = 200, .duration = milliseconds(1)});
  metrics.RecordDetection(2, 1);
  metrics.RecordDetection(0, 0);
  clock.Advance(minutes(1));

  const std::string text = registry.Serialize();
  EXPECT_THAT(text, HasSubstr("maskfleet_http_requests_total{method=\"POST\",route=\"/api/upload\",status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_http_requests_total{method=\"POST\",route=\"/api/upload\",status=\"415\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE maskfleet_http_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_http_request_duration_seconds_count{route=\"/api/upload\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_http_request_duration_seconds_bucket{route=\"/api/upload\",le=\"0.005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_http_request_duration_seconds_bucket{route=\"/api/upload\",le=\"0.1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_http_request_duration_seconds_bucket{route=\"/api/upload\",le=\"0.25\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_detections_total 2\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_faces_total{masked=\"false\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_faces_total{masked=\"true\"} 2\n"));
  // /healthz is not user traffic: three requests in the minute, not four.
  EXPECT_THAT(text, HasSubstr("maskfleet_requests_per_minute 3\n"));
  EXPECT_THAT(text, HasSubstr("maskfleet_requests_minute_total{minute=\"1699999980\"} 3\n"));
  EXPECT_EQ(metrics.request_rate().LastCompletedMinute()->count, 3u);
}

}  // namespace
}  // namespace maskfleet::observability
