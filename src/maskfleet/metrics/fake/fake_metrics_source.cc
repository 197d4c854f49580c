#include "maskfleet/metrics/fake/fake_metrics_source.h"

#include <algorithm>
#include <set>
#include <utility>

namespace maskfleet::metrics {
namespace {

Status CheckRange(const MinuteRange& range) {
  if (range.size() > kMaxQueryMinutes) {
    return MakeError(ErrorCode::kInvalidArgument, "metric query over more than 24 hours");
  }
  return {};
}

}  // namespace

void FakeMetricsSource::Set(const std::string& worker_id, Metric metric, Clock::TimePoint minute,
                            double value) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[{worker_id, metric, MinuteOf(minute)}] = value;
}

void FakeMetricsSource::Clear(const std::string& worker_id, Metric metric, Clock::TimePoint minute) {
  std::lock_guard<std::mutex> lock(mu_);
  values_.erase({worker_id, metric, MinuteOf(minute)});
}

void FakeMetricsSource::SetPoolSize(Clock::TimePoint minute, PoolSize size) {
  std::lock_guard<std::mutex> lock(mu_);
  sizes_[MinuteOf(minute)] = size;
}

void FakeMetricsSource::FailNext(Error error, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  failure_ = std::move(error);
  failures_left_ = count;
}

std::vector<FakeMetricsSource::CollectCall> FakeMetricsSource::collect_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::optional<Error> FakeMetricsSource::TakeFailureLocked() {
  if (failures_left_ <= 0 || !failure_) return std::nullopt;
  --failures_left_;
  return failure_;
}

std::vector<std::optional<double>> FakeMetricsSource::SeriesLocked(const std::string& id, Metric metric,
                                                                   const MinuteRange& range) const {
  std::vector<std::optional<double>> out(range.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto it = values_.find({id, metric, range.minute(i)});
    if (it != values_.end()) out[i] = it->second;
  }
  return out;
}

Status FakeMetricsSource::Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked()) return std::unexpected(*failure);
  calls_.push_back({now, {workers.begin(), workers.end()}});
  PoolSize size;
  for (const CollectTarget& w : workers) {
    if (w.phase == WorkerPhase::kInService) ++size.in_service;
    if (w.phase == WorkerPhase::kStarting) ++size.starting;
  }
  sizes_[MinuteOf(now)] = size;
  return {};
}

Result<std::vector<WorkerSeries>> FakeMetricsSource::Samples(std::span<const std::string> worker_ids,
                                                             MinuteRange range) {
  if (Status st = CheckRange(range); !st) return std::unexpected(st.error());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked()) return std::unexpected(*failure);
  std::vector<WorkerSeries> out;
  for (const std::string& id : worker_ids) {
    out.push_back({id, SeriesLocked(id, Metric::kCpuPercent, range),
                   SeriesLocked(id, Metric::kRequestsPerMinute, range)});
  }
  return out;
}

Result<PoolCpu> FakeMetricsSource::AverageCpu(std::span<const std::string> worker_ids, MinuteRange range) {
  if (Status st = CheckRange(range); !st) return std::unexpected(st.error());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked()) return std::unexpected(*failure);
  std::vector<std::vector<std::optional<double>>> cpu;
  for (const std::string& id : worker_ids) cpu.push_back(SeriesLocked(id, Metric::kCpuPercent, range));
  return AveragePoolCpu(worker_ids, cpu);
}

Result<std::vector<std::optional<PoolSize>>> FakeMetricsSource::PoolSizes(MinuteRange range) {
  if (Status st = CheckRange(range); !st) return std::unexpected(st.error());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked()) return std::unexpected(*failure);
  std::vector<std::optional<PoolSize>> out(range.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto it = sizes_.find(range.minute(i));
    if (it != sizes_.end()) out[i] = it->second;
  }
  return out;
}

Result<std::vector<std::string>> FakeMetricsSource::WorkersWithData(MinuteRange range) {
  if (Status st = CheckRange(range); !st) return std::unexpected(st.error());
  std::lock_guard<std::mutex> lock(mu_);
  if (auto failure = TakeFailureLocked()) return std::unexpected(*failure);
  std::set<std::string> ids;
  for (const auto& [key, value] : values_) {
    const std::chrono::sys_seconds minute = std::get<2>(key);
    if (minute >= range.begin && minute < range.end) ids.insert(std::get<0>(key));
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

void FakeMetricsSource::SetLag(Clock::Duration lag) {
  std::lock_guard lock(mu_);
  lag_ = lag;
}

Clock::TimePoint FakeMetricsSource::CompleteUntil(Clock::TimePoint now) {
  std::lock_guard lock(mu_);
  return now - std::max(lag_, Clock::Duration::zero());
}

void FakeMetricsSource::SetRequests(const RequestPeriod& period) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_[period.start] = period;
}

void FakeMetricsSource::FailRequestsNext(Error error, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_failure_ = std::move(error);
  requests_failures_left_ = count;
}

std::vector<FakeMetricsSource::RequestsCall> FakeMetricsSource::requests_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_calls_;
}

Result<std::vector<RequestPeriod>> FakeMetricsSource::RecentRequests(Clock::TimePoint begin,
                                                                     Clock::TimePoint end,
                                                                     std::chrono::seconds period) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_calls_.push_back({begin, end, period});
  if (requests_failures_left_ > 0 && requests_failure_) {
    --requests_failures_left_;
    return std::unexpected(*requests_failure_);
  }
  std::vector<RequestPeriod> out;
  for (auto it = requests_.lower_bound(begin); it != requests_.end() && it->first + period <= end; ++it) {
    out.push_back(it->second);
  }
  return out;
}

}  // namespace maskfleet::metrics
