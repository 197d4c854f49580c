#include "maskfleet/pool/local/cpu_meter.h"

#include "maskfleet/process/proc_stat.h"

namespace maskfleet::pool::local {

CpuUsageReader ProcessCpuUsage(pid_t pid) {
  return [pid]() -> Result<std::chrono::nanoseconds> {
    Result<process::ProcStat> stat = process::ReadProcStat(pid);
    if (!stat) return std::unexpected(stat.error());
    if (stat->state == 'Z') {
      return MakeError(ErrorCode::kNotFound, "process " + std::to_string(pid) + " has exited");
    }
    return stat->cpu;
  };
}

CpuUsageReader CgroupCpuUsage(CpuCgroup group) {
  return [group = std::move(group)] { return group.Usage(); };
}

CpuMeter::CpuMeter(CpuUsageReader reader, double allotment, const Clock& clock)
    : reader_(std::move(reader)), allotment_(allotment), clock_(clock) {}

Result<std::optional<double>> CpuMeter::Sample() {
  Result<std::chrono::nanoseconds> used = reader_();
  if (!used) return std::unexpected(used.error());
  const Clock::TimePoint now = clock_.Now();
  std::optional<double> share;
  if (last_ && now > last_->first) {
    const double wall = std::chrono::duration<double>(now - last_->first).count();
    const double cpu = std::chrono::duration<double>(*used - last_->second).count();
    share = 100.0 * cpu / (wall * allotment_);
  }
  last_ = {now, *used};
  return share;
}

}  // namespace maskfleet::pool::local
