#include "maskfleet/observability/worker_metrics.h"

#include <algorithm>
#include <string>
#include <utility>

namespace maskfleet::observability {

WorkerMetrics::WorkerMetrics(MetricsRegistry& registry, const Clock& clock,
                             WorkerMetricsOptions options)
    : requests_(registry.CounterFamily("maskfleet_http_requests_total",
                                       "HTTP requests answered, by route pattern, method and status.")),
      duration_(registry.HistogramFamily(
          "maskfleet_http_request_duration_seconds",
          "Time from a request's arrival to its answer, by route pattern.")),
      detections_(registry.CounterFamily("maskfleet_detections_total", "Photos analysed.").Add({})),
      masked_faces_(registry.CounterFamily("maskfleet_faces_total", "Faces found, by mask.")
                        .Add({{"masked", "true"}})),
      unmasked_faces_(registry.CounterFamily("maskfleet_faces_total", "Faces found, by mask.")
                          .Add({{"masked", "false"}})),
      request_rate_(std::make_shared<RequestRateCounter>(clock, options.request_rate)),
      routes_not_rated_(std::move(options.routes_not_rated)) {
  registry.AddCollectable(request_rate_);
}

void WorkerMetrics::RecordRequest(const RequestSample& sample) {
  const std::string route(sample.route);
  requests_
      .Add({{"route", route}, {"method", std::string(sample.method)}, {"status", std::to_string(sample.status)}})
      .Increment();
  duration_.Add({{"route", route}}, LatencyBuckets())
      .Observe(std::chrono::duration<double>(sample.duration).count());
  if (std::find(routes_not_rated_.begin(), routes_not_rated_.end(), sample.route) ==
      routes_not_rated_.end()) {
    request_rate_->Record();
  }
}

void WorkerMetrics::RecordDetection(int masked_faces, int unmasked_faces) {
  detections_.Increment();
  if (masked_faces > 0) masked_faces_.Increment(masked_faces);
  if (unmasked_faces > 0) unmasked_faces_.Increment(unmasked_faces);
}

}  // namespace maskfleet::observability
