// The chart of a simulated or a recorded run (replay.h), as a self-contained SVG (no
// script, no external font or style): load and pool size over time, on two y axes.
//
//   left axis   load, requests/s: the demand (solid blue).
//   right axis  workers: in service (solid orange), in service + starting (dashed
//               orange), and the workers needed (dotted grey, d_t of metrics.h).
//   x axis      minutes since the start.
// The two y axes are aligned so that k workers on the right sit at the load k workers
// serve at the target utilisation on the left: where the demand line is above the
// in-service line, the pool is under-provisioned, and over-provisioned where below.
// With ChartOptions::cpu_panel, a second panel below, on the same time axis: the
// average CPU (%) each check saw, held until the next check (purple; a gap where a
// check computed none), triangles where a check resized (up: grow, down: shrink), and
// the policy's grow and shrink thresholds (dashed).
//
// Thread safety: a pure function.
#ifndef MASKFLEET_SIM_CHART_H_
#define MASKFLEET_SIM_CHART_H_

#include <string>

#include "maskfleet/sim/scenario.h"
#include "maskfleet/sim/simulator.h"

namespace maskfleet::sim {

struct ChartOptions {
  // Draw the CPU panel. Default false (the charts of docs/results.md's Simulator
  // section have none).
  bool cpu_panel = false;
};

std::string TraceSvg(const Trace& trace, const Scenario& scenario, const ChartOptions& options = {});

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_CHART_H_
