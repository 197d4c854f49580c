// The load balancer's cumulative request counters turned into requests per second per
// period (metrics_source.h, RequestPeriod).
//
// A reading is (time, the counters' generation, requests received so far, requests a
// worker answered so far). Between two consecutive readings the requests counted are
// the differences of the counters, spread evenly over the interval, so an interval that
// straddles a period boundary gives each period its share by wall time. A period's
// figure is what its pieces counted over the wall time they cover, and a period less
// than half covered is left out (no data).
//
// An interval whose counts cannot be trusted is left out, and the series goes on from
// its second reading:
//   - a new generation (the balancer process was replaced: an HAProxy restarted by the
//     manager, or another one adopted), whatever the counters say;
//   - a counter lower than the one before (a reset the generation did not show);
//   - a time not after the one before (a clock stepped back);
//   - an interval longer than max_interval (the manager was stopped or stalled):
//     spreading it evenly would draw a flat line where nothing was seen.
// So no period is ever negative, nor made of a restarted counter's whole count.
//
// Pure: no clock, no I/O. Thread safety: plain values and a pure function.
#ifndef MASKFLEET_METRICS_BALANCER_COUNTS_H_
#define MASKFLEET_METRICS_BALANCER_COUNTS_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/metrics/metrics_source.h"

namespace maskfleet::metrics {

// One reading of the balancer's counters.
struct BalancerCounterReading {
  Clock::TimePoint at;
  // Names the counters' life (for HAProxy: its process id and start time); counters of
  // two generations are never subtracted.
  std::string generation;
  // Requests received since the counters started.
  std::uint64_t offered = 0;
  // Of those, requests a worker answered (RequestPeriod::served).
  std::uint64_t served = 0;

  bool operator==(const BalancerCounterReading&) const = default;
};

// Default longest interval between two readings that still counts: 120 s, as the CPU
// minutes' (MinuteAggregatorOptions::max_interval).
inline constexpr std::chrono::seconds kMaxCounterInterval{120};

// The requests per second of each complete period of `period` (aligned to multiples of
// it since the epoch) within [begin, end), from readings in time order, as above.
// Periods at least half covered only, oldest first. A period <= 0 gives nothing.
std::vector<RequestPeriod> RequestsPerPeriod(std::span<const BalancerCounterReading> readings,
                                             Clock::TimePoint begin, Clock::TimePoint end,
                                             std::chrono::seconds period,
                                             std::chrono::seconds max_interval = kMaxCounterInterval);

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_BALANCER_COUNTS_H_
