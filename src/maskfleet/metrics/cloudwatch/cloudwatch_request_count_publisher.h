// CloudWatchRequestCountPublisher: the RequestCountPublisher (metrics/
// request_count_publisher.h) of the AWS mode. The requests a worker answered in each
// completed minute go to CloudWatch with PutMetricData: namespace `metric_namespace`, metric `metric_name`,
// dimension InstanceId (the instance's id, from the instance metadata), unit Count, one value per minute,
// timestamped with the minute's start, so that the manager's CloudWatchMetricsSource reads back exactly the
// worker's minutes.
//
// Each minute is queued once (minutes at or before the last one queued are skipped, so
// a worker may hand over every minute it still holds) and sent in batches; a Publish
// that fails keeps the minutes not sent (at most `max_pending_minutes`, the oldest
// dropped first) and sends them with the next call. A minute sent twice (an answer lost
// after CloudWatch took it) does no harm: the manager reads the Maximum.
//
// Off the request path: Start() calls Publish once a minute on a thread of its own.
//
// Threading: Publish() one at a time (mu_); Start()/Stop() from one thread.
#ifndef MASKFLEET_METRICS_CLOUDWATCH_CLOUDWATCH_REQUEST_COUNT_PUBLISHER_H_
#define MASKFLEET_METRICS_CLOUDWATCH_CLOUDWATCH_REQUEST_COUNT_PUBLISHER_H_

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
#include "maskfleet/metrics/request_count_publisher.h"

namespace maskfleet::metrics::cloudwatch {

struct CloudWatchRequestCountPublisherOptions {
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

class CloudWatchRequestCountPublisher final : public RequestCountPublisher {
 public:
  CloudWatchRequestCountPublisher(std::shared_ptr<aws::Client> client,
                                  CloudWatchRequestCountPublisherOptions options);
  ~CloudWatchRequestCountPublisher() override;  // Stop()s

  // Queues the minutes after the last one queued before, then sends the queue.
  // Errors: kInvalidArgument (ValidateRequestMinutes; nothing queued), the client's
  // (kUnavailable, kPermissionDenied naming cloudwatch:PutMetricData ...): the minutes
  // not sent stay queued for the next call.
  Status Publish(std::span<const RequestMinute> minutes) override;
  // Minutes queued and not yet sent, oldest first.
  std::vector<RequestMinute> Pending() const;

  // Runs Publish(completed_minutes()) once a minute, `delay_after_minute` after
  // the minute's end on `clock`, on a thread of its own, until Stop(). Failures are
  // logged by `on_error` (may be empty).
  void Start(const Clock& clock, std::function<std::vector<RequestMinute>()> completed_minutes,
             std::function<void(const Error&)> on_error);
  // Ends the thread (waiting for a running pass); safe to call twice.
  void Stop();

 private:
  const std::shared_ptr<aws::Client> client_;
  const CloudWatchRequestCountPublisherOptions options_;
  mutable std::mutex mu_;
  std::deque<RequestMinute> queue_;                      // guarded by mu_
  std::optional<std::chrono::sys_seconds> last_queued_;  // guarded by mu_

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by thread_mu_
  std::thread thread_;
};

}  // namespace maskfleet::metrics::cloudwatch

#endif  // MASKFLEET_METRICS_CLOUDWATCH_CLOUDWATCH_REQUEST_COUNT_PUBLISHER_H_
