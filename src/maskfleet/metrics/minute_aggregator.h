// MinuteAggregator: turns readings of a cumulative CPU counter, taken every few
// seconds, into CPU utilisation per wall-clock minute, as a percentage of the
// worker's allotment.
//
// A reading is (time, CPU time used so far by the process or cgroup, allotment in
// CPUs). Between two consecutive readings the CPU used is the difference of the
// counters; it is assumed to be spread evenly over the interval, so an interval that
// straddles a minute boundary gives each minute its share by wall time. A minute's
// utilisation is
//     sum over its pieces of (CPU seconds / allotment)  /  wall seconds covered  x 100
// so a minute seen only in part (the worker started in it, or it is still running,
// or a reading failed) is the utilisation over the part that was seen, and says how
// much that was (`covered`).
//
// Readings that cannot be trusted start a new baseline and attribute nothing:
//   - the first reading;
//   - a counter lower than the previous one (the process or cgroup was replaced, a
//     counter reset): the CPU used before the reset is unknown;
//   - a time not after the previous reading's (a clock stepped back; minutes already
//     reported complete may then be reported again with what the new readings add);
//   - an interval longer than max_interval (the manager was stopped or stalled):
//     spreading it evenly would draw a flat line where nothing was seen.
// A reading that is dropped this way is not an error; the minutes it would have
// touched simply have less coverage, or none ("no data").
//
// The class is pure: no clock, no I/O; the caller passes each reading's time.
//
// Thread safety: not safe across threads; one aggregator per worker, owned by the
// one collection pass that feeds it.
#ifndef MASKFLEET_METRICS_MINUTE_AGGREGATOR_H_
#define MASKFLEET_METRICS_MINUTE_AGGREGATOR_H_

#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "maskfleet/common/clock.h"

namespace maskfleet::metrics {

struct CpuCounterReading {
  Clock::TimePoint at;
  // CPU time used by what is measured since it started (all its threads or
  // processes); monotonic unless it restarts.
  std::chrono::nanoseconds cpu_used{0};
  // The CPU allotment over the interval that ends at this reading, in CPUs (0.25),
  // > 0. A reading with an allotment <= 0 is dropped and starts a new baseline.
  double allotment_cpus = 1.0;
};

struct MinuteAggregatorOptions {
  // Longest interval between two readings that is still spread over the minutes it
  // spans; a longer one starts a new baseline. Default 120 s (a reader every ~10 s
  // that missed several passes still counts).
  std::chrono::seconds max_interval{120};
};

struct MinuteUtilisation {
  std::chrono::sys_seconds minute;  // the minute's start
  double percent = 0;               // see above; not clipped
  // Wall time of the minute covered by intervals between accepted readings
  // (0 < covered <= 60 s).
  std::chrono::duration<double> covered{0};
  // Whether a reading at or after the minute's end has been added (accepted or not):
  // no later reading can change the figure. The running minute is not complete.
  bool complete = false;

  bool operator==(const MinuteUtilisation&) const = default;
};

class MinuteAggregator {
 public:
  explicit MinuteAggregator(MinuteAggregatorOptions options = {}) : options_(options) {}

  enum class Outcome {
    kAdded,       // the interval since the previous reading was attributed
    kBaseline,    // first reading, or after a gap: a new baseline, nothing attributed
    kReset,       // the counter went down: a new baseline
    kOutOfOrder,  // not later than the previous reading: a new baseline
    kInvalid,     // allotment <= 0: ignored (the previous baseline stays)
  };

  // Adds the next reading.
  Outcome Add(const CpuCounterReading& reading);

  // The minutes whose figures changed since the last call, oldest first, each with
  // everything known about it so far. Complete minutes are reported once more after
  // they became complete and then forgotten; incomplete ones stay and are reported
  // again when later readings change them.
  std::vector<MinuteUtilisation> TakeChanged();

 private:
  struct Accumulated {
    double allotment_seconds_used = 0;  // CPU seconds / allotment
    double covered_seconds = 0;
    bool complete = false;
    bool changed = false;
  };

  const MinuteAggregatorOptions options_;
  std::optional<CpuCounterReading> last_;
  std::map<std::chrono::sys_seconds, Accumulated> minutes_;  // ascending
};

// CPU % of the allotment in each complete period of `period` (aligned to multiples
// of it since the epoch) within [begin, end), from cumulative counter readings in
// time order. Each interval between two readings has one rate, spread over the
// periods it overlaps; a period's figure is the time-weighted mean of what covers it,
// and a period less than half covered is left out (no data). A counter that goes
// back (a restart) or an allotment <= 0 breaks the series there. Pure.
std::vector<std::pair<Clock::TimePoint, double>> CpuPerPeriod(const std::vector<CpuCounterReading>& readings,
                                                              Clock::TimePoint begin, Clock::TimePoint end,
                                                              std::chrono::seconds period);

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_MINUTE_AGGREGATOR_H_
