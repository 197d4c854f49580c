// Controller: what the simulator asks at every check, "given the pool and its CPU
// samples now, what size should it be?". Three strategies run in the same simulator,
// so that their figures can be compared on the same load:
//
//   ours   the auto-scaler: scaler::Decide() and Remember(), exactly as the manager
//          calls them (cool-down while workers boot and until the window is fresh,
//          projection before shrinking, shrink stabilisation).
//   naive  the specification's policy read literally, the "unreliable algorithm" of
//          its note 8: every check, the pool's average CPU over the window above the
//          grow threshold -> ceil(N x expand ratio), below the shrink threshold ->
//          ceil(N x shrink ratio) (at least one step, within the bounds). N counts
//          starting workers; no cool-down, no projection, no stabilisation.
//   hpa    a Kubernetes Horizontal Pod Autoscaler-style proportional rule (see
//          controller.cc for what is kept of its algorithm and what is not), its
//          target CPU the midpoint of the thresholds (50% for the default 30/70);
//   hpa-high  the same rule with the grow threshold as its target (70%): fewer
//          workers, less headroom.
//
// (Named Controller rather than Policy: in maskfleet "policy" is the ScalingPolicy,
// the settings that all three read.)
//
// Every controller sees the same inputs: the pool (starting and in-service workers
// with their launch and in-service times) and the CPU samples of the workers in the
// pool, and the policy's thresholds, ratios, bounds and window (placed, as Decide()
// places it, on complete data and at least one sample long). The simulator carries
// out every grow and shrink it answers, at once.
//
// Thread safety: a controller keeps state between checks (memory of past decisions);
// one simulation uses one controller from one thread.
#ifndef MASKFLEET_SIM_CONTROLLER_H_
#define MASKFLEET_SIM_CONTROLLER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/scaler/decision.h"
#include "maskfleet/scaler/policy.h"

namespace maskfleet::sim {

class Controller {
 public:
  virtual ~Controller() = default;

  // "ours", "naive", "hpa", "hpa-high".
  virtual std::string_view name() const = 0;

  // The decision at the check at `now`. The caller carries out a grow or shrink before
  // the next check (a controller may remember that it did). target_size is within the
  // policy's bounds unless the action is a hold.
  virtual scaler::Decision Check(const scaler::PoolState& pool, const scaler::MetricsView& metrics,
                                 Clock::TimePoint now) = 0;
};

std::unique_ptr<Controller> MakeOurController(const scaler::ScalingPolicy& policy);
std::unique_ptr<Controller> MakeNaiveController(const scaler::ScalingPolicy& policy);
std::unique_ptr<Controller> MakeHpaController(const scaler::ScalingPolicy& policy);
std::unique_ptr<Controller> MakeHpaHighController(const scaler::ScalingPolicy& policy);

// "ours", "naive", "hpa", "hpa-high", in the order tables show them.
const std::vector<std::string>& ControllerNames();

// One of ControllerNames(). Errors: kInvalidArgument naming the choices.
Result<std::unique_ptr<Controller>> MakeController(std::string_view name,
                                                   const scaler::ScalingPolicy& policy);

// The average CPU of the in-service workers over the policy's window (at least one
// sample period) ending at the start of the sample period that holds `now`, or the
// metrics' complete_until when earlier (the window Decide() uses): each
// worker's mean over its samples in the window, then the mean of those. nullopt when
// no in-service worker has a sample there. `without_data` receives the in-service
// workers that have none. Shared by the naive and HPA controllers.
std::optional<double> WindowAverage(const scaler::ScalingPolicy& policy, const scaler::PoolState& pool,
                                    const scaler::MetricsView& metrics, Clock::TimePoint now,
                                    int* without_data = nullptr, int* with_data = nullptr);

// The HPA-style controller's target CPU: the midpoint of the thresholds (50% for the
// default 30/70).
double HpaTarget(const scaler::ScalingPolicy& policy);

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_CONTROLLER_H_
