#include "maskfleet/metrics/metrics_source.h"

#include "maskfleet/metrics/request_count_publisher.h"

#include <algorithm>

namespace maskfleet::metrics {

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCpuPercent: return "cpu_percent";
    case Metric::kRequestsPerMinute: return "requests_per_minute";
  }
  return "unknown";
}

std::chrono::sys_seconds MinuteOf(Clock::TimePoint t) { return std::chrono::floor<std::chrono::minutes>(t); }

std::size_t MinuteRange::size() const {
  if (end <= begin) return 0;
  return static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::minutes>(end - begin).count());
}

MinuteRange MakeRange(Clock::TimePoint begin, Clock::TimePoint end) {
  return {MinuteOf(begin), MinuteOf(end)};
}

MinuteRange LastCompleteMinutes(Clock::TimePoint now, int count) {
  const auto end = MinuteOf(now);
  return {end - std::chrono::minutes(std::max(0, count)), end};
}

MinuteRange MinutesUpTo(Clock::TimePoint now, int count) {
  const auto end = MinuteOf(now) + std::chrono::minutes(1);
  return {end - std::chrono::minutes(std::max(0, count)), end};
}

PoolCpu AveragePoolCpu(std::span<const std::string> worker_ids,
                       const std::vector<std::vector<std::optional<double>>>& cpu) {
  PoolCpu pool;
  double sum_of_means = 0;
  for (std::size_t i = 0; i < worker_ids.size(); ++i) {
    double sum = 0;
    int n = 0;
    if (i < cpu.size()) {
      for (const auto& value : cpu[i]) {
        if (!value) continue;
        sum += *value;
        ++n;
      }
    }
    if (n == 0) {
      pool.workers_without_data.push_back(worker_ids[i]);
      continue;
    }
    sum_of_means += sum / n;
    ++pool.workers_with_data;
  }
  if (pool.workers_with_data > 0) pool.average_percent = sum_of_means / pool.workers_with_data;
  return pool;
}

Result<std::vector<WorkerCpuPeriods>> MetricsSource::RecentCpu(std::span<const std::string> worker_ids,
                                                               Clock::TimePoint begin, Clock::TimePoint end,
                                                               std::chrono::seconds period) {
  if (period != std::chrono::minutes(1)) {
    return MakeError(ErrorCode::kUnimplemented, "this metrics source measures CPU per minute only, not per " +
                                                    std::to_string(period.count()) + " s");
  }
  // Complete minutes only: the running one is provisional.
  const MinuteRange range{MinuteOf(begin + std::chrono::seconds(59)), MinuteOf(end)};
  Result<std::vector<WorkerSeries>> series = Samples(worker_ids, range);
  if (!series) return std::unexpected(series.error());
  std::vector<WorkerCpuPeriods> out;
  for (const WorkerSeries& s : *series) {
    WorkerCpuPeriods w{s.worker_id, {}};
    for (std::size_t i = 0; i < s.cpu_percent.size(); ++i) {
      if (s.cpu_percent[i]) w.periods.push_back({range.minute(i), *s.cpu_percent[i]});
    }
    out.push_back(std::move(w));
  }
  return out;
}

Result<std::vector<RequestPeriod>> MetricsSource::RecentRequests(Clock::TimePoint /*begin*/,
                                                                 Clock::TimePoint /*end*/,
                                                                 std::chrono::seconds /*period*/) {
  return std::vector<RequestPeriod>{};
}

Status ValidateRequestMinutes(std::span<const RequestMinute> minutes) {
  for (const RequestMinute& m : minutes) {
    if (m.minute.time_since_epoch().count() % 60 != 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "request counts: " + std::to_string(m.minute.time_since_epoch().count()) +
                           " does not start a minute");
    }
  }
  return {};
}

}  // namespace maskfleet::metrics
