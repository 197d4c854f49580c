// Scenario: one run of the auto-scaler simulator, as a TOML file describes it: how
// long it runs, the policy (any ScalingPolicy field may be overridden), the workers
// (boot delay, capacity), the monitoring (sample period, CPU noise and its seed), how
// the result is judged (the utilisation that defines "workers needed", the settling
// allowance) and the demand over time as steps, ramps and spikes.
//
//   name = "step-up"                 # optional; default: the file's stem
//   description = "5 -> 20 req/s"    # optional
//   duration = "90m"                 # required; "1h30m", "90s", or whole seconds
//   initial_workers = 1              # default 1; in service from the start
//
//   [workers]
//   boot_delay = "90s"               # launch -> in service; default 90 s
//   capacity = 10                    # requests/s one worker serves at 100% CPU; default 10
//   boot_jitter = "60s"              # each boot takes boot_delay +- up to this, uniformly;
//                                    # default 0
//   boot_failure = 0.1               # share of launches that never come into service (they
//                                    # vanish at the end of their boot); default 0
//   admission_limit = 8              # requests one worker holds (serving + queued) before
//                                    # it answers 503; default 0: no limit (queue model only)
//
//   [monitoring]
//   sample_period = "60s"            # one CPU sample per worker per period; default 60 s
//   cpu_noise = 2.0                  # std dev of each sample, in % points; default 0
//   seed = 1                         # of the noise; default 1 (same seed, same run)
//   noise_correlation = "10m"        # time constant of the noise (an AR(1) process per
//                                    # worker); default 0: independent samples
//   delay = "2m"                     # a period's samples are visible this long after it
//                                    # ends; default 0
//
//   [arrivals]
//   process = "poisson"              # "fluid" (default): the demand is a smooth flow, CPU
//                                    # linear in it. "poisson": requests arrive as a Poisson
//                                    # process and queue at each worker (latency, 503s)
//   seed = 1                         # of the arrivals and the boots; default 1
//
//   [policy]                         # scaler::ScalingPolicy; defaults are the
//   grow_threshold = 70              # specification's: 70/30, 2.0/0.5, 1..8,
//   check_interval = "60s"           # check 60 s, window 120 s, stabilisation 300 s
//
//   [evaluation]
//   target_utilisation = 70          # % CPU that defines "workers needed" (metrics.h);
//                                    # default: the policy's grow threshold
//   settling = "20m"                 # after each load change, time allowed to settle
//                                    # before "constant load" begins; default 20 min
//
//   [[load]]                         # the demand, in order of `at`; the first at 0
//   at = "0m"
//   rate = 5                         # a step: `rate` requests/s from `at` on
//   [[load]]
//   at = "30m"
//   ramp_to = 40                     # a ramp: linear from the rate at `at` to 40 ...
//   over = "10m"                     # ... over 10 minutes
//   [[load]]
//   at = "60m"
//   rate = 60                        # a spike: a step that lasts `for`, then the rate
//   for = "3m"                       # goes back to what it was
//   [[load]]
//   at = "70m"
//   wave = "sine"                    # a wave: "sine" (starts at low, peaks half a period
//   low = 5                          # later) or "sawtooth" (low rising linearly to high,
//   high = 45                        # then back to low at once), repeating every
//   period = "30m"                   # `period`, for `for` (default: to the end of the
//   for = "60m"                      # run); then the rate before it comes back
//
// A change must start after the previous one has finished (a ramp's `over`, a
// spike's `for`) and before `duration`. The first entry may be a step or a wave. Unknown keys are errors, so
// a typo never silently leaves a default in place.
//
// Thread safety: plain values and pure functions.
#ifndef MASKFLEET_SIM_SCENARIO_H_
#define MASKFLEET_SIM_SCENARIO_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/scaler/policy.h"

namespace maskfleet::sim {

enum class LoadKind { kStep, kRamp, kSpike, kSine, kSawtooth };

// How requests arrive ([arrivals] process).
enum class ArrivalProcess {
  // The demand is a smooth flow; each worker's CPU is its share of it (no queue).
  kFluid,
  // Requests arrive one by one as a Poisson process of the demand's rate and queue at
  // the worker the balancer gives them to (simulator.h).
  kPoisson,
};

// One [[load]] entry.
struct LoadChange {
  LoadKind kind = LoadKind::kStep;
  std::chrono::seconds at{0};
  // kStep, kSpike: the rate (requests/s) from `at`; kRamp: the rate reached at at + span;
  // waves: the high rate.
  double rate = 0;
  // kRamp: how long the ramp takes (`over`); kSpike and waves: how long it lasts
  // (`for`); 0 for a step.
  std::chrono::seconds span{0};
  // Waves: the low rate and the length of one cycle.
  double low = 0;
  std::chrono::seconds period{0};
};

struct Scenario {
  std::string name;
  std::string description;
  std::chrono::seconds duration{0};
  // Workers in service at time 0 (launched long before). Default 1.
  int initial_workers = 1;
  // From launch to in service. Default 90 s (an instance's boot and the model's load).
  std::chrono::seconds boot_delay{90};
  // Boot times are uniform in boot_delay +- boot_jitter (at least 0). Default 0.
  std::chrono::seconds boot_jitter{0};
  // The share of launches that fail: the worker starts, never serves, and is gone at
  // the end of its boot. Default 0.
  double boot_failure = 0;
  // Requests per second one worker serves at 100% CPU (its service time is the
  // inverse). Default 10.
  double worker_capacity = 10;
  // kPoisson: the requests one worker holds, serving and queued, before it refuses
  // more with 503. Default 0: no limit.
  int admission_limit = 0;
  // One CPU sample per worker per period, as the MetricsSource gives them. Default 60 s.
  std::chrono::seconds sample_period{60};
  // Standard deviation of the Gaussian noise added to each sample, in % points.
  // Default 0.
  double cpu_noise = 0;
  std::uint64_t seed = 1;
  // The noise's time constant: each worker's error follows an AR(1) process whose
  // correlation from one sample to the next is exp(-sample_period / this). Default 0:
  // independent samples.
  std::chrono::seconds noise_correlation{0};
  // How long after its period ends a sample becomes visible (the metrics' completeness
  // horizon trails the clock by this). Default 0.
  std::chrono::seconds metrics_delay{0};
  ArrivalProcess arrivals = ArrivalProcess::kFluid;
  // Of the arrivals and the boots (times, failures). Default 1.
  std::uint64_t arrival_seed = 1;
  scaler::ScalingPolicy policy;
  // The CPU % at which "workers needed" is counted (metrics.h). Default: the policy's
  // grow threshold.
  double target_utilisation = 70;
  // After a load change (a ramp's end), how long the controller may take to settle
  // before the load counts as constant. Default 20 min.
  std::chrono::seconds settling{20 * 60};
  // In order of `at`; the first at 0.
  std::vector<LoadChange> load;
};

// Reads a scenario from TOML text. `source` names it in errors ("scenarios/x.toml")
// and gives the default name (its stem). Errors: kInvalidArgument with a message that
// names the file, the line and the field, what was found and what is accepted:
// "x.toml:12: workers.capacity must be a number above 0 (requests/s at 100% CPU), not -1".
Result<Scenario> ParseScenario(std::string_view text, const std::string& source);

// Reads the file at `path`. Errors: kNotFound (no such file), kInvalidArgument (as
// ParseScenario).
Result<Scenario> ReadScenarioFile(const std::filesystem::path& path);

// "90s", "10m", "1h30m", "2m30s" or a whole number of seconds. Errors:
// kInvalidArgument naming what is accepted.
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// "90 s", "10 min", "1 h 30 min": how durations are shown.
std::string FormatDuration(std::chrono::seconds d);

// The demand (requests/s) at `t` seconds after the start.
double DemandAt(const Scenario& scenario, double t);

// A stretch of the run between two changes of the load. Constant segments begin at a
// step, a spike's start or end, or a ramp's end; a ramp is a segment of its own.
struct LoadSegment {
  std::chrono::seconds begin{0};
  std::chrono::seconds end{0};
  // Whether the rate is the same throughout (everything but a ramp or a wave).
  bool constant = true;
  // The rate just before `begin` (the end of the previous segment; 0 for the first;
  // after a ramp, the rate before the ramp began) and throughout a constant segment (a
  // ramp's or a wave's: the rate at `end`).
  double rate_before = 0;
  double rate = 0;
  // Constant segments: where the constant-load period begins (begin + the settling
  // allowance); the period is [steady_from, end), empty when steady_from >= end.
  std::chrono::seconds steady_from{0};
  // Whether the segment begins where a ramp ends (rather than at a step or a spike).
  bool after_ramp = false;

  bool HasConstantLoadPeriod() const { return constant && steady_from < end; }
};

// The segments of the run, in order, covering [0, duration).
std::vector<LoadSegment> Segments(const Scenario& scenario);

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_SCENARIO_H_
