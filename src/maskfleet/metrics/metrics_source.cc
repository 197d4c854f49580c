#include "maskfleet/metrics/metrics_source.h"

#include <algorithm>

namespace maskfleet::metrics {

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kCpuPercent:
      return "cpu_percent";
    case Metric::kRequestsPerMinute:
      return "requests_per_minute";
  }
  return "unknown";
}

std::chrono::sys_seconds MinuteOf(Clock::TimePoint t) {
  return std::chrono::floor<std::chrono::minutes>(t);
}

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

}  // namespace maskfleet::metrics
