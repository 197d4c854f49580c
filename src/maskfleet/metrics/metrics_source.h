// MetricsSource: what the manager knows about each worker's load, minute by minute:
// CPU utilisation (as a percentage of the worker's CPU allotment) and HTTP requests
// per minute, plus the pool's size over time. The manager's charts and the
// auto-scaler read it; the manager's controller loop feeds it.
//
// Implementations:
//   local/  LocalMetricsSource: measures CPU from the worker processes (through a
//           pluggable CpuSampler), reads request counts from each worker's
//           GET /metrics and the balancer's from its counters (through a
//           BalancerCounter: HAProxy's) (the local mode, and the default)
//   cloudwatch/ CloudWatchMetricsSource: EC2's CPUUtilization, the workers' custom
//           request-count metric and the ALB's request counts from CloudWatch (the
//           AWS mode)
// Both keep what they gathered in the manager's database (metric_store.h), so that
// the 30-minute charts survive a manager restart.
//
// Time model. Every value belongs to one wall-clock minute, named by the epoch
// seconds of its start (a multiple of 60). Queries take a MinuteRange and answer one
// slot per minute of it, oldest first. A minute for which nothing was measured is
// std::nullopt ("no data": the worker was not running, not yet scraped, or its
// reading failed), which is never the same as 0 (measured idle). The minute that is
// still running may hold a provisional CPU figure (over the part of the minute seen
// so far) that later passes replace; request counts exist only for completed
// minutes, as the worker reports no others.
//
// Completeness. A source may learn of a minute late (CloudWatch publishes EC2 CPU one
// to several minutes after the minute ends); CompleteUntil(now) says up to when its
// data is final, so that the auto-scaler places its window on complete data rather
// than on "now" (where a lagging source would have nothing, and it would hold for
// ever). The charts show what there is.
//
// The load balancer's counts. Besides the workers' own figures, a source may know how
// many requests the balancer received (offered) and how many of them a worker answered
// (served) per period: CPU stops at 100 % and hides how far behind a saturated pool
// is, the count does not (scaler/decision.h, rule 2). RecentRequests() answers them
// under the same completeness horizon as the CPU.
//
// Thread safety: implementations are safe to use from many threads. Collect() runs
// one pass at a time (a second caller waits for the first to finish); the queries
// may run at any time, also during a Collect(), and see each stored minute either
// before or after a pass's update of it, never half of it.
#ifndef MASKFLEET_METRICS_METRICS_SOURCE_H_
#define MASKFLEET_METRICS_METRICS_SOURCE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"

namespace maskfleet::metrics {

enum class Metric {
  // CPU used as a percentage of the worker's allotment over the minute (100 = all of
  // it; a worker limited by the in-process governor can briefly show more; not
  // clipped).
  kCpuPercent,
  // Requests the worker answered in the minute (its own count; health checks and
  // metric scrapes excluded).
  kRequestsPerMinute,
};

// Stable name, also the value stored in the database: "cpu_percent",
// "requests_per_minute".
std::string_view MetricName(Metric metric);

// The start of the wall-clock minute that holds `t` (rounded down, also before 1970).
std::chrono::sys_seconds MinuteOf(Clock::TimePoint t);

// The minutes [begin, end), both multiples of 60 s (MakeRange rounds them down).
struct MinuteRange {
  std::chrono::sys_seconds begin;
  std::chrono::sys_seconds end;

  // How many minutes the range holds (0 when end <= begin).
  std::size_t size() const;
  // The start of the i-th minute.
  std::chrono::sys_seconds minute(std::size_t i) const { return begin + std::chrono::minutes(i); }
  bool operator==(const MinuteRange&) const = default;
};

// [MinuteOf(begin), MinuteOf(end)).
MinuteRange MakeRange(Clock::TimePoint begin, Clock::TimePoint end);

// The `count` completed minutes before the one that holds `now`: the window the
// auto-scaler averages over ("the past 2 minutes" is LastCompleteMinutes(now, 2)).
MinuteRange LastCompleteMinutes(Clock::TimePoint now, int count);

// The `count` minutes up to and including the one that holds `now` (the charts'
// window; the last slot is the provisional running minute).
MinuteRange MinutesUpTo(Clock::TimePoint now, int count);

// One worker's two series over a MinuteRange: slot i is range.minute(i).
struct WorkerSeries {
  std::string worker_id;
  std::vector<std::optional<double>> cpu_percent;
  std::vector<std::optional<double>> requests_per_minute;
};

// The pool's size as recorded in one minute (the last observation in that minute).
struct PoolSize {
  int in_service = 0;
  int starting = 0;
  bool operator==(const PoolSize&) const = default;
};

// The average CPU over a set of workers and minutes.
struct PoolCpu {
  // The mean, over the workers that have at least one CPU value in the window, of
  // each worker's mean over its minutes with data (every worker weighs the same,
  // however many of its minutes were measured). nullopt when no worker has any.
  std::optional<double> average_percent;
  // Workers that contributed, and those asked about that had no CPU value in the
  // window: the auto-scaler holds when this is not empty ("missing metrics never
  // cause an action").
  int workers_with_data = 0;
  std::vector<std::string> workers_without_data;
};

// Longest range a query answers: 24 hours of minutes.
inline constexpr std::size_t kMaxQueryMinutes = 24 * 60;

// The PoolCpu of workers whose CPU series over one range are `cpu` (cpu[i] belongs to
// worker_ids[i]): the arithmetic every implementation shares.
PoolCpu AveragePoolCpu(std::span<const std::string> worker_ids,
                       const std::vector<std::vector<std::optional<double>>>& cpu);

// Where the manager's pool stands, as Collect() needs it for one worker.
enum class WorkerPhase {
  kStarting,   // launched, not yet healthy: counted as starting in the pool size
  kInService,  // in the load balancer: counted as in service
  kDraining,   // leaving: measured, but not counted in the pool size
};

struct CollectTarget {
  // The pool's id of the worker (pool/worker_pool.h: never reused). Metrics are
  // keyed by it. At most 64 bytes.
  std::string worker_id;
  // Numeric address and port of its HTTP server; port 0 while not known (nothing is
  // scraped from it then, its CPU is still sampled).
  std::string address;
  std::uint16_t port = 0;
  WorkerPhase phase = WorkerPhase::kStarting;
};

// CPU of one worker over one period of RecentCpu().
struct CpuPeriod {
  Clock::TimePoint start;
  double percent = 0;
};

struct WorkerCpuPeriods {
  std::string worker_id;
  // Measured periods only, oldest first.
  std::vector<CpuPeriod> periods;
};

// What the load balancer saw in one period of RecentRequests(), in requests per second
// on average over [start, start + period).
struct RequestPeriod {
  Clock::TimePoint start;
  // Requests the balancer received from people (health checks excluded).
  double offered = 0;
  // Those a worker answered: not refused with 503 by the balancer or a worker, not
  // failed (another 5xx, or no answer at all).
  double served = 0;

  bool operator==(const RequestPeriod&) const = default;
};

class MetricsSource {
 public:
  virtual ~MetricsSource() = default;

  // One collection pass at `now` over the pool as it stands (every live worker,
  // whatever its phase): gathers what is new for each worker, stores it, and
  // records the pool's size for the minute of `now`. Meant to run every ~10 s (CPU
  // minutes are built from these samples; more often gains nothing). Workers not in
  // `workers` are no longer followed; their stored minutes stay until retention
  // removes them. A worker that cannot be measured this time (down, slow, not yet
  // listening) is skipped and its minutes stay "no data"; that is not an error.
  // Errors: kUnavailable / kInternal when storing fails (the pass's readings are then
  // kept and stored by the next successful pass where possible).
  virtual Status Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) = 0;

  // Both series of each of `worker_ids` (in that order) over `range`. An unknown id
  // gets all-nullopt series. Errors: kInvalidArgument (a range over 24 hours),
  // kUnavailable, kInternal.
  virtual Result<std::vector<WorkerSeries>> Samples(std::span<const std::string> worker_ids,
                                                    MinuteRange range) = 0;

  // The average CPU of `worker_ids` over `range` (the auto-scaler passes the workers
  // in service and LastCompleteMinutes(now, 2)). Errors: as Samples().
  virtual Result<PoolCpu> AverageCpu(std::span<const std::string> worker_ids, MinuteRange range) = 0;

  // The pool size per minute of `range`, nullopt for minutes the manager did not
  // observe. Errors: as Samples().
  virtual Result<std::vector<std::optional<PoolSize>>> PoolSizes(MinuteRange range) = 0;

  // Every worker with any sample in `range`, sorted by id: also the workers of an
  // earlier run of the manager, whose charts outlive it. Errors: as Samples().
  virtual Result<std::vector<std::string>> WorkersWithData(MinuteRange range) = 0;

  // The CPU of each of `worker_ids` (in that order) in the complete periods of
  // `period` (aligned to multiples of it since the epoch) within [begin, end): what
  // the auto-scaler averages. Periods not measured are left out. The charts' minutes
  // serve a period of 60 s, which every implementation answers (this default does,
  // from Samples()); a source that samples more often may answer shorter periods
  // (the local one: any period of at least its collection interval, over the
  // readings it keeps in memory), for short check intervals in tests.
  // Errors: kUnimplemented (a period this source cannot give), as Samples().
  virtual Result<std::vector<WorkerCpuPeriods>> RecentCpu(std::span<const std::string> worker_ids,
                                                          Clock::TimePoint begin, Clock::TimePoint end,
                                                          std::chrono::seconds period);

  // The time up to which this source's data is complete when asked at `now`: what it
  // answers for periods that end at or before it will not grow any more (a worker
  // without data there has none). At most `now`. Local: the time of the last
  // finished Collect() (`now` before the first, when there is nothing to wait for);
  // a cloud source: `now` less the service's publication delay. Cheap (no request);
  // never fails.
  virtual Clock::TimePoint CompleteUntil(Clock::TimePoint now) = 0;

  // The balancer's counts in the complete periods of `period` (aligned to multiples of
  // it since the epoch) within [begin, end), oldest first; periods not measured are
  // left out (no data, never the same as 0 requests). What the auto-scaler reads for a
  // saturated pool, over the range of its CPU. A source that knows no balancer counts
  // answers none (this default). Errors: kUnimplemented (a period this source cannot
  // give), kInvalidArgument (a range over 24 hours), kUnavailable, kInternal.
  virtual Result<std::vector<RequestPeriod>> RecentRequests(Clock::TimePoint begin, Clock::TimePoint end,
                                                            std::chrono::seconds period);
};

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_METRICS_SOURCE_H_
