// CloudWatchMetricsSource: the MetricsSource of the AWS mode, where workers are EC2
// instances (worker id = instance id).
//
// CPU is EC2's own CPUUtilization (namespace AWS/EC2, dimension InstanceId, 1-minute
// periods with detailed monitoring), already a percentage of the instance's CPUs. The
// request rate is the custom metric the workers publish (RequestCountPublisher,
// request_count_publisher.h): `request_metric` in `request_namespace`, dimension
// InstanceId, one value per minute.
//
// The load balancer's request counts (RequestPeriod), when `load_balancer` and
// `target_group` name them, are the ALB's own metrics in AWS/ApplicationELB, Sum per
// minute: served = HTTPCode_Target_2XX + 3XX + 4XX_Count (answered by a worker, below
// 500), offered = served + HTTPCode_Target_5XX_Count (a worker's 503 or failure) +
// HTTPCode_ELB_5XX_Count (the ALB's own 502/503/504: no healthy target, a target that
// failed or timed out) + RejectedConnectionCount (refused at the ALB's connection
// limit, one request each at least). The target metrics with the dimensions
// LoadBalancer and TargetGroup, the ELB ones with LoadBalancer. Each request lands in
// exactly one of these, so none is counted twice; the ALB's 4xx (malformed requests)
// are left out of both. The ALB reports a metric only in minutes it has something to
// count: a minute with none of them has no count (the decision then reads the CPU
// alone), one with some has 0 for the others.
//
// A Collect() pass records the pool size for the minute of `now` and, at most every
// `read_every`, reads both metrics of every worker, and the balancer's six, for the
// last `lookback` complete minutes with GetMetricData: one request for up to 247
// workers and the balancer (500 queries, the API's limit), plain MetricStat queries
// with a 60 s period (no metric math), and stores them in the MetricStore, replacing
// what those minutes held (CloudWatch data arrives late; a later pass completes a
// minute). The balancer's counts thus cost no request of their own: 6 more metrics per
// read (CloudWatch bills GetMetricData per metric asked for). Workers that left the pool but have
// samples stored in those minutes are read too, so their last minutes complete as well.
// The running minute is never read: CloudWatch answers it with whatever has arrived,
// which is not a figure. The queries read the store, as the local source's do, so the
// charts survive a restart of the manager.
//
// Threading: Collect() one pass at a time (collect_mu_); the queries read the store,
// which is safe across threads, at any time.
#ifndef MASKFLEET_METRICS_CLOUDWATCH_CLOUDWATCH_METRICS_SOURCE_H_
#define MASKFLEET_METRICS_CLOUDWATCH_CLOUDWATCH_METRICS_SOURCE_H_

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/aws/client.h"
#include "maskfleet/metrics/metric_store.h"
#include "maskfleet/metrics/metrics_source.h"

namespace maskfleet::metrics::cloudwatch {

struct CloudWatchMetricsSourceOptions {
  // Where the workers publish their request counts. Default "maskfleet".
  std::string request_namespace = "maskfleet";
  // Default "RequestsPerMinute".
  std::string request_metric = "RequestsPerMinute";
  // Complete minutes read back each time (late data replaces what was stored).
  // Default 5.
  std::chrono::minutes lookback{5};
  // Minimum time between two reads of CloudWatch; passes in between only record the
  // pool size. Default 60 s (CloudWatch's resolution; each read is billed).
  std::chrono::seconds read_every{60};
  // Samples and pool sizes older than this are deleted. Default 6 hours.
  std::chrono::minutes retention{6 * 60};
  // How late CloudWatch's data may still change: EC2's detailed monitoring and
  // PutMetricData values are usually there within a minute or two. Default 3 minutes.
  std::chrono::seconds publication_delay{180};
  // The period of the CPU data. 60 s (the default): EC2's detailed monitoring, read
  // minute by minute into the store. Shorter (a divisor of 60 s): the CPU metric is
  // published at high resolution (a test harness against an emulator does this; EC2's
  // own CPUUtilization never is), and RecentCpu() answers periods that are multiples
  // of it straight from CloudWatch, CompleteUntil() counting from `now`, so that an
  // auto-scaler with a window of seconds can run against it.
  std::chrono::seconds resolution{60};
  // The load balancer's dimensions in AWS/ApplicationELB (LoadBalancerDimension,
  // TargetGroupDimension): "app/<name>/<id>" and "targetgroup/<name>/<id>". Either
  // empty (the default): the balancer's counts are not read, and RecentRequests()
  // answers none.
  std::string load_balancer;
  std::string target_group;
};

// The LoadBalancer dimension of an Application Load Balancer's ARN: what follows
// "loadbalancer/" in "arn:<partition>:elasticloadbalancing:<region>:<account>:
// loadbalancer/app/<name>/<id>". Errors: kInvalidArgument (not an ALB's ARN; a network
// load balancer's, "net/...", included), naming what was given.
Result<std::string> LoadBalancerDimension(std::string_view arn);

// The TargetGroup dimension of a target group's ARN: "targetgroup/<name>/<id>", its
// last part. Errors: kInvalidArgument (not a target group's ARN).
Result<std::string> TargetGroupDimension(std::string_view arn);

class CloudWatchMetricsSource final : public StoredMetricsSource {
 public:
  // `store` must outlive the source.
  CloudWatchMetricsSource(MetricStore& store, std::shared_ptr<aws::Client> client,
                          CloudWatchMetricsSourceOptions options = {});

  // Errors: kUnavailable / kInternal when storing fails; a failed CloudWatch read is
  // returned too (kUnavailable, kPermissionDenied naming cloudwatch:GetMetricData ...),
  // after the pool size was recorded, and is tried again on the next pass.
  Status Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) override;
  // Periods of 60 s from the store (MetricsSource's); with a `resolution` under 60 s,
  // multiples of it read from CloudWatch (GetMetricData, CPUUtilization Average).
  // Errors: kUnimplemented (another period), the client's.
  Result<std::vector<WorkerCpuPeriods>> RecentCpu(std::span<const std::string> worker_ids,
                                                  Clock::TimePoint begin, Clock::TimePoint end,
                                                  std::chrono::seconds period) override;
  // The balancer's counts: periods of 60 s from the store; with a `resolution` under 60 s,
  // multiples of it read from CloudWatch (GetMetricData, the six metrics above, Sum).
  // None when `load_balancer` or `target_group` is empty. Errors: kUnimplemented
  // (another period), the client's.
  Result<std::vector<RequestPeriod>> RecentRequests(Clock::TimePoint begin, Clock::TimePoint end,
                                                    std::chrono::seconds period) override;
  // The start of the minute `publication_delay` before the last successful read (before
  // the first, before `now`): what was read then about earlier minutes is final. With
  // a `resolution` under 60 s: `now` less the delay, rounded down to the resolution.
  Clock::TimePoint CompleteUntil(Clock::TimePoint now) override;

  // The samples of `worker_ids` over `range` as CloudWatch answers them now (what a
  // pass stores). Errors: kInvalidArgument (a range over 24 hours), the client's.
  Result<std::vector<MetricSample>> Read(std::span<const std::string> worker_ids, MinuteRange range);

 private:
  struct ReadResult {
    std::vector<MetricSample> samples;
    std::vector<BalancerMinute> balancer;
  };
  // The workers' samples and, when configured, the balancer's minutes of `range`.
  Result<ReadResult> ReadAll(std::span<const std::string> worker_ids, MinuteRange range);
  bool ReadsBalancer() const { return !options_.load_balancer.empty() && !options_.target_group.empty(); }

  const std::shared_ptr<aws::Client> client_;
  const CloudWatchMetricsSourceOptions options_;
  std::mutex collect_mu_;
  std::optional<Clock::TimePoint> last_read_;              // guarded by collect_mu_
  std::atomic<Clock::TimePoint::rep> last_read_ticks_{0};  // last_read_ for CompleteUntil
  std::optional<Clock::TimePoint> last_retention_;         // guarded by collect_mu_
};

// The GetMetricData queries of one batch, as form parameters (exposed for tests):
// for worker i, "c<i>" (CPUUtilization, Average) and "r<i>" (the request metric,
// Maximum: a worker publishes one value per minute, and Maximum, unlike Sum, is not
// doubled when a publish whose answer was lost is sent again); with `balancer`, also
// "b0" to "b5", the balancer's six metrics above (Sum), in that order.
aws::Parameters MetricDataQueries(std::span<const std::string> worker_ids,
                                  const CloudWatchMetricsSourceOptions& options, MinuteRange range,
                                  bool balancer = false);

}  // namespace maskfleet::metrics::cloudwatch

#endif  // MASKFLEET_METRICS_CLOUDWATCH_CLOUDWATCH_METRICS_SOURCE_H_
