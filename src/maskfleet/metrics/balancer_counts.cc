#include "maskfleet/metrics/balancer_counts.h"

#include "maskfleet/metrics/period_grid.h"

namespace maskfleet::metrics {

std::vector<RequestPeriod> RequestsPerPeriod(std::span<const BalancerCounterReading> readings,
                                             Clock::TimePoint begin, Clock::TimePoint end,
                                             std::chrono::seconds period, std::chrono::seconds max_interval) {
  std::vector<RequestPeriod> out;
  const PeriodGrid grid(begin, end, period);
  std::vector<double> offered(grid.size(), 0.0);
  std::vector<double> served(grid.size(), 0.0);
  std::vector<double> covered(grid.size(), 0.0);

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
    grid.Spread(a.at, b.at, [&](std::size_t slot, double overlap) {
      offered[slot] += offered_rate * overlap;
      served[slot] += served_rate * overlap;
      covered[slot] += overlap;
    });
  }
  for (std::size_t i = 0; i < grid.size(); ++i) {
    if (covered[i] >= grid.half_seconds()) {
      out.push_back({grid.start(i), offered[i] / covered[i], served[i] / covered[i]});
    }
  }
  return out;
}

}  // namespace maskfleet::metrics
