#include "maskfleet/scaler/policy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace maskfleet::scaler {
namespace {

// "70" or "72.5": how a person typed the number.
std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Seconds(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

}  // namespace

Status Validate(const ScalingPolicy& p) {
  auto invalid = [](std::string message) {
    return MakeError(ErrorCode::kInvalidArgument, std::move(message));
  };
  // NaN fails every comparison below the way we want only if tested explicitly.
  for (double v : {p.grow_threshold, p.shrink_threshold, p.expand_ratio, p.shrink_ratio}) {
    if (!std::isfinite(v)) return invalid("every threshold and ratio must be a number");
  }
  if (p.grow_threshold <= 0 || p.grow_threshold > 100) {
    return invalid("grow threshold (" + Number(p.grow_threshold) +
                   "%) must be above 0% and at most 100% of the workers' CPU");
  }
  if (p.shrink_threshold < 0 || p.shrink_threshold >= 100) {
    return invalid("shrink threshold (" + Number(p.shrink_threshold) +
                   "%) must be at least 0% and below 100% of the workers' CPU");
  }
  if (p.shrink_threshold >= p.grow_threshold) {
    return invalid("shrink threshold (" + Number(p.shrink_threshold) +
                   "%) must be below the grow threshold (" + Number(p.grow_threshold) +
                   "%): otherwise one load can call for both growing and shrinking and the "
                   "pool never settles");
  }
  if (p.expand_ratio <= 1 || p.expand_ratio > kMaxExpandRatio) {
    return invalid("expand ratio (" + Number(p.expand_ratio) +
                   ") must be above 1 (1 would never grow) and at most " + Number(kMaxExpandRatio) +
                   " (2.0 doubles the pool)");
  }
  if (p.shrink_ratio <= 0 || p.shrink_ratio >= 1) {
    return invalid("shrink ratio (" + Number(p.shrink_ratio) +
                   ") must be above 0 and below 1 (0.5 removes half of the workers)");
  }
  if (p.min_workers < kMinWorkersAllowed || p.min_workers > kMaxWorkersAllowed) {
    return invalid("minimum workers (" + std::to_string(p.min_workers) + ") must be between " +
                   std::to_string(kMinWorkersAllowed) + " and " + std::to_string(kMaxWorkersAllowed));
  }
  if (p.max_workers < kMinWorkersAllowed || p.max_workers > kMaxWorkersAllowed) {
    return invalid("maximum workers (" + std::to_string(p.max_workers) + ") must be between " +
                   std::to_string(kMinWorkersAllowed) + " and " + std::to_string(kMaxWorkersAllowed));
  }
  if (p.min_workers > p.max_workers) {
    return invalid("minimum workers (" + std::to_string(p.min_workers) +
                   ") must not exceed maximum workers (" + std::to_string(p.max_workers) + ")");
  }
  if (p.check_interval.count() <= 0) {
    return invalid("check interval (" + Seconds(p.check_interval) + ") must be positive");
  }
  if (p.window.count() <= 0) {
    return invalid("averaging window (" + Seconds(p.window) + ") must be positive");
  }
  if (p.window < p.check_interval) {
    return invalid("averaging window (" + Seconds(p.window) + ") must be at least the check interval (" +
                   Seconds(p.check_interval) + "), or some minutes would never be looked at");
  }
  if (p.shrink_stabilisation.count() < 0) {
    return invalid("shrink stabilisation (" + Seconds(p.shrink_stabilisation) + ") must not be negative");
  }
  return {};
}

std::vector<PolicyWarning> Warnings(const ScalingPolicy& p, std::chrono::seconds metrics_period) {
  std::vector<PolicyWarning> out;
  const double bound = p.grow_threshold * std::min(p.shrink_ratio, 1 / p.expand_ratio);
  if (p.shrink_threshold >= bound) {
    out.push_back(
        {"shrink_threshold",
         "shrink threshold (" + Number(p.shrink_threshold) +
             "%) is not below grow threshold x min(shrink ratio, 1 / expand ratio) = " + Number(bound) +
             "%: a load just past one threshold lands past the other after one resize, so the "
             "specification's rule would flap; this auto-scaler only shrinks to a size that carries "
             "the load at " +
             Number((p.grow_threshold + p.shrink_threshold) / 2) +
             "% (the thresholds' midpoint), so it holds instead, but it may keep workers your "
             "thresholds call idle"});
  }
  if (metrics_period.count() > 0 && p.window < metrics_period) {
    out.push_back({"window_seconds", "averaging window (" + Seconds(p.window) +
                                         ") is shorter than one metrics sample (" + Seconds(metrics_period) +
                                         "): each check widens it to one sample, and says so in its reason"});
  }
  if (p.window > kMaxWindowChecks * p.check_interval) {
    out.push_back({"window_seconds", "averaging window (" + Seconds(p.window) + ") is longer than " +
                                         std::to_string(kMaxWindowChecks) + " check intervals (" +
                                         Seconds(kMaxWindowChecks * p.check_interval) +
                                         "): after every resize the auto-scaler waits for a window of new "
                                         "samples before it can shrink, and a short peak is averaged away"});
  }
  return out;
}

}  // namespace maskfleet::scaler
