// What /proc/PID/stat says about a process: whether it runs, when it started (to tell
// a process from a later one given the same pid), and the CPU time it used.
//
// Thread safety: free functions without shared state.
#ifndef MASKFLEET_PROCESS_PROC_STAT_H_
#define MASKFLEET_PROCESS_PROC_STAT_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "maskfleet/common/error.h"

namespace maskfleet::process {

struct ProcStat {
  // One letter: R running, S sleeping, Z zombie (exited, not yet reaped), ...
  char state = '?';
  // Field 22: when the process started, in clock ticks after boot. A pid reused by a
  // later process has a later start time.
  std::uint64_t start_ticks = 0;
  // User and system CPU time of all the process's threads, living and ended (not of its
  // children).
  std::chrono::nanoseconds cpu{0};
};

// Parses the text of a stat file; the command name in parentheses may hold blanks and
// parentheses itself. Errors: kInvalidArgument (not a stat line).
Result<ProcStat> ParseProcStat(const std::string& text);

// Reads /proc/PID/stat (under `proc`, another folder in tests). Errors: kNotFound (no
// such process), kUnavailable, kInvalidArgument.
Result<ProcStat> ReadProcStat(pid_t pid, const std::filesystem::path& proc = "/proc");

// Whether `pid` is the process that started at `start_ticks` and has not exited
// (a zombie has exited).
bool ProcessRuns(pid_t pid, std::uint64_t start_ticks);

}  // namespace maskfleet::process

#endif  // MASKFLEET_PROCESS_PROC_STAT_H_
