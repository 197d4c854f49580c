// The simulator: a worker pool, its load and its CPU samples on a virtual clock, with
// a Controller deciding at every check. Deterministic: the same scenario and controller
// give the same trace (the noise comes from a seeded generator whose output the C++
// standard fixes).
//
// The model, one simulated second at a time:
//  - Demand: the scenario's requests/s at that second (its middle, for ramps).
//  - Workers: launched ones are kStarting for their boot time (boot_delay, spread by
//    boot_jitter), then kInService; a launch that fails (boot_failure) is gone at the
//    end of its boot instead. Only in-service workers serve.
//  - Fluid arrivals (the default): the load balancer spreads the demand evenly, so each
//    in-service worker's CPU is demand / (in-service workers x capacity), at most 100%;
//    what exceeds the in-service capacity is not served (under-provisioning).
//  - Poisson arrivals: the second's requests are a Poisson draw of the demand, at
//    uniform times within it, handed round-robin to the in-service workers (the
//    balancer knows nothing of their queues). Each worker serves one request at a time,
//    first come first served, in 1 / capacity seconds; a request that finds
//    admission_limit requests at its worker (serving and queued) is refused (503, one
//    unserved request), as is one that finds no worker in service. A request's latency
//    is its wait plus its service; its worker's CPU is the share of the second it was
//    busy. A removed worker finishes what it admitted (the manager drains).
//  - Samples: at the end of every sample period, each worker that was in service in it
//    gets one CPU sample, the mean over its in-service seconds of that period plus
//    noise (cpu_noise % points, Gaussian; with noise_correlation, an AR(1) process per
//    worker), clipped to [0, 100]: what the MetricsSource gives the manager, visible
//    `delay` after the period ends. Starting workers have no samples. The balancer's
//    requests offered and served in each period are visible the same way.
//  - Checks: every check interval from time 0, after the samples of the period that
//    just ended, the controller gets the pool (workers with launch and in-service
//    times), the visible samples of the past window and stabilisation span and a bit,
//    and the metrics' completeness horizon (the check's time minus the delay, when
//    there is one), and its answer is carried
//    out at once: a grow launches workers, a shrink removes the newest workers (the
//    starting ones first) at once, without draining.
//  - Initial workers have been in service since an hour before time 0; their samples
//    begin at time 0 (a freshly started manager has no history either).
//
// Thread safety: Simulate() is a pure function of its arguments.
#ifndef MASKFLEET_SIM_SIMULATOR_H_
#define MASKFLEET_SIM_SIMULATOR_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/scaler/decision.h"
#include "maskfleet/sim/controller.h"
#include "maskfleet/sim/scenario.h"

namespace maskfleet::sim {

// One check and what came of it.
struct CheckRecord {
  std::chrono::seconds at{0};  // since the start
  // Before the decision was carried out.
  int in_service = 0;
  int starting = 0;
  scaler::Decision decision;

  bool Resized() const { return decision.target_size != decision.current_size; }
};

// One row of the per-minute CSV: minute m covers [m, m + 1) minutes since the start.
struct MinuteRow {
  int minute = 0;
  // Mean demand over the minute, requests/s.
  double demand = 0;
  // The pool at the end of the minute.
  int in_service = 0;
  int starting = 0;
  // Mean of the CPU samples that start in this minute, over the workers that have one.
  std::optional<double> average_cpu;
  // The check at the start of the minute, if one ran then.
  std::optional<CheckRecord> check;
};

struct Trace {
  std::string scenario;
  std::string controller;
  // One entry per simulated second.
  std::vector<double> demand;   // requests/s
  std::vector<int> in_service;  // workers serving during the second
  std::vector<int> starting;    // workers booting during the second
  std::vector<CheckRecord> checks;
  std::vector<MinuteRow> minutes;
  double requests = 0;           // offered over the run
  double unserved_requests = 0;  // beyond the in-service capacity (fluid), refused (Poisson)
  // Poisson arrivals only: how many served requests took [k x 10 ms, (k+1) x 10 ms),
  // the last bucket holding everything longer. Empty for fluid arrivals (no latency).
  std::vector<std::uint64_t> latency_histogram;
  // Launches that failed to come into service.
  int failed_boots = 0;
};

// The width of one latency_histogram bucket, and how many there are (up to 2 min).
inline constexpr double kLatencyBucketSeconds = 0.01;
inline constexpr std::size_t kLatencyBuckets = 12'000;

// Runs `scenario` with `controller` (which must be fresh: it keeps memory). Pure.
Trace Simulate(const Scenario& scenario, Controller& controller);

// The moment the simulation calls time 0 (a multiple of the scenario's sample period
// and of 60 s, so that samples and CSV minutes line up with the epoch as the
// MetricsSource's do).
Clock::TimePoint SimulationStart(const Scenario& scenario);

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_SIMULATOR_H_
