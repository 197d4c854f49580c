#include "maskfleet/loadgen/schedule.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace maskfleet::loadgen {

OpenLoopSchedule OpenLoopSchedule::Constant(double rate, std::uint64_t max_count) {
  return OpenLoopSchedule({{.duration_s = std::numeric_limits<double>::infinity(), .rate = rate}}, max_count);
}

OpenLoopSchedule::OpenLoopSchedule(LoadProfile profile, std::uint64_t max_count)
    : profile_(std::move(profile)), max_count_(max_count) {}

std::optional<double> OpenLoopSchedule::Next() {
  if (max_count_ != 0 && issued_ >= max_count_) return std::nullopt;
  const double k = static_cast<double>(issued_);
  while (step_ < profile_.size()) {
    const RateStep& step = profile_[step_];
    if (step.rate > 0) {
      // Solve integral_before_ + rate * (t - step_start_s_) = k within this step.
      const double t = step_start_s_ + std::max(0.0, k - integral_before_) / step.rate;
      if (t < step_start_s_ + step.duration_s) {
        ++issued_;
        return t;
      }
    }
    integral_before_ += step.rate * step.duration_s;
    step_start_s_ += step.duration_s;
    ++step_;
  }
  return std::nullopt;
}

std::vector<double> TakeOffsets(OpenLoopSchedule schedule, std::size_t limit) {
  std::vector<double> offsets;
  while (offsets.size() < limit) {
    const std::optional<double> next = schedule.Next();
    if (!next) break;
    offsets.push_back(*next);
  }
  return offsets;
}

}  // namespace maskfleet::loadgen
