// ScalingPolicy: the auto-scaler's settings, as the manager's policy page edits them
// and the database stores them, and Validate(), which refuses settings that make no
// sense or cannot converge before they reach the decision (decision.h).
//
// The specification's policy: every check_interval, the average CPU of all workers
// over the past `window` is compared with two thresholds; above grow_threshold the
// pool grows by expand_ratio, below shrink_threshold it shrinks by shrink_ratio,
// never outside [min_workers, max_workers] (the specification: 1..8).
//
// Thread safety: a plain value; Validate() is a pure function.
#ifndef MASKFLEET_SCALER_POLICY_H_
#define MASKFLEET_SCALER_POLICY_H_

#include <chrono>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::scaler {

// The most workers the specification lets the auto-scaler run, and the fewest.
inline constexpr int kMaxWorkersAllowed = 8;
inline constexpr int kMinWorkersAllowed = 1;
// An expand ratio above this is taken for a typing error (10 x 1 already reaches 8).
inline constexpr double kMaxExpandRatio = 10.0;

struct ScalingPolicy {
  // Grow when the pool's average CPU (% of each worker's allotment) is above this.
  // Default 70. Must be in (0, 100] and above shrink_threshold.
  double grow_threshold = 70.0;
  // Shrink when the average is below this. Default 30. Must be in [0, 100).
  double shrink_threshold = 30.0;
  // Growing multiplies the pool's size by this (2.0 doubles it). Default 2.0. Must be
  // in (1, 10].
  double expand_ratio = 2.0;
  // Shrinking multiplies the pool's size by this (0.5 removes half). Default 0.5.
  // Must be in (0, 1).
  double shrink_ratio = 0.5;
  // The bounds of the pool's size. Defaults 1 and 8, the specification's limits;
  // both must lie in 1..8 and min_workers <= max_workers.
  int min_workers = kMinWorkersAllowed;
  int max_workers = kMaxWorkersAllowed;
  // How often the manager decides. Default 60 s (the specification: every minute;
  // shorter for tests and the simulator). Must be positive.
  std::chrono::seconds check_interval{60};
  // The span the average CPU is taken over. Default 2 min (the specification's "past
  // 2 minutes"). Must be positive and at least check_interval (a shorter window would
  // leave minutes that no check ever looks at).
  std::chrono::seconds window{120};
  // Shrinking acts on the largest size recommended over this span (decision.h).
  // Default 5 min. Must not be negative; 0 lets a shrink act at once.
  std::chrono::seconds shrink_stabilisation{300};
  // When set, the auto-scaler decides nothing ("hold: paused"); the manual buttons
  // still work. Default false.
  bool paused = false;

  bool operator==(const ScalingPolicy&) const = default;
};

// Ok when `policy` can be used; otherwise kInvalidArgument whose message names the
// field, the value given and what would be accepted, for the policy page to show as
// it is ("shrink threshold (80%) must be below the grow threshold (70%)..."). The
// first problem found is reported.
Status Validate(const ScalingPolicy& policy);

// A policy that Validate() accepts but that will not behave as its numbers suggest:
// the field to look at (the policy page's name, "shrink_threshold"; the JSON field
// for durations, "window_seconds") and why, for the page to show beside the form.
struct PolicyWarning {
  std::string field;
  std::string message;
  bool operator==(const PolicyWarning&) const = default;
};

// A window longer than this many check intervals is warned about: each decision
// then waits that long for a window of fresh samples.
inline constexpr int kMaxWindowChecks = 4;

// The warnings for a valid `policy` when the metrics come in samples of
// `metrics_period`, in the order of the form's fields; empty when none applies:
//  - shrink_threshold >= grow_threshold x min(shrink_ratio, 1 / expand_ratio): the
//    specification's rule must oscillate on some constant load (a load just over the
//    grow threshold reads below the shrink threshold after growing, or one just under
//    the shrink threshold reads above the grow threshold after shrinking). This
//    auto-scaler does not (it shrinks only to a size that carries the load at the
//    thresholds' midpoint), but it then cannot shrink a pool its thresholds call idle.
//  - window shorter than metrics_period: the window is widened to one sample.
//  - window longer than kMaxWindowChecks check intervals: every resize waits a whole
//    window of fresh samples before the next decision can shrink.
// A check interval shorter than the workers' boot time is not warned about: the
// auto-scaler holds while workers start (decision.h, rule 2b).
std::vector<PolicyWarning> Warnings(const ScalingPolicy& policy, std::chrono::seconds metrics_period);

}  // namespace maskfleet::scaler

#endif  // MASKFLEET_SCALER_POLICY_H_
