#include "maskfleet/metrics/minute_aggregator.h"

#include <algorithm>

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

}  // namespace maskfleet::metrics
