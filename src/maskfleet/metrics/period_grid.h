// PeriodGrid: the whole periods of a length within [begin, end), aligned to multiples of
// the length since the epoch (as metrics::MinuteOf aligns minutes), and the spreading of
// an interval between two counter readings over them by wall time. What turns
// cumulative counters (CPU time, requests) into a figure per period.
//
// Plain value; pure.
#ifndef MASKFLEET_METRICS_PERIOD_GRID_H_
#define MASKFLEET_METRICS_PERIOD_GRID_H_

#include <algorithm>
#include <chrono>
#include <cstddef>

#include "maskfleet/common/clock.h"

namespace maskfleet::metrics {

class PeriodGrid {
 public:
  using Duration = Clock::TimePoint::duration;

  // No periods when `period` <= 0 or no whole period fits.
  PeriodGrid(Clock::TimePoint begin, Clock::TimePoint end, std::chrono::seconds period) {
    if (period <= std::chrono::seconds(0) || end <= begin) return;
    p_ = std::chrono::duration_cast<Duration>(period);
    first_ = Floor(begin);
    if (first_ < begin) first_ += p_;
    const Clock::TimePoint last_end = Floor(end);
    if (last_end > first_) count_ = static_cast<std::size_t>((last_end - first_) / p_);
  }

  std::size_t size() const { return count_; }
  Clock::TimePoint start(std::size_t i) const { return first_ + p_ * static_cast<long>(i); }
  // A period is counted when at least this many seconds of it are covered.
  double half_seconds() const { return std::chrono::duration<double>(p_).count() / 2; }

  // Calls add(i, seconds) for each period i that [from, to) overlaps, with the
  // seconds of the overlap.
  template <typename Add>
  void Spread(Clock::TimePoint from, Clock::TimePoint to, Add add) const {
    if (count_ == 0) return;
    from = std::max(from, first_);
    to = std::min(to, start(count_));
    for (Clock::TimePoint t = from; t < to;) {
      const std::size_t i = static_cast<std::size_t>((Floor(t) - first_) / p_);
      const Clock::TimePoint piece_end = std::min(to, start(i + 1));
      add(i, std::chrono::duration<double>(piece_end - t).count());
      t = piece_end;
    }
  }

 private:
  Clock::TimePoint Floor(Clock::TimePoint t) const {
    const Duration since = t.time_since_epoch();
    Duration rem = since % p_;
    if (rem < Duration::zero()) rem += p_;
    return Clock::TimePoint(since - rem);
  }

  Duration p_{1};
  Clock::TimePoint first_;
  std::size_t count_ = 0;
};

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_PERIOD_GRID_H_
