// When each request of an open-loop run starts, computed as data.
//
// Open loop means the start times are fixed in advance by the rate, whatever the
// server does: a slow answer does not delay the next request (a closed loop, by
// contrast, waits for each answer; see Runner's concurrency mode). The schedule is
// pure arithmetic on offsets from the start of the run, so tests read it without a
// clock and the runner just sleeps until each offset.
//
// Placement: requests are spaced evenly, 1/rate apart, the first at offset 0, as
// the specification's generator does (send, then sleep 1/rate). Across a profile's
// steps the count is a fluid: request k starts when the integral of the rate since
// the start reaches k, so a change of rate carries the fraction already "owed"
// (10/s for 0.95 s, then 1/s: requests at 0, 0.1 ... 0.9, then 1.45). A step at
// rate 0 is a pause. The first request after a pause starts when the pause ends if
// the request was already due.
//
// Not thread-safe: one schedule is read by one thread (the runner's dispatcher).
#ifndef MASKFLEET_LOADGEN_SCHEDULE_H_
#define MASKFLEET_LOADGEN_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "maskfleet/loadgen/profile.h"

namespace maskfleet::loadgen {

class OpenLoopSchedule {
 public:
  // `rate` requests per second (> 0) without end, capped at `max_count` requests
  // (0: no cap). The caller validates rate.
  static OpenLoopSchedule Constant(double rate, std::uint64_t max_count);
  // The profile's steps, capped at `max_count` requests (0: no cap).
  OpenLoopSchedule(LoadProfile profile, std::uint64_t max_count);

  // The start offset in seconds of the next request, or nullopt when the profile
  // has ended or the cap is reached. Offsets never decrease.
  std::optional<double> Next();

  // Requests handed out so far.
  std::uint64_t issued() const { return issued_; }

 private:
  LoadProfile profile_;
  std::uint64_t max_count_;
  std::uint64_t issued_ = 0;
  std::size_t step_ = 0;        // index into profile_ of the current step
  double step_start_s_ = 0;     // offset at which profile_[step_] begins
  double integral_before_ = 0;  // requests "owed" by the steps before step_
};

// The first `limit` offsets of `schedule` (fewer if it ends), for tests and tools.
std::vector<double> TakeOffsets(OpenLoopSchedule schedule, std::size_t limit);

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_SCHEDULE_H_
