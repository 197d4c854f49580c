// Replay: a run recorded on a real manager (scripts/live-run.sh), read back as a Trace
// so that the simulator's chart and figures describe it exactly as they describe a
// simulated run, side by side with the simulation of the same scenario.
//
// The recording is a CSV, one row per second since the load began, with a header
// naming the columns (in any order; unknown columns are ignored):
//
//   t             seconds since the load began: 0, 1, 2, ... without gaps   (required)
//   offered_rate  requests/s the load generator was asked to send           (required)
//   in_service    workers in service at that second                         (required)
//   starting      workers starting at that second                           (required)
//   average_cpu   the average CPU (%) of the last check so far; empty when
//                 that check computed none
//   action        grow, shrink or hold on the row of the second a check ran;
//                 empty on the others
//   size_before, size_after   the pool's size before and after that check
//   sent, failed  requests sent in that second, and how many of them failed
//
// A check becomes a CheckRecord at its second with the pool of the row before it (the
// pool the check saw; the row of the check itself may already show the workers it
// launched). Without sent/failed columns, the trace's requests are the offered load
// and none is counted unserved; with them, requests = sent and unserved = failed (what
// really happened, where a simulation counts demand beyond its capacity).
//
// Thread safety: pure functions.
#ifndef MASKFLEET_SIM_REPLAY_H_
#define MASKFLEET_SIM_REPLAY_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"
#include "maskfleet/sim/scenario.h"
#include "maskfleet/sim/simulator.h"

namespace maskfleet::sim {

// Reads a recording from CSV text; the trace is named scenario "" and controller
// "live" (the caller names the scenario). `source` names it in errors. Errors:
// kInvalidArgument naming the source, the line and the column:
// "live.csv:7: in_service must be a whole number of at least 0, not 'x'".
Result<Trace> ParseReplay(std::string_view text, const std::string& source);

// Reads the file at `path`. Errors: kNotFound (no such file), kInvalidArgument (as
// ParseReplay).
Result<Trace> ReadReplayFile(const std::filesystem::path& path);

// Whether `trace` is a recording of `scenario`: as many seconds as its duration and,
// at every second, the offered load the simulator would use. Errors: kInvalidArgument
// saying where they differ.
Status CheckReplayMatches(const Trace& trace, const Scenario& scenario, const std::string& source);

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_REPLAY_H_
