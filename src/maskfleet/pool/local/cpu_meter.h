// CpuMeter: a local worker's CPU utilisation as a share of its allotment, as the
// manager's local MetricsSource charts it ("100 %" = the worker uses all the CPU its
// instance size gives it; with the governor a worker can briefly show more).
//
// Usage comes from a CpuUsageReader: the worker's cgroup when one limits it (cpu.stat
// usage_usec in v2, cpuacct.usage in v1: every process in the group), else
// /proc/PID/stat utime + stime (all threads of the worker process). Each Sample()
// reads usage and the Clock, and reports the share over the time since the previous
// sample; the caller decides the interval (the manager samples every few seconds and
// averages into minutes).
//
// Thread safety: CpuMeter is not safe across threads (one sampler per worker owns it);
// the readers may be called from any thread.
#ifndef MASKFLEET_POOL_LOCAL_CPU_METER_H_
#define MASKFLEET_POOL_LOCAL_CPU_METER_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/pool/local/cgroup.h"

namespace maskfleet::pool::local {

// CPU time used so far by what is measured. Errors: kNotFound (the process or group is
// gone), kUnavailable (cannot be read).
using CpuUsageReader = std::function<Result<std::chrono::nanoseconds>()>;

// A worker's cumulative CPU counter and what it is measured against.
struct CpuReading {
  std::chrono::nanoseconds used{0};
  // CPUs allotted (0.25).
  double allotment = 0;
};

// utime + stime of process `pid` (all its threads) from /proc/PID/stat.
CpuUsageReader ProcessCpuUsage(pid_t pid);

// Usage of every process in `group` (see CpuCgroup::Usage()).
CpuUsageReader CgroupCpuUsage(CpuCgroup group);

class CpuMeter {
 public:
  // `allotment` in CPUs (0.25), > 0. `clock` must outlive the meter.
  CpuMeter(CpuUsageReader reader, double allotment, const Clock& clock = RealClock());

  // Reads the usage now. Success: the CPU used since the previous successful sample, as
  // a percentage of the allotment over that interval (0 .. about 100; the figure is not
  // clipped); nullopt on the first sample, or when the clock has not moved forward
  // since the previous one (the sample then becomes the new start). Errors: the
  // reader's; the previous sample stays the start of the next interval.
  Result<std::optional<double>> Sample();

  double allotment() const { return allotment_; }

 private:
  CpuUsageReader reader_;
  double allotment_;
  const Clock& clock_;
  std::optional<std::pair<Clock::TimePoint, std::chrono::nanoseconds>> last_;
};

}  // namespace maskfleet::pool::local

#endif  // MASKFLEET_POOL_LOCAL_CPU_METER_H_
