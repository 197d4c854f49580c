// Load profiles: how the rate of requests changes over time.
//
// A profile is a list of steps, each a duration and a rate held for that long:
// "20 s at 2 requests/s, then 30 s at 8/s, then 20 s at 0 (a pause)". The
// load generator's --profile file writes one step per line:
//
//   # duration_seconds  rate_per_second
//   20   2
//   30   8
//   20   0
//
// Fields are separated by spaces or tabs; a '#' starts a comment that runs to the
// end of the line; blank lines are ignored. Durations are positive decimal
// numbers of seconds, rates non-negative decimal numbers of requests per second
// (fractions allowed: "60 0.5" is one request every two seconds for a minute).
// The profile ends after its last step. How requests are placed inside a step is
// OpenLoopSchedule's business (schedule.h).
//
// Pure functions of their input; safe to call from any thread.
#ifndef MASKFLEET_LOADGEN_PROFILE_H_
#define MASKFLEET_LOADGEN_PROFILE_H_

#include <filesystem>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::loadgen {

struct RateStep {
  double duration_s = 0;  // > 0; may be infinite for a constant rate without end
  double rate = 0;        // requests per second, >= 0
};

using LoadProfile = std::vector<RateStep>;

// Parses the text format above. Errors: kInvalidArgument naming the line and what
// is wrong with it ("line 3: rate must be a number >= 0, got 'fast'"); a profile
// without any step, or whose steps are all at rate 0, is an error too.
Result<LoadProfile> ParseProfile(std::string_view text);

// Reads and parses a file. Errors: kNotFound when it cannot be opened, else those
// of ParseProfile prefixed with the file name.
Result<LoadProfile> ReadProfileFile(const std::filesystem::path& path);

// The profile's total length in seconds (infinite if a step is).
double ProfileDuration(const LoadProfile& profile);

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_PROFILE_H_
