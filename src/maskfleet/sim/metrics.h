// Elasticity figures of a simulated run, after the SPEC Research Group's definitions
// (N. Herbst, S. Kounev, R. Reussner, "Elasticity in Cloud Computing: What It Is, and
// What It Is Not", ICAC 2013; the SPEC RG Cloud Working Group's metrics as refined in
// N. Herbst et al., "Quantifying Cloud Performance and Dependability: Taxonomy, Metric
// Design, and Emerging Challenges", ACM ToMPECS 3(4), 2018).
//
// Demand and supply, in workers, at every simulated second t:
//   supply  s_t = the workers IN SERVICE (starting workers serve nothing yet).
//   demand  d_t = max(1, ceil(lambda_t / (capacity x u / 100))): the fewest workers
//           that serve the offered load lambda_t (requests/s) with none of them above
//           u % CPU, where capacity is what one worker serves at 100% and u the
//           scenario's target utilisation (default: the grow threshold, 70%: the
//           smallest pool the policy itself accepts as enough). At least 1: the
//           service keeps one worker, and the accuracies divide by d_t.
// Over the run's T seconds (Delta t = 1 s), as the SPEC RG defines them:
//   under-provisioning accuracy  theta_U = 100/T x sum_t max(d_t - s_t, 0) / d_t   [%]
//   over-provisioning accuracy   theta_O = 100/T x sum_t max(s_t - d_t, 0) / d_t   [%]
//   under-provisioning timeshare tau_U   = 100/T x #{t : s_t < d_t}               [%]
//   over-provisioning timeshare  tau_O   = 100/T x #{t : s_t > d_t}               [%]
// (The accuracies are the mean relative shortfall and surplus: theta_U = 25% is, for
// example, a quarter of the needed workers missing all the time. 0 is ideal for all
// four.)
//
// And for the convergence the specification asks for:
//   resizes                checks that changed the pool's size;
//   resizes while booting  of those, the ones taken while a worker was still starting
//                          (the "unreliable algorithm" acting again before its new
//                          workers serve);
//   resizes in constant load  of those, the ones in a constant-load period: from the
//                          settling allowance after a load change to the next change
//                          (must be 0);
//   direction changes      resizes in the other direction than the resize before
//                          (a grow after a shrink or the reverse): flapping; and of
//                          those, the ones in a constant-load period;
//   p99 latency            (Poisson arrivals only) the 99th percentile of the served
//                          requests' latency, wait plus service, to 10 ms;
//   per load change (each segment after the first):
//     settling time  from the change (a ramp: its end) to the last change of the
//                    in-service supply before the next load change; "settled" when
//                    that is within the settling allowance;
//     overshoot      how far the supply went past where it ended, in the direction of
//                    the change: for more load, max(s) - s_end; for less load,
//                    s_end - min(s); in workers, 0 when it never went past.
//
// Thread safety: pure functions.
#ifndef MASKFLEET_SIM_METRICS_H_
#define MASKFLEET_SIM_METRICS_H_

#include <chrono>
#include <optional>
#include <vector>

#include "maskfleet/sim/scenario.h"
#include "maskfleet/sim/simulator.h"

namespace maskfleet::sim {

struct EvaluationOptions {
  double worker_capacity = 10;     // requests/s per worker at 100% CPU
  double target_utilisation = 70;  // u, % CPU
  std::chrono::seconds settling{20 * 60};
  std::vector<LoadSegment> segments;
};

// Scenario's capacity, target utilisation, settling allowance and segments.
EvaluationOptions EvaluationOptionsFor(const Scenario& scenario);

struct StepFigures {
  LoadSegment segment;
  // From segment.begin to the last change of the in-service supply in the segment
  // (0 when it never changed).
  std::chrono::seconds settling_time{0};
  // Whether the segment outlasts the settling allowance (has a constant-load period):
  // a shorter one (a spike) ends before anyone could tell whether the pool settled.
  bool judged = false;
  // Judged, and settling_time is within the settling allowance.
  bool settled = false;
  int overshoot = 0;
  // The supply at the segment's end.
  int final_supply = 0;
};

struct ElasticityFigures {
  double under_accuracy = 0;    // theta_U, %
  double under_timeshare = 0;   // tau_U, %
  double over_accuracy = 0;     // theta_O, %
  double over_timeshare = 0;    // tau_O, %
  double unserved_percent = 0;  // requests beyond the in-service capacity, % of offered
  int resizes = 0;
  int resizes_while_booting = 0;
  int resizes_in_constant_load = 0;
  int direction_changes = 0;
  int direction_changes_in_constant_load = 0;
  // Poisson arrivals only (the trace has a latency histogram with requests in it).
  std::optional<double> p99_latency_seconds;
  // Worker-minutes paid for (starting and in service): the cost side.
  double worker_minutes = 0;
  // One per constant segment after the first.
  std::vector<StepFigures> steps;

  // The longest settling time of the judged steps (none judged: nullopt).
  std::optional<std::chrono::seconds> LongestSettling() const;
};

// Workers needed for `demand` requests/s (d_t above).
int WorkersNeeded(double demand, double worker_capacity, double target_utilisation);

// The figures of `trace` (one entry per second in demand/in_service/starting).
ElasticityFigures Evaluate(const Trace& trace, const EvaluationOptions& options);

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_METRICS_H_
