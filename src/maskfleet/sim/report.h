// What the simulator writes and prints: the per-minute CSV of a trace, and the
// figures of one scenario as a table, one column per controller (plain text for the
// terminal, or Markdown for docs/results.md). The SVG chart is in chart.h.
//
// Thread safety: pure functions.
#ifndef MASKFLEET_SIM_REPORT_H_
#define MASKFLEET_SIM_REPORT_H_

#include <string>
#include <vector>

#include "maskfleet/sim/metrics.h"
#include "maskfleet/sim/scenario.h"
#include "maskfleet/sim/simulator.h"

namespace maskfleet::sim {

// The header and one line per minute:
//   minute,demand,workers_in_service,workers_starting,average_cpu,action,target_size,reason
// demand in requests/s (mean over the minute); the pool at the minute's end;
// average_cpu the mean of the samples that start in the minute (empty when none);
// action, target_size and reason from the check in the minute (the last that resized,
// else the last; all three empty when no check ran in it).
std::string TraceCsv(const Trace& trace);

struct ControllerFigures {
  std::string controller;
  ElasticityFigures figures;
};

enum class TableFormat { kText, kMarkdown };

// One line describing the scenario: its name, description and the settings that
// matter for reading the figures.
std::string ScenarioSummary(const Scenario& scenario);

// The figures of every run of `scenario`, side by side. Every run must have the same
// steps (they do: steps come from the scenario).
std::string FiguresTable(const Scenario& scenario, const std::vector<ControllerFigures>& runs,
                         TableFormat format);

// The same scenario run with several seeds (noise, arrivals and boots).
struct ControllerSeeds {
  std::string controller;
  std::vector<ElasticityFigures> seeds;
};

// The figures over all seeds, one column per controller: means, except the direction
// changes in constant load, summed over the seeds (the flapping target is 0 in all).
std::string SeedsTable(const Scenario& scenario, const std::vector<ControllerSeeds>& runs,
                       TableFormat format);

}  // namespace maskfleet::sim

#endif  // MASKFLEET_SIM_REPORT_H_
