#include "maskfleet/pool/governor/cpu_governor.h"

#include <time.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace maskfleet::pool::governor {

using std::chrono::nanoseconds;

GovernorClocks ProcessClocks() {
  GovernorClocks clocks;
  clocks.cpu_time = [] {
    timespec ts{};
    // Cannot fail for the calling process's own clock on Linux.
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return nanoseconds(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
  };
  clocks.wall_time = [] {
    return std::chrono::duration_cast<nanoseconds>(std::chrono::steady_clock::now().time_since_epoch());
  };
  clocks.sleep = [](nanoseconds d) { std::this_thread::sleep_for(d); };
  return clocks;
}

Result<std::unique_ptr<CpuGovernor>> CpuGovernor::Create(CpuGovernorOptions options, GovernorClocks clocks) {
  if (!(options.allotment > 0) || !std::isfinite(options.allotment)) {
    return MakeError(ErrorCode::kInvalidArgument, "CPU allotment must be above 0");
  }
  if (options.burst.count() < 0 || options.max_wait.count() < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "burst and max_wait must not be negative");
  }
  GovernorClocks defaults = ProcessClocks();
  if (!clocks.cpu_time) clocks.cpu_time = defaults.cpu_time;
  if (!clocks.wall_time) clocks.wall_time = defaults.wall_time;
  if (!clocks.sleep) clocks.sleep = defaults.sleep;
  return std::unique_ptr<CpuGovernor>(new CpuGovernor(options, std::move(clocks)));
}

CpuGovernor::CpuGovernor(CpuGovernorOptions options, GovernorClocks clocks)
    : options_(options),
      clocks_(std::move(clocks)),
      max_credit_(nanoseconds(static_cast<std::int64_t>(
          static_cast<double>(nanoseconds(options.burst).count()) * options.allotment))) {
  credit_ = max_credit_;
  last_cpu_ = first_cpu_ = clocks_.cpu_time();
  last_wall_ = first_wall_ = clocks_.wall_time();
}

void CpuGovernor::Update() {
  const nanoseconds cpu = clocks_.cpu_time();
  const nanoseconds wall = clocks_.wall_time();
  const auto earned = static_cast<double>((wall - last_wall_).count()) * options_.allotment;
  credit_ += nanoseconds(static_cast<std::int64_t>(earned)) - (cpu - last_cpu_);
  credit_ = std::min(credit_, max_credit_);
  last_cpu_ = cpu;
  last_wall_ = wall;
}

nanoseconds CpuGovernor::WaitForBudget() {
  nanoseconds waited{0};
  bool counted = false;
  for (;;) {
    nanoseconds pause{0};
    {
      std::lock_guard lock(mu_);
      Update();
      if (credit_.count() >= 0 || waited >= options_.max_wait) return waited;
      if (!counted) {
        ++throttled_;
        counted = true;
      }
      // The wall time after which the debt is repaid if the process used no more CPU
      // meanwhile; other threads may use some, hence the loop.
      pause = nanoseconds(
          static_cast<std::int64_t>(static_cast<double>(-credit_.count()) / options_.allotment));
      pause = std::clamp(pause, nanoseconds(std::chrono::milliseconds(1)),
                         nanoseconds(options_.max_wait) - waited);
    }
    clocks_.sleep(pause);
    waited += pause;
  }
}

nanoseconds CpuGovernor::Credit() {
  std::lock_guard lock(mu_);
  Update();
  return credit_;
}

double CpuGovernor::UsageRatio() {
  std::lock_guard lock(mu_);
  const auto wall = static_cast<double>((clocks_.wall_time() - first_wall_).count());
  const auto cpu = static_cast<double>((clocks_.cpu_time() - first_cpu_).count());
  return wall > 0 ? cpu / (wall * options_.allotment) : 0.0;
}

std::uint64_t CpuGovernor::throttled() const {
  std::lock_guard lock(mu_);
  return throttled_;
}

Result<double> ParseAllotment(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0 || value > 1024) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        std::string(kAllotmentVariable) + " must be a number of CPUs from 0 to 1024, not '" + text + "'");
  }
  return value;
}

CpuGovernor* ProcessGovernor() {
  // Made once and never destroyed: detections may still call in while the process
  // exits.
  static CpuGovernor* const governor = []() -> CpuGovernor* {
    const char* text = std::getenv(kAllotmentVariable);
    if (text == nullptr || *text == '\0') return nullptr;
    Result<double> allotment = ParseAllotment(text);
    if (!allotment) {
      std::fprintf(stderr, "maskfleet: CPU governor off: %s\n", allotment.error().message.c_str());
      return nullptr;
    }
    if (*allotment == 0) return nullptr;
    Result<std::unique_ptr<CpuGovernor>> made = CpuGovernor::Create({.allotment = *allotment});
    return made ? made->release() : nullptr;
  }();
  return governor;
}

void WaitForCpuBudget() {
  if (CpuGovernor* governor = ProcessGovernor(); governor != nullptr) governor->WaitForBudget();
}

}  // namespace maskfleet::pool::governor
