#include "maskfleet/observability/worker_metrics.h"

#include <algorithm>
#include <string>
#include <utility>

namespace maskfleet::observability {

WorkerMetrics::WorkerMetrics(MetricsRegistry& registry, const Clock& clock, WorkerMetricsOptions options)
    : requests_(registry.CounterFamily("maskfleet_http_requests_total",
                                       "HTTP requests answered, by route pattern, method and status.")),
      duration_(registry.HistogramFamily("maskfleet_http_request_duration_seconds",
                                         "Time from a request's arrival to its answer, by route pattern.")),
      detections_(registry.CounterFamily("maskfleet_detections_total", "Photos analysed.").Add({})),
      masked_faces_(
          registry.CounterFamily("maskfleet_faces_total", "Faces found, by mask.").Add({{"masked", "true"}})),
      unmasked_faces_(
          registry.CounterFamily("maskfleet_faces_total", "Faces found, by mask.").Add({{"masked", "false"}})),
      request_rate_(std::make_shared<RequestRateCounter>(clock, options.request_rate)),
      routes_not_rated_(std::move(options.routes_not_rated)) {
  registry.AddCollectable(request_rate_);
}

void WorkerMetrics::RecordRequest(const RequestSample& sample) {
  thread_local std::string key;  // reused: no allocation once it has grown
  key.assign(sample.route);
  key += '\0';
  key += sample.method;
  key += '\0';
  key += std::to_string(sample.status);

  Series series;
  {
    std::shared_lock<std::shared_mutex> lock(series_mu_);
    if (auto it = series_.find(std::string_view(key)); it != series_.end()) series = it->second;
  }
  if (series.requests == nullptr) {
    const std::string route(sample.route);
    series.requests = &requests_.Add({{"route", route},
                                      {"method", std::string(sample.method)},
                                      {"status", std::to_string(sample.status)}});
    series.duration = &duration_.Add({{"route", route}}, LatencyBuckets());
    std::unique_lock<std::shared_mutex> lock(series_mu_);
    series_.try_emplace(key, series);
  }
  series.requests->Increment();
  series.duration->Observe(std::chrono::duration<double>(sample.duration).count());
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

void ExposeExecutor(MetricsRegistry& registry, const BoundedExecutor& executor, const std::string& prefix) {
  const BoundedExecutor* e = &executor;
  registry.AddCallbackGauge(prefix + "_busy_threads", "Threads running a task now.",
                            [e] { return static_cast<double>(e->busy_threads()); });
  registry.AddCallbackGauge(prefix + "_queue_depth", "Tasks waiting for a thread.",
                            [e] { return static_cast<double>(e->queue_depth()); });
  registry.AddCallbackGauge(prefix + "_threads", "Threads in the pool.",
                            [e] { return static_cast<double>(e->threads()); });
  registry.AddCallbackGauge(prefix + "_queue_capacity", "Tasks that may wait for a thread.",
                            [e] { return static_cast<double>(e->max_queued()); });
  registry.AddCallbackCounter(prefix + "_rejected_total",
                              "Tasks refused because the pool was full or stopping.",
                              [e] { return static_cast<double>(e->tasks_rejected()); });
}

}  // namespace maskfleet::observability
