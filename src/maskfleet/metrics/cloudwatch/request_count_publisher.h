// RequestCountPublisher: the worker side of the request-rate metric in the AWS mode.
// Each minute the worker publishes the requests it answered in the minutes completed
// since the last publish (observability/request_rate.h counts them) to CloudWatch with
// PutMetricData: namespace `metric_namespace`, metric `metric_name`, dimension
// InstanceId (the instance's id, from the instance metadata), unit Count, one value per
// minute, timestamped with the minute's start, so that the manager's
// CloudWatchMetricsSource reads back exactly the worker's minutes.
//
// Off the request path: Start() runs the passes on a thread of the publisher's own,
// a few seconds after each minute ends. A pass that fails keeps its minutes (at most
// `max_pending_minutes`, the oldest dropped first) and sends them with the next pass;
// sending a minute twice does no harm, as the manager reads the Maximum.
//
// Threading: PublishPass() one at a time (mu_); Start()/Stop() from one thread.
#ifndef MASKFLEET_METRICS_CLOUDWATCH_REQUEST_COUNT_PUBLISHER_H_
#define MASKFLEET_METRICS_CLOUDWATCH_REQUEST_COUNT_PUBLISHER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "maskfleet/aws/client.h"
#include "maskfleet/common/clock.h"

namespace maskfleet::metrics::cloudwatch {

struct PublishedMinute {
  std::chrono::sys_seconds minute;
  std::uint64_t count = 0;
  bool operator==(const PublishedMinute&) const = default;
};

struct RequestCountPublisherOptions {
  // The worker's EC2 instance id. Required.
  std::string instance_id;
  std::string metric_namespace = "maskfleet";
  std::string metric_name = "RequestsPerMinute";
  // Minutes kept while CloudWatch cannot be reached. Default 60.
  std::size_t max_pending_minutes = 60;
  // Values per PutMetricData request. Default 20 (the API's limit was 20 until 2023,
  // and some emulators keep it).
  std::size_t values_per_request = 20;
  // How long after a minute ends its pass runs (the counter closes the minute at its
  // first request after the boundary, or when asked). Default 5 s.
  std::chrono::seconds delay_after_minute{5};
};

class RequestCountPublisher {
 public:
  RequestCountPublisher(std::shared_ptr<aws::Client> client, RequestCountPublisherOptions options);
  ~RequestCountPublisher();  // Stop()s

  // Queues the minutes of `completed` after the last one queued before, then sends the
  // queue. Errors: the client's (kUnavailable, kPermissionDenied naming
  // cloudwatch:PutMetricData ...); the minutes not sent stay queued.
  Status PublishPass(const std::vector<PublishedMinute>& completed);
  // Minutes queued and not yet sent.
  std::vector<PublishedMinute> Pending() const;

  // Runs PublishPass(completed_minutes()) once a minute, `delay_after_minute` after
  // the minute's end on `clock`, on a thread of its own, until Stop(). Failures are
  // logged by `on_error` (may be empty).
  void Start(const Clock& clock, std::function<std::vector<PublishedMinute>()> completed_minutes,
             std::function<void(const Error&)> on_error);
  // Ends the thread (waiting for a running pass); safe to call twice.
  void Stop();

 private:
  const std::shared_ptr<aws::Client> client_;
  const RequestCountPublisherOptions options_;
  mutable std::mutex mu_;
  std::deque<PublishedMinute> queue_;                  // guarded by mu_
  std::optional<std::chrono::sys_seconds> last_queued_;  // guarded by mu_

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by thread_mu_
  std::thread thread_;
};

}  // namespace maskfleet::metrics::cloudwatch

#endif  // MASKFLEET_METRICS_CLOUDWATCH_REQUEST_COUNT_PUBLISHER_H_
