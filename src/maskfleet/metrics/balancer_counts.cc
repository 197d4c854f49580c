#include "maskfleet/metrics/balancer_counts.h"

#include <algorithm>

namespace maskfleet::metrics {

std::vector<RequestPeriod> RequestsPerPeriod(std::span<const BalancerCounterReading> readings,
                                             Clock::TimePoint begin, Clock::TimePoint end,
                                             std::chrono::seconds period, std::chrono::seconds max_interval) {
  using Duration = Clock::TimePoint::duration;
  std::vector<RequestPeriod> out;
  if (period <= std::chrono::seconds(0) || end <= begin) return out;
  const Duration p = std::chrono::duration_cast<Duration>(period);
  const auto floor_to_period = [p](Clock::TimePoint t) {
    Duration since = t.time_since_epoch();
    Duration rem = since % p;
    if (rem < Duration::zero()) rem += p;
    return Clock::TimePoint(since - rem);
  };
  Clock::TimePoint first = floor_to_period(begin);
  if (first < begin) first += p;
  const Clock::TimePoint last_end = floor_to_period(end);
  if (last_end <= first) return out;
  const std::size_t count = static_cast<std::size_t>((last_end - first) / p);
  std::vector<double> offered(count, 0.0);
  std::vector<double> served(count, 0.0);
  std::vector<double> covered(count, 0.0);

  for (std::size_t i = 1; i < readings.size(); ++i) {
    const BalancerCounterReading& a = readings[i - 1];
    const BalancerCounterReading& b = readings[i];
    if (b.generation != a.generation || b.at <= a.at || b.offered < a.offered || b.served < a.served ||
        b.at - a.at > max_interval) {
      continue;
    }
    const double seconds = std::chrono::duration<double>(b.at - a.at).count();
    const double offered_rate = static_cast<double>(b.offered - a.offered) / seconds;
    const double served_rate = static_cast<double>(b.served - a.served) / seconds;
    const Clock::TimePoint from = std::max(a.at, first);
    const Clock::TimePoint to = std::min(b.at, last_end);
    for (Clock::TimePoint t = from; t < to;) {
      const std::size_t slot = static_cast<std::size_t>((floor_to_period(t) - first) / p);
      const Clock::TimePoint piece_end = std::min(to, first + p * static_cast<long>(slot + 1));
      const double overlap = std::chrono::duration<double>(piece_end - t).count();
      offered[slot] += offered_rate * overlap;
      served[slot] += served_rate * overlap;
      covered[slot] += overlap;
      t = piece_end;
    }
  }
  const double half = std::chrono::duration<double>(period).count() / 2;
  for (std::size_t i = 0; i < count; ++i) {
    if (covered[i] >= half) {
      out.push_back({first + p * static_cast<long>(i), offered[i] / covered[i], served[i] / covered[i]});
    }
  }
  return out;
}

}  // namespace maskfleet::metrics
