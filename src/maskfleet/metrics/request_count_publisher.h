// RequestCountPublisher: the worker's side of the requests-per-minute metric. A worker
// counts the requests it answers per wall-clock minute (observability/request_rate.h)
// and hands each completed minute's count to a publisher, which puts it where the
// manager's MetricsSource reads it.
//
// Implementations:
//   local/  ExposedRequestCounts: keeps the minutes for the worker's GET /metrics, as
//           maskfleet_requests_minute_total{minute="..."} lines, which the local
//           MetricsSource scrapes (request_rate_scraper.h reads that format)
//   cloudwatch/ CloudWatchRequestCountPublisher: sends them to CloudWatch with
//           PutMetricData (the AWS mode)
//
// Publishing is idempotent per minute: a minute published again replaces its count
// (CloudWatch would add a second data point; its publisher sends each minute once and
// retries only minutes that failed), so a worker may simply hand over every completed
// minute it still holds, at each call.
//
// Thread safety: implementations are safe to call from many threads; calls are
// applied in some order, each whole.
#ifndef MASKFLEET_METRICS_REQUEST_COUNT_PUBLISHER_H_
#define MASKFLEET_METRICS_REQUEST_COUNT_PUBLISHER_H_

#include <chrono>
#include <cstdint>
#include <span>

#include "maskfleet/common/error.h"

namespace maskfleet::metrics {

// Requests a worker answered in one wall-clock minute.
struct RequestMinute {
  std::chrono::sys_seconds minute;  // the minute's start, a multiple of 60 s
  std::uint64_t count = 0;

  bool operator==(const RequestMinute&) const = default;
};

class RequestCountPublisher {
 public:
  virtual ~RequestCountPublisher() = default;

  // Publishes the counts of completed minutes (in any order; each minute has ended).
  // On success every minute given is published. Errors: kInvalidArgument (a minute
  // not a multiple of 60 s; nothing is published), kUnavailable (the service cannot
  // be reached or throttles: pass the same minutes again later), kInternal.
  virtual Status Publish(std::span<const RequestMinute> minutes) = 0;
};

// The check every implementation makes: success, or kInvalidArgument naming the first
// minute that does not start a minute.
Status ValidateRequestMinutes(std::span<const RequestMinute> minutes);

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_REQUEST_COUNT_PUBLISHER_H_
