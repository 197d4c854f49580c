#include "maskfleet/metrics/local/local_metrics_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <set>
#include <utility>

namespace maskfleet::metrics::local {

LocalMetricsSource::LocalMetricsSource(MetricStore& store, CpuSampler cpu, LocalMetricsSourceOptions options)
    : LocalMetricsSource(store, std::move(cpu), BalancerCounter(), std::move(options)) {}

LocalMetricsSource::LocalMetricsSource(MetricStore& store, CpuSampler cpu, BalancerCounter balancer,
                                       LocalMetricsSourceOptions options)
    : StoredMetricsSource(store),
      cpu_(std::move(cpu)),
      balancer_(std::move(balancer)),
      options_(std::move(options)),
      scraper_(options_.scrape) {}

void LocalMetricsSource::CollectBalancerLocked(Clock::TimePoint now) {
  if (!balancer_) return;
  Result<BalancerCounterSample> sample = balancer_();
  std::lock_guard<std::mutex> recent_lock(recent_mu_);
  if (sample) {
    balancer_readings_.push_back({now, std::move(sample->generation), sample->offered, sample->served});
    if (balancer_readings_.size() > options_.recent_readings) {
      balancer_readings_.erase(balancer_readings_.begin(),
                               balancer_readings_.end() - static_cast<long>(options_.recent_readings));
    }
  } else {
    spdlog::debug("metrics: the balancer's counters not read: {}", sample.error().ToString());
  }
  if (balancer_readings_.empty()) return;
  // Every minute that has ended since the last pass, from the first reading on.
  const std::chrono::sys_seconds running = MinuteOf(now);
  std::chrono::sys_seconds from = MinuteOf(balancer_readings_.front().at);
  if (balancer_minutes_until_) from = std::max(from, *balancer_minutes_until_);
  if (from >= running) return;
  for (const RequestPeriod& p : RequestsPerPeriod(balancer_readings_, from, running, std::chrono::minutes(1),
                                                  options_.max_counter_interval)) {
    pending_balancer_.push_back({MinuteOf(p.start), p.offered * 60, p.served * 60});
  }
  balancer_minutes_until_ = running;
}

Status LocalMetricsSource::Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) {
  std::lock_guard<std::mutex> lock(collect_mu_);

  // Forget the workers that left the pool.
  std::set<std::string> present;
  for (const CollectTarget& w : workers) present.insert(w.worker_id);
  std::erase_if(followed_, [&](const auto& entry) { return !present.contains(entry.first); });
  {
    std::lock_guard<std::mutex> recent_lock(recent_mu_);
    std::erase_if(recent_, [&](const auto& entry) { return !present.contains(entry.first); });
  }

  // CPU first, all at `now`: reading a counter takes microseconds, the scrapes longer.
  for (const CollectTarget& w : workers) {
    if (!cpu_ || w.worker_id.empty() || w.worker_id.size() > kMaxWorkerIdLength) continue;
    Followed& f =
        followed_.try_emplace(w.worker_id, Followed{MinuteAggregator(options_.aggregator), {}}).first->second;
    Result<CpuCounterSample> sample = cpu_(w);
    if (!sample) {
      spdlog::debug("metrics: CPU of worker {} not read: {}", w.worker_id, sample.error().ToString());
      continue;
    }
    f.cpu.Add({now, sample->cpu_used, sample->allotment_cpus});
    {
      std::lock_guard<std::mutex> recent_lock(recent_mu_);
      std::vector<CpuCounterReading>& recent = recent_[w.worker_id];
      recent.push_back({now, sample->cpu_used, sample->allotment_cpus});
      if (recent.size() > options_.recent_readings) {
        recent.erase(recent.begin(), recent.end() - static_cast<long>(options_.recent_readings));
      }
    }
    for (const MinuteUtilisation& m : f.cpu.TakeChanged()) {
      pending_.push_back({w.worker_id, Metric::kCpuPercent, m.minute, m.percent});
    }
  }

  CollectBalancerLocked(now);

  {
    std::lock_guard<std::mutex> recent_lock(recent_mu_);
    last_pass_ = now;
  }

  // The scrapes, in parallel: a slow worker delays the pass by one timeout, not by one
  // per worker. With both launch policies libstdc++ runs the scrape on the calling
  // thread (at get()) when no thread can be made, instead of throwing.
  std::vector<std::pair<const CollectTarget*, std::future<Result<ParsedRequestMinutes>>>> scrapes;
  for (const CollectTarget& w : workers) {
    if (w.port == 0 || w.worker_id.empty() || w.worker_id.size() > kMaxWorkerIdLength) continue;
    scrapes.emplace_back(&w, std::async(std::launch::async | std::launch::deferred,
                                        [this, &w] { return scraper_.Scrape(w.address, w.port); }));
  }
  for (auto& [w, future] : scrapes) {
    Result<ParsedRequestMinutes> parsed = future.get();
    if (!parsed) {
      spdlog::debug("metrics: requests of worker {} not read: {}", w->worker_id, parsed.error().ToString());
      continue;
    }
    if (parsed->skipped_lines > 0) {
      spdlog::warn("metrics: worker {}: {} malformed {} lines skipped", w->worker_id, parsed->skipped_lines,
                   kRequestMinuteFamily);
    }
    Followed& f = followed_.try_emplace(w->worker_id, Followed{MinuteAggregator(options_.aggregator), {}})
                      .first->second;
    for (const RequestMinute& m : parsed->minutes) {
      if (f.last_request_minute && m.minute <= *f.last_request_minute) continue;
      pending_.push_back({w->worker_id, Metric::kRequestsPerMinute, m.minute, static_cast<double>(m.count)});
      f.last_request_minute = m.minute;
    }
  }

  if (pending_.size() > options_.max_pending) {
    const std::size_t dropped = pending_.size() - options_.max_pending;
    spdlog::warn("metrics: {} samples dropped while the database is unavailable", dropped);
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(dropped));
  }
  if (pending_balancer_.size() > options_.max_pending) {
    pending_balancer_.erase(pending_balancer_.begin(),
                            pending_balancer_.end() - static_cast<std::ptrdiff_t>(options_.max_pending));
  }
  if (Status st = store().Upsert(pending_); !st)
    return std::unexpected(st.error().WithContext("collect metrics"));
  pending_.clear();
  if (Status st = store().UpsertBalancerMinutes(pending_balancer_); !st)
    return std::unexpected(st.error().WithContext("collect metrics"));
  pending_balancer_.clear();

  PoolSize size;
  for (const CollectTarget& w : workers) {
    if (w.phase == WorkerPhase::kInService) ++size.in_service;
    if (w.phase == WorkerPhase::kStarting) ++size.starting;
  }
  if (Status st = store().UpsertPoolSize(MinuteOf(now), size); !st) {
    return std::unexpected(st.error().WithContext("collect metrics"));
  }

  if (!last_retention_ || now - *last_retention_ >= options_.retention_every || now < *last_retention_) {
    Result<std::int64_t> deleted = store().DeleteBefore(MinuteOf(now - options_.retention));
    if (!deleted) return std::unexpected(deleted.error().WithContext("metric retention"));
    last_retention_ = now;
  }
  return {};
}

Result<std::vector<WorkerCpuPeriods>> LocalMetricsSource::RecentCpu(std::span<const std::string> worker_ids,
                                                                    Clock::TimePoint begin,
                                                                    Clock::TimePoint end,
                                                                    std::chrono::seconds period) {
  if (period <= std::chrono::seconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument, "the period must be positive");
  }
  std::vector<WorkerCpuPeriods> out;
  std::lock_guard<std::mutex> lock(recent_mu_);
  for (const std::string& id : worker_ids) {
    WorkerCpuPeriods w{id, {}};
    if (auto it = recent_.find(id); it != recent_.end()) {
      for (const auto& [start, percent] : CpuPerPeriod(it->second, begin, end, period)) {
        w.periods.push_back({start, percent});
      }
    }
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<RequestPeriod>> LocalMetricsSource::RecentRequests(Clock::TimePoint begin,
                                                                      Clock::TimePoint end,
                                                                      std::chrono::seconds period) {
  if (period <= std::chrono::seconds(0)) {
    return MakeError(ErrorCode::kInvalidArgument, "the period must be positive");
  }
  std::vector<RequestPeriod> from_memory;
  {
    std::lock_guard<std::mutex> lock(recent_mu_);
    from_memory = RequestsPerPeriod(balancer_readings_, begin, end, period, options_.max_counter_interval);
  }
  if (period != std::chrono::minutes(1)) return from_memory;
  Result<std::vector<RequestPeriod>> stored = StoredMetricsSource::RecentRequests(begin, end, period);
  if (!stored) return stored;
  // Memory first (it is what the store was given); the store fills in the rest.
  std::vector<RequestPeriod> out = std::move(from_memory);
  for (const RequestPeriod& p : *stored) {
    if (std::none_of(out.begin(), out.end(), [&](const RequestPeriod& m) { return m.start == p.start; })) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RequestPeriod& a, const RequestPeriod& b) { return a.start < b.start; });
  return out;
}

Clock::TimePoint LocalMetricsSource::CompleteUntil(Clock::TimePoint now) {
  std::lock_guard<std::mutex> lock(recent_mu_);
  return last_pass_ ? std::min(now, *last_pass_) : now;
}

}  // namespace maskfleet::metrics::local
