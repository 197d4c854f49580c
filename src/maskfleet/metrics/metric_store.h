// MetricStore: the manager's metric history in its database (tables metric_samples
// and pool_size_samples, schema version 2, and balancer_request_samples, version 5;
// metrics/schema.h), so that the
// charts' 30 minutes and the auto-scaler's window survive a manager restart. Both
// MetricsSource implementations keep what they gather here.
//
// A sample is one value of one metric of one worker in one minute (the epoch seconds
// of the minute's start, a multiple of 60). Writing a minute again replaces its value:
// a collector first stores the running minute's provisional CPU figure and then the
// more complete ones, and may store a worker's reported request counts more than
// once. A minute without a row is "no data", which queries answer as std::nullopt,
// never as 0.
//
// Works the same on SQLite, PostgreSQL and MySQL/MariaDB (storage/database.h).
//
// Thread safety: safe to use from many threads; it holds no state of its own. Each
// batch of writes is one transaction, so a reader sees all of it or none.
#ifndef MASKFLEET_METRICS_METRIC_STORE_H_
#define MASKFLEET_METRICS_METRIC_STORE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::metrics {

// Longest worker id stored (the column's width).
inline constexpr std::size_t kMaxWorkerIdLength = 64;

struct MetricSample {
  std::string worker_id;
  Metric metric = Metric::kCpuPercent;
  std::chrono::sys_seconds minute;
  double value = 0;

  bool operator==(const MetricSample&) const = default;
};

// The load balancer's counts of one minute, in requests per minute (a minute seen only
// in part: the rate over the part seen, times 60). See RequestPeriod.
struct BalancerMinute {
  std::chrono::sys_seconds minute;
  double offered = 0;
  double served = 0;

  bool operator==(const BalancerMinute&) const = default;
};

class MetricStore {
 public:
  // `db` must outlive the store and have schema version 2 or later (Database::Open
  // migrates it).
  explicit MetricStore(storage::Database& db) : db_(db) {}

  // Stores the samples in one transaction, each replacing what its (worker, metric,
  // minute) held. Errors: kInvalidArgument (an empty or over-long worker id, a minute
  // that is not a multiple of 60 s, a value that is not finite: nothing is stored),
  // kUnavailable, kInternal.
  Status Upsert(std::span<const MetricSample> samples);

  // Records the pool's size in `minute`, replacing what that minute held.
  // Errors: kInvalidArgument (minute not aligned, negative counts), kUnavailable,
  // kInternal.
  Status UpsertPoolSize(std::chrono::sys_seconds minute, PoolSize size);

  // One worker's `metric` over `range`, one slot per minute, nullopt where no row.
  // Errors: kInvalidArgument (range over kMaxQueryMinutes), kUnavailable, kInternal.
  Result<std::vector<std::optional<double>>> Series(const std::string& worker_id, Metric metric,
                                                    MinuteRange range);

  // Both series of each worker, in the order asked. Errors: as Series().
  Result<std::vector<WorkerSeries>> Samples(std::span<const std::string> worker_ids, MinuteRange range);

  // The pool's average CPU over `range`, as MetricsSource::AverageCpu() defines it:
  // each worker's mean over its minutes with data, then the mean of those.
  // Errors: as Series().
  Result<PoolCpu> AverageCpu(std::span<const std::string> worker_ids, MinuteRange range);

  // Stores the balancer's counts of these minutes in one transaction, each replacing
  // what its minute held. Errors: kInvalidArgument (a minute not aligned, a count
  // negative or not finite: nothing is stored), kUnavailable, kInternal.
  Status UpsertBalancerMinutes(std::span<const BalancerMinute> minutes);

  // The balancer's counts stored for minutes of `range`, oldest first; minutes without
  // a row are left out. Errors: as Series().
  Result<std::vector<BalancerMinute>> BalancerMinutes(MinuteRange range);

  // The recorded pool size per minute of `range`. Errors: as Series().
  Result<std::vector<std::optional<PoolSize>>> PoolSizes(MinuteRange range);

  // Every worker with at least one sample in `range`, sorted by id (workers of an
  // earlier run of the manager included). Errors: as Series().
  Result<std::vector<std::string>> WorkersWithSamples(MinuteRange range);

  // The latest minute holding `metric` for `worker_id`, if any (a collector resumes
  // after it). Errors: kUnavailable, kInternal.
  Result<std::optional<std::chrono::sys_seconds>> LatestMinute(const std::string& worker_id, Metric metric);

  // Retention: deletes every sample, balancer count and pool size of minutes before
  // `cutoff`; returns
  // how many rows went. Errors: kUnavailable, kInternal.
  Result<std::int64_t> DeleteBefore(std::chrono::sys_seconds cutoff);

 private:
  storage::Database& db_;
};

// The queries of a MetricsSource answered from a MetricStore: what the local and the
// CloudWatch sources share (they gather differently and store alike). A subclass
// supplies Collect(), CompleteUntil() and, where it can do better than the store's
// whole minutes, RecentCpu() and RecentRequests(). Thread safety: the queries are as
// safe as the store.
class StoredMetricsSource : public MetricsSource {
 public:
  // `store` must outlive the source.
  explicit StoredMetricsSource(MetricStore& store) : store_(store) {}

  // Each answers as MetricStore's query of the same name (WorkersWithData as
  // WorkersWithSamples), with its errors.
  Result<std::vector<WorkerSeries>> Samples(std::span<const std::string> worker_ids, MinuteRange range) final;
  Result<PoolCpu> AverageCpu(std::span<const std::string> worker_ids, MinuteRange range) final;
  Result<std::vector<std::optional<PoolSize>>> PoolSizes(MinuteRange range) final;
  Result<std::vector<std::string>> WorkersWithData(MinuteRange range) final;
  // Periods of 60 s from the stored balancer minutes (BalancerMinutes), per second.
  // Errors: kUnimplemented (another period), as BalancerMinutes().
  Result<std::vector<RequestPeriod>> RecentRequests(Clock::TimePoint begin, Clock::TimePoint end,
                                                    std::chrono::seconds period) override;

 protected:
  MetricStore& store() const { return store_; }

 private:
  MetricStore& store_;
};

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_METRIC_STORE_H_
