// FakeMetricsSource: an in-memory MetricsSource for the tests of what reads metrics
// (the manager's API and charts, the auto-scaler's loop). Tests set the values of
// minutes directly, record what Collect() was called with, and can make the next
// calls fail. The queries answer exactly as MetricStore does (gaps as nullopt, the
// same PoolCpu arithmetic), through the same helper.
//
// Thread safety: every method may be called from any thread; one mutex guards all.
#ifndef MASKFLEET_METRICS_FAKE_FAKE_METRICS_SOURCE_H_
#define MASKFLEET_METRICS_FAKE_FAKE_METRICS_SOURCE_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "maskfleet/metrics/metrics_source.h"

namespace maskfleet::metrics {

class FakeMetricsSource final : public MetricsSource {
 public:
  // Sets (replaces) one minute's value; `minute` is rounded down to its minute.
  void Set(const std::string& worker_id, Metric metric, Clock::TimePoint minute, double value);
  // Removes one minute's value (it becomes "no data").
  void Clear(const std::string& worker_id, Metric metric, Clock::TimePoint minute);
  void SetPoolSize(Clock::TimePoint minute, PoolSize size);
  // The next `count` calls (of any method but CompleteUntil) fail with `error`.
  void FailNext(Error error, int count = 1);
  // CompleteUntil(now) answers now - lag (a lagging source, as CloudWatch). Default 0.
  void SetLag(Clock::Duration lag);
  // Sets (replaces) the balancer's counts of the period that starts at `period.start`,
  // for RecentRequests().
  void SetRequests(const RequestPeriod& period);
  // The next `count` RecentRequests() fail with `error` (FailNext does not touch them).
  void FailRequestsNext(Error error, int count = 1);
  // The arguments of every RecentRequests() call, oldest first.
  struct RequestsCall {
    Clock::TimePoint begin;
    Clock::TimePoint end;
    std::chrono::seconds period;
  };
  std::vector<RequestsCall> requests_calls() const;

  struct CollectCall {
    Clock::TimePoint now;
    std::vector<CollectTarget> workers;
  };
  std::vector<CollectCall> collect_calls() const;

  // Records the call and the pool size of the minute of `now`; measures nothing.
  Status Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) override;
  Result<std::vector<WorkerSeries>> Samples(std::span<const std::string> worker_ids,
                                            MinuteRange range) override;
  Result<PoolCpu> AverageCpu(std::span<const std::string> worker_ids, MinuteRange range) override;
  Result<std::vector<std::optional<PoolSize>>> PoolSizes(MinuteRange range) override;
  Result<std::vector<std::string>> WorkersWithData(MinuteRange range) override;
  Clock::TimePoint CompleteUntil(Clock::TimePoint now) override;
  // The periods set by SetRequests() that start at or after `begin` and end at or before
  // `end`, oldest first, whatever `period` (the test sets periods of the length it asks
  // for).
  Result<std::vector<RequestPeriod>> RecentRequests(Clock::TimePoint begin, Clock::TimePoint end,
                                                    std::chrono::seconds period) override;

 private:
  using Key = std::tuple<std::string, Metric, std::chrono::sys_seconds>;
  // Consumes one planned failure; requires mu_.
  std::optional<Error> TakeFailureLocked();
  std::vector<std::optional<double>> SeriesLocked(const std::string& id, Metric metric,
                                                  const MinuteRange& range) const;

  mutable std::mutex mu_;
  std::map<Key, double> values_;                        // guarded by mu_
  std::map<std::chrono::sys_seconds, PoolSize> sizes_;  // guarded by mu_
  std::vector<CollectCall> calls_;                      // guarded by mu_
  std::optional<Error> failure_;                        // guarded by mu_
  int failures_left_ = 0;                               // guarded by mu_
  Clock::Duration lag_{0};                              // guarded by mu_
  std::map<Clock::TimePoint, RequestPeriod> requests_;  // guarded by mu_
  std::vector<RequestsCall> requests_calls_;            // guarded by mu_
  std::optional<Error> requests_failure_;               // guarded by mu_
  int requests_failures_left_ = 0;                      // guarded by mu_
};

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_FAKE_FAKE_METRICS_SOURCE_H_
