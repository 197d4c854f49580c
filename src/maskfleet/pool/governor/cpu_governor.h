// CpuGovernor: keeps a process's CPU use near an allotment ("0.25 CPU") from inside
// the process, for local workers that no cgroup can limit (the pool could not create
// one: no write access to /sys/fs/cgroup, no cpu controller delegated).
//
// It is a token bucket over the process's own CPU clock (CLOCK_PROCESS_CPUTIME_ID, all
// threads): credit grows by `allotment` CPU-seconds per wall second, up to one
// `burst` of it, and every CPU-second the process used is taken from it. WaitForBudget()
// returns at once while the credit is not negative and otherwise sleeps until it would
// be. The worker calls it before admitting each detection (the work that costs CPU), so
// over any stretch of a few bursts the process uses at most its allotment plus the one
// detection in flight per detection thread. It is a governor, not a limit: work it does
// not gate (an Argon2id hash at login, decoding a huge upload) still runs at full speed,
// and a single detection is never interrupted. That is why a cgroup is preferred
// wherever one can be made.
//
// No measuring thread is needed: the bucket is brought up to date from the CPU clock
// at each call, which is exact and costs one clock read; a thread would only add
// wake-ups to an idle worker.
//
// Thread safety: every method may be called from many threads at once; waiters sleep
// without holding the lock.
//
// The worker's hook (one line, at the admission of a detection, before
// `analyzer_.Analyze(...)` in worker/photo_service.cc):
//
//     maskfleet::pool::governor::WaitForCpuBudget();
//
// It reads MASKFLEET_WORKER_CPU_ALLOTMENT once (set by LocalWorkerPool only when it
// falls back to the governor) and does nothing when the variable is unset or 0.
#ifndef MASKFLEET_POOL_GOVERNOR_CPU_GOVERNOR_H_
#define MASKFLEET_POOL_GOVERNOR_CPU_GOVERNOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "maskfleet/common/error.h"

namespace maskfleet::pool::governor {

// The environment variable by which the pool hands a worker its allotment, in CPUs
// ("0.25"). Named like a [worker] setting so that the configuration may adopt it.
inline constexpr char kAllotmentVariable[] = "MASKFLEET_WORKER_CPU_ALLOTMENT";

struct CpuGovernorOptions {
  // CPUs the process may use on average (0.25 = a quarter of one core); must be > 0.
  // Default 0.25.
  double allotment = 0.25;
  // How much unused allotment may be saved for a burst, as wall time at the allotted
  // rate: a worker idle for a while may then use burst * allotment CPU-seconds at once.
  // Default 1 s (so a 0.25-CPU worker may run 250 ms of CPU without waiting).
  std::chrono::milliseconds burst{1000};
  // Longest single wait of WaitForBudget(); the call then returns (the work goes on a
  // little over budget rather than a request hanging). Default 10 s.
  std::chrono::milliseconds max_wait{10000};
};

// Where the governor reads time; replaced in tests.
struct GovernorClocks {
  // CPU time used by the process so far. Default: CLOCK_PROCESS_CPUTIME_ID.
  std::function<std::chrono::nanoseconds()> cpu_time;
  // A monotonic wall clock. Default: std::chrono::steady_clock.
  std::function<std::chrono::nanoseconds()> wall_time;
  // Sleeps for the given time. Default: std::this_thread::sleep_for.
  std::function<void(std::chrono::nanoseconds)> sleep;
};

// The process's clocks (the defaults above).
GovernorClocks ProcessClocks();

class CpuGovernor {
 public:
  // The bucket starts full (one burst of credit). Errors: kInvalidArgument (allotment
  // not > 0, or burst or max_wait negative).
  static Result<std::unique_ptr<CpuGovernor>> Create(CpuGovernorOptions options,
                                                     GovernorClocks clocks = ProcessClocks());

  // Returns once the process is within its allotment (at once if it is), or after
  // max_wait. Returns how long it waited.
  std::chrono::nanoseconds WaitForBudget();

  // Credit now, in CPU-nanoseconds (negative: the process is over its allotment by that
  // much). For logs and tests.
  std::chrono::nanoseconds Credit();

  // CPU-seconds used over the allotted CPU-seconds since creation (1.0 = exactly the
  // allotment). For logs and tests.
  double UsageRatio();

  // Times WaitForBudget() had to wait, since creation.
  std::uint64_t throttled() const;

  const CpuGovernorOptions& options() const { return options_; }

 private:
  CpuGovernor(CpuGovernorOptions options, GovernorClocks clocks);
  // Brings credit_ up to date. Requires mu_.
  void Update();

  const CpuGovernorOptions options_;
  const GovernorClocks clocks_;
  const std::chrono::nanoseconds max_credit_;

  mutable std::mutex mu_;
  std::chrono::nanoseconds credit_{0};      // guarded by mu_
  std::chrono::nanoseconds last_cpu_{0};    // guarded by mu_
  std::chrono::nanoseconds last_wall_{0};   // guarded by mu_
  std::chrono::nanoseconds first_cpu_{0};   // written by the constructor only
  std::chrono::nanoseconds first_wall_{0};  // written by the constructor only
  std::uint64_t throttled_ = 0;             // guarded by mu_
};

// Parses an allotment as the pool writes it ("0.25"). Errors: kInvalidArgument (not a
// number, negative, above 1024).
Result<double> ParseAllotment(const std::string& text);

// The process's governor, made on first use from MASKFLEET_WORKER_CPU_ALLOTMENT; null
// when the variable is unset, empty, 0 or malformed (a malformed value is reported on
// stderr once). Lives as long as the process.
CpuGovernor* ProcessGovernor();

// The worker's hook: ProcessGovernor()->WaitForBudget() when there is one; otherwise
// returns at once.
void WaitForCpuBudget();

}  // namespace maskfleet::pool::governor

#endif  // MASKFLEET_POOL_GOVERNOR_CPU_GOVERNOR_H_
