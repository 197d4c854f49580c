// ExposedRequestCounts: the RequestCountPublisher of the local mode. The minutes
// published are kept (the most recent `retained_minutes`) and written out by
// Exposition() in the Prometheus text format the local MetricsSource scrapes from the
// worker's GET /metrics:
//   # TYPE maskfleet_requests_minute_total counter
//   maskfleet_requests_minute_total{minute="1700000040"} 12
// (oldest minute first), which ParseRequestMinutes reads back unchanged. Publish never
// fails but for a minute that is not one.
//
// Thread safety: every method may be called from any thread; one mutex guards the
// minutes.
#ifndef MASKFLEET_METRICS_LOCAL_EXPOSED_REQUEST_COUNTS_H_
#define MASKFLEET_METRICS_LOCAL_EXPOSED_REQUEST_COUNTS_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "maskfleet/metrics/request_count_publisher.h"

namespace maskfleet::metrics::local {

class ExposedRequestCounts final : public RequestCountPublisher {
 public:
  // Keeps the `retained_minutes` latest minutes (at least 1). Default 30: the
  // manager's chart window, which a manager that missed scrapes can still fill.
  explicit ExposedRequestCounts(std::size_t retained_minutes = 30);

  Status Publish(std::span<const RequestMinute> minutes) override;

  // The kept minutes, oldest first.
  std::vector<RequestMinute> Minutes() const;
  // The kept minutes as exposition lines (see above); only the TYPE line when none.
  std::string Exposition() const;

 private:
  const std::size_t retained_minutes_;
  mutable std::mutex mu_;
  std::map<std::chrono::sys_seconds, std::uint64_t> minutes_;  // guarded by mu_
};

}  // namespace maskfleet::metrics::local

#endif  // MASKFLEET_METRICS_LOCAL_EXPOSED_REQUEST_COUNTS_H_
