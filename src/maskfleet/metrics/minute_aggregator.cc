#include "maskfleet/metrics/minute_aggregator.h"

#include <algorithm>

#include "maskfleet/metrics/period_grid.h"

namespace maskfleet::metrics {
namespace {

using Seconds = std::chrono::duration<double>;

}  // namespace

MinuteAggregator::Outcome MinuteAggregator::Add(const CpuCounterReading& reading) {
  if (!(reading.allotment_cpus > 0)) return Outcome::kInvalid;

  Outcome outcome = Outcome::kAdded;
  if (!last_) {
    outcome = Outcome::kBaseline;
  } else if (reading.at <= last_->at) {
    outcome = Outcome::kOutOfOrder;
  } else if (reading.cpu_used < last_->cpu_used) {
    outcome = Outcome::kReset;
  } else if (reading.at - last_->at > options_.max_interval) {
    outcome = Outcome::kBaseline;
  }

  if (outcome == Outcome::kAdded) {
    const Clock::TimePoint start = last_->at;
    const Clock::TimePoint end = reading.at;
    const double interval = Seconds(end - start).count();
    const double used = Seconds(reading.cpu_used - last_->cpu_used).count() / reading.allotment_cpus;
    for (auto minute = std::chrono::floor<std::chrono::minutes>(start); minute < end;
         minute += std::chrono::minutes(1)) {
      const Clock::TimePoint from = std::max<Clock::TimePoint>(start, minute);
      const Clock::TimePoint to = std::min<Clock::TimePoint>(end, minute + std::chrono::minutes(1));
      const double overlap = Seconds(to - from).count();
      if (overlap <= 0) continue;
      Accumulated& acc = minutes_[std::chrono::sys_seconds(minute)];
      acc.allotment_seconds_used += used * overlap / interval;
      acc.covered_seconds += overlap;
      acc.changed = true;
    }
  }

  // Minutes that ended by this reading's time can change no more: later intervals
  // start at this reading or after it (unless the clock steps back, see the header).
  const Clock::TimePoint latest = reading.at;
  for (auto& [minute, acc] : minutes_) {
    if (minute + std::chrono::minutes(1) > latest) break;
    if (!acc.complete) {
      acc.complete = true;
      acc.changed = true;
    }
  }
  last_ = reading;
  return outcome;
}

std::vector<MinuteUtilisation> MinuteAggregator::TakeChanged() {
  std::vector<MinuteUtilisation> out;
  for (auto it = minutes_.begin(); it != minutes_.end();) {
    Accumulated& acc = it->second;
    if (acc.changed && acc.covered_seconds > 0) {
      out.push_back({.minute = it->first,
                     .percent = 100.0 * acc.allotment_seconds_used / acc.covered_seconds,
                     .covered = Seconds(acc.covered_seconds),
                     .complete = acc.complete});
    }
    acc.changed = false;
    it = acc.complete ? minutes_.erase(it) : std::next(it);
  }
  return out;
}

std::vector<std::pair<Clock::TimePoint, double>> CpuPerPeriod(const std::vector<CpuCounterReading>& readings,
                                                              Clock::TimePoint begin, Clock::TimePoint end,
                                                              std::chrono::seconds period) {
  std::vector<std::pair<Clock::TimePoint, double>> out;
  const PeriodGrid grid(begin, end, period);
  std::vector<double> weighted(grid.size(), 0.0);
  std::vector<double> covered(grid.size(), 0.0);

  for (std::size_t i = 1; i < readings.size(); ++i) {
    const CpuCounterReading& a = readings[i - 1];
    const CpuCounterReading& b = readings[i];
    if (b.at <= a.at || b.cpu_used < a.cpu_used || b.allotment_cpus <= 0) continue;
    const double seconds = std::chrono::duration<double>(b.at - a.at).count();
    const double percent = std::chrono::duration<double>(b.cpu_used - a.cpu_used).count() / seconds /
                           b.allotment_cpus * 100.0;
    grid.Spread(a.at, b.at, [&](std::size_t slot, double overlap) {
      weighted[slot] += percent * overlap;
      covered[slot] += overlap;
    });
  }
  for (std::size_t i = 0; i < grid.size(); ++i) {
    if (covered[i] >= grid.half_seconds()) out.emplace_back(grid.start(i), weighted[i] / covered[i]);
  }
  return out;
}

}  // namespace maskfleet::metrics
