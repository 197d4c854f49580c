// LocalMetricsSource: the MetricsSource of the local mode, where workers are child
// processes of the manager on loopback ports.
//
// Each Collect() pass, for every worker it is given:
//   1. reads the worker's cumulative CPU counter through the CpuSampler (the process's
//      or its cgroup's CPU time, and its allotment; pool/local/ provides the readers)
//      and feeds a MinuteAggregator kept per worker, whose changed minutes are stored
//      as cpu_percent (the running minute provisionally, replaced as it fills up);
//   2. GETs the worker's /metrics (RequestRateScraper), all workers at once, and
//      stores the completed minutes it has not stored yet as requests_per_minute;
//   3. reads the load balancer's cumulative request counters (a BalancerCounter, when
//      given: HAProxy's frontend in the local mode), keeps the reading in memory for
//      RecentRequests() and stores each minute that has ended as the balancer's counts
//      of that minute (balancer_counts.h: a restarted balancer's counters, a gap or a
//      clock stepped back count nothing);
//   4. records the pool size (in service, starting) for the minute of `now`;
//   5. now and then deletes what is older than the retention.
// A worker that cannot be read this pass is skipped (its minutes stay "no data"); a
// worker no longer in the list is forgotten. A worker followed anew (it came back to
// the list, or the manager restarted) starts a new CPU baseline, and the figure of
// the minute it is in then becomes that of the part seen since: the store keeps
// values, not the coverage they would need to be merged. When storing fails, the pass's samples
// are kept (up to max_pending) and stored with the next pass.
//
// Threading: Collect() is one pass at a time, under collect_mu_; a second caller
// waits for the running pass. The manager's controller loop calls it every ~10 s from
// its own thread; a pass blocks for at most about the scrape timeouts (the scrapes run
// in parallel, one short-lived thread per worker with a port). The queries
// (Samples, AverageCpu, PoolSizes) do not take collect_mu_: they read the store, which
// is safe across threads, and may run from any thread during a pass.
#ifndef MASKFLEET_METRICS_LOCAL_LOCAL_METRICS_SOURCE_H_
#define MASKFLEET_METRICS_LOCAL_LOCAL_METRICS_SOURCE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/metrics/balancer_counts.h"
#include "maskfleet/metrics/local/request_rate_scraper.h"
#include "maskfleet/metrics/metric_store.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/metrics/minute_aggregator.h"

namespace maskfleet::metrics::local {

// One reading of a worker's CPU counter.
struct CpuCounterSample {
  // CPU time used since the process (or its cgroup) started; see CpuCounterReading.
  std::chrono::nanoseconds cpu_used{0};
  // The worker's allotment in CPUs (its instance size, e.g. 0.25).
  double allotment_cpus = 0;
};

// Reads a worker's CPU counter now. Called from Collect()'s thread only, once per
// worker per pass. Errors: any; the worker's CPU is then skipped this pass
// (kNotFound: the worker's process is gone, or not known to the sampler).
//
// The manager builds it over pool/local's readers (cpu_meter.h), one per worker,
// e.g. with a map from worker id to (CpuUsageReader, allotment) that it keeps in step
// with the pool:
//   [&readers](const CollectTarget& w) -> Result<CpuCounterSample> {
//     auto it = readers.find(w.worker_id);
//     if (it == readers.end()) return MakeError(ErrorCode::kNotFound, w.worker_id);
//     Result<std::chrono::nanoseconds> used = it->second.reader();
//     if (!used) return std::unexpected(used.error());
//     return CpuCounterSample{*used, it->second.allotment};
//   }
// A function rather than a dependency on pool/, so that metrics/ builds and tests
// without processes, and the AWS mode needs no such thing.
using CpuSampler = std::function<Result<CpuCounterSample>(const CollectTarget& worker)>;

// One reading of the load balancer's counters (BalancerCounterReading without the
// time, which Collect() stamps).
struct BalancerCounterSample {
  std::string generation;
  std::uint64_t offered = 0;
  std::uint64_t served = 0;
};

// Reads the balancer's counters now. Called from Collect()'s thread only, once per pass.
// Errors: any; the pass then has no reading (the interval over the gap still counts
// when it is within max_interval and the generation is the same). A function, as
// CpuSampler is, so that metrics/ knows no balancer; the local mode reads HAProxy's
// frontend through lb/haproxy.
using BalancerCounter = std::function<Result<BalancerCounterSample>()>;

struct LocalMetricsSourceOptions {
  // Samples and pool sizes older than this are deleted. Default 6 hours (the charts
  // show 30 minutes; the rest is for people looking back after an incident).
  std::chrono::minutes retention{6 * 60};
  // How often a pass also applies the retention. Default every 10 minutes.
  std::chrono::minutes retention_every{10};
  MinuteAggregatorOptions aggregator;
  ScrapeOptions scrape;
  // CPU counter readings kept in memory per worker for RecentCpu(), and balancer
  // counter readings for RecentRequests(). Default 720 (two hours of passes every 10 s).
  std::size_t recent_readings = 720;
  // Longest interval between two balancer readings that still counts. Default 120 s.
  std::chrono::seconds max_counter_interval = kMaxCounterInterval;
  // Samples kept for the next pass while the database cannot take them; beyond this
  // the oldest are dropped. Default 20000 (30 minutes of 8 workers many times over).
  std::size_t max_pending = 20000;
};

class LocalMetricsSource final : public StoredMetricsSource {
 public:
  // `store` must outlive the source. `cpu` may be empty: no CPU is measured then;
  // `balancer` too: no balancer counts then.
  LocalMetricsSource(MetricStore& store, CpuSampler cpu, LocalMetricsSourceOptions options = {});
  LocalMetricsSource(MetricStore& store, CpuSampler cpu, BalancerCounter balancer,
                     LocalMetricsSourceOptions options = {});

  // See MetricsSource::Collect and the pass above. `now` stamps the CPU readings and
  // names the minute of the pool size: pass the manager's clock's time.
  Status Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) override;

  // Any period, from the counter readings of the recent passes (CpuPerPeriod); a
  // period shorter than the time between passes is mostly left out (no data).
  Result<std::vector<WorkerCpuPeriods>> RecentCpu(std::span<const std::string> worker_ids,
                                                  Clock::TimePoint begin, Clock::TimePoint end,
                                                  std::chrono::seconds period) override;
  // Any period, from the balancer readings in memory (RequestsPerPeriod); for periods of
  // 60 s, also the minutes stored by an earlier run of the manager (or that memory no
  // longer holds), so that a restart loses none. Errors: kInvalidArgument (a period
  // <= 0), the store's.
  Result<std::vector<RequestPeriod>> RecentRequests(Clock::TimePoint begin, Clock::TimePoint end,
                                                    std::chrono::seconds period) override;
  // The `now` of the last Collect() that read the workers' counters (whether or not
  // storing its minutes succeeded: RecentCpu answers from memory), at most `now`.
  Clock::TimePoint CompleteUntil(Clock::TimePoint now) override;

 private:
  struct Followed {
    MinuteAggregator cpu;
    // The latest request minute handed to the store; earlier ones are not sent again.
    std::optional<std::chrono::sys_seconds> last_request_minute;
  };

  // Reads the balancer and turns the minutes that ended since the last pass into
  // pending balancer minutes; requires collect_mu_.
  void CollectBalancerLocked(Clock::TimePoint now);

  const CpuSampler cpu_;
  const BalancerCounter balancer_;
  const LocalMetricsSourceOptions options_;
  const RequestRateScraper scraper_;

  std::mutex collect_mu_;                           // one pass at a time; guards the fields below
  std::map<std::string, Followed> followed_;        // guarded by collect_mu_
  std::vector<MetricSample> pending_;               // guarded by collect_mu_
  std::optional<Clock::TimePoint> last_retention_;  // guarded by collect_mu_
  std::vector<BalancerMinute> pending_balancer_;    // guarded by collect_mu_
  // Minutes before this one have been handed to pending_balancer_; guarded by collect_mu_.
  std::optional<std::chrono::sys_seconds> balancer_minutes_until_;

  // Readings for RecentCpu(), which must not wait for a pass: a lock of their own.
  std::mutex recent_mu_;
  std::map<std::string, std::vector<CpuCounterReading>> recent_;  // guarded by recent_mu_
  std::vector<BalancerCounterReading> balancer_readings_;         // guarded by recent_mu_
  std::optional<Clock::TimePoint> last_pass_;                     // guarded by recent_mu_
};

}  // namespace maskfleet::metrics::local

#endif  // MASKFLEET_METRICS_LOCAL_LOCAL_METRICS_SOURCE_H_
