// maskfleet simulate SCENARIO.toml... --out DIR [--controller ours|naive|hpa|all] [--markdown]
//                   [--replay LIVE.csv] [--seeds N]
//
// Runs the auto-scaler simulator (sim/simulator.h) on each scenario with the chosen
// controller(s), writes DIR/<scenario>-<controller>.csv and .svg, and prints the
// elasticity figures (sim/metrics.h) as a table per scenario, the controllers side by
// side. The scenario format is described in sim/scenario.h and docs/results.md.
// With --replay, a run recorded on a real manager (sim/replay.h, written by
// scripts/live-run.sh) of the one scenario given joins as the column "live", first:
// DIR/<scenario>-live.svg is its chart, and every chart gets the CPU panel.
// With --seeds N, each scenario also runs with seeds 1..N (its noise, arrivals and
// boots), and the table shows the figures over all N (sim/report.h, SeedsTable); the
// files are the scenario's own seed's.
//
// Exit status: 0 every scenario ran and its files were written, 2 the command could
// not run (bad arguments, a scenario that does not parse, an output folder that cannot
// be written), with one line saying why.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/cli/commands.h"
#include "maskfleet/sim/chart.h"
#include "maskfleet/sim/controller.h"
#include "maskfleet/sim/metrics.h"
#include "maskfleet/sim/replay.h"
#include "maskfleet/sim/report.h"
#include "maskfleet/sim/scenario.h"
#include "maskfleet/sim/simulator.h"

namespace maskfleet::cli {
namespace {

struct SimulateArgs {
  std::vector<std::string> scenarios;
  std::string out;
  std::string controller = "ours";
  bool markdown = false;
  std::string replay;
  int seeds = 0;
};

int CannotRun(const std::string& message) {
  std::fprintf(stderr, "maskfleet simulate: %s\n", message.c_str());
  return kExitCannotRun;
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return MakeError(ErrorCode::kUnavailable, "cannot write " + path.string());
  return {};
}

int RunSimulate(const SimulateArgs& args, const std::vector<std::string>& extras) {
  if (!extras.empty())
    return CannotRun("unexpected argument '" + extras.front() + "' (see maskfleet simulate --help)");
  if (args.scenarios.empty())
    return CannotRun("expected at least one SCENARIO.toml (see maskfleet simulate --help)");
  if (args.out.empty()) return CannotRun("--out DIR is required: where the CSV and SVG files go");
  if (args.seeds < 0 || args.seeds > 1000) return CannotRun("--seeds must be from 1 to 1000");
  if (args.seeds > 0 && !args.replay.empty()) return CannotRun("--seeds and --replay do not go together");
  std::vector<std::string> controllers;
  if (args.controller == "all") {
    controllers = sim::ControllerNames();
  } else {
    scaler::ScalingPolicy defaults;
    if (auto c = sim::MakeController(args.controller, defaults); !c) {
      return CannotRun("--controller: " + c.error().message + " or all");
    }
    controllers = {args.controller};
  }
  // Every scenario is read before anything runs, so a typo in the last one costs nothing.
  std::vector<sim::Scenario> scenarios;
  for (const std::string& file : args.scenarios) {
    Result<sim::Scenario> scenario = sim::ReadScenarioFile(file);
    if (!scenario) return CannotRun(scenario.error().message);
    scenarios.push_back(std::move(*scenario));
  }
  std::optional<sim::Trace> recorded;
  if (!args.replay.empty()) {
    if (scenarios.size() != 1) {
      return CannotRun("--replay takes exactly one SCENARIO.toml, the one the recording ran");
    }
    Result<sim::Trace> trace = sim::ReadReplayFile(args.replay);
    if (!trace) return CannotRun(trace.error().message);
    if (Status matches = sim::CheckReplayMatches(*trace, scenarios.front(), args.replay); !matches) {
      return CannotRun(matches.error().message);
    }
    trace->scenario = scenarios.front().name;
    recorded = std::move(*trace);
  }
  const sim::ChartOptions chart{.cpu_panel = recorded.has_value()};
  std::error_code ec;
  std::filesystem::create_directories(args.out, ec);
  if (ec || !std::filesystem::is_directory(args.out)) {
    return CannotRun("cannot create the output folder " + args.out + (ec ? ": " + ec.message() : ""));
  }

  bool first = true;
  for (const sim::Scenario& scenario : scenarios) {
    std::vector<sim::ControllerFigures> runs;
    if (recorded) {
      const std::filesystem::path svg = std::filesystem::path(args.out) / (scenario.name + "-live.svg");
      if (Status written = WriteFile(svg, sim::TraceSvg(*recorded, scenario, chart)); !written) {
        return CannotRun(written.error().message);
      }
      runs.push_back({"live", sim::Evaluate(*recorded, sim::EvaluationOptionsFor(scenario))});
    }
    std::vector<sim::ControllerSeeds> seeded;
    for (const std::string& name : controllers) {
      std::unique_ptr<sim::Controller> controller = *sim::MakeController(name, scenario.policy);
      const sim::Trace trace = sim::Simulate(scenario, *controller);
      if (args.seeds > 0) {
        sim::ControllerSeeds all{name, {}};
        for (int seed = 1; seed <= args.seeds; ++seed) {
          sim::Scenario reseeded = scenario;
          reseeded.seed = static_cast<std::uint64_t>(seed);
          reseeded.arrival_seed = static_cast<std::uint64_t>(seed);
          std::unique_ptr<sim::Controller> fresh = *sim::MakeController(name, scenario.policy);
          all.seeds.push_back(
              sim::Evaluate(sim::Simulate(reseeded, *fresh), sim::EvaluationOptionsFor(scenario)));
        }
        seeded.push_back(std::move(all));
      }
      const std::filesystem::path base = std::filesystem::path(args.out) / (scenario.name + "-" + name);
      for (auto [extension, text] : {std::pair{".csv", sim::TraceCsv(trace)},
                                     std::pair{".svg", sim::TraceSvg(trace, scenario, chart)}}) {
        if (Status written = WriteFile(base.string() + extension, text); !written) {
          return CannotRun(written.error().message);
        }
      }
      runs.push_back({name, sim::Evaluate(trace, sim::EvaluationOptionsFor(scenario))});
    }
    if (!first) std::cout << '\n';
    first = false;
    const auto table = [&](sim::TableFormat format) {
      return args.seeds > 0 ? sim::SeedsTable(scenario, seeded, format)
                            : sim::FiguresTable(scenario, runs, format);
    };
    if (args.markdown) {
      std::cout << "#### " << scenario.name << "\n\n"
                << sim::ScenarioSummary(scenario) << "\n\n"
                << table(sim::TableFormat::kMarkdown);
    } else {
      std::cout << table(sim::TableFormat::kText);
    }
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Run the auto-scaler in the simulator on scenarios; write CSV and SVG, print the figures");
  cmd->footer(
      "Each SCENARIO.toml (format: docs/results.md, section Simulator) is run with the chosen\n"
      "controller: ours (the manager's auto-scaler), naive (thresholds and ratios alone) or hpa (a\n"
      "Kubernetes HPA-style proportional rule, target 50%; hpa-high: target 70%); all runs them side by "
      "side. Writes\n"
      "DIR/<scenario>-<controller>.csv (one row per minute) and .svg (load and pool size over\n"
      "time), and prints the elasticity figures. --replay LIVE.csv adds a run recorded on a real\n"
      "manager (scripts/live-run.sh) of the one SCENARIO given, as the column 'live', and\n"
      "DIR/<scenario>-live.svg; with it every chart also shows the CPU each check saw.\n"
      "Exit status: 0 done, 2 could not run.");
  cmd->add_option("scenarios", args->scenarios, "SCENARIO.toml files")->type_name("SCENARIO.toml...");
  cmd->add_option("--out", args->out, "Folder for the CSV and SVG files (created if missing)")
      ->type_name("DIR");
  cmd->add_option("--controller", args->controller, "ours (default), naive, hpa or all")->type_name("NAME");
  cmd->add_flag("--markdown", args->markdown, "Print the tables as Markdown");
  cmd->add_option("--seeds", args->seeds,
                  "Run each scenario with seeds 1..N (noise, arrivals, boots) and print the figures over all")
      ->type_name("N");
  cmd->add_option("--replay", args->replay, "A recorded live run of the scenario (CSV, one row per second)")
      ->type_name("LIVE.csv");
  // Unknown options stay here for RunSimulate to refuse with exit 2.
  cmd->fallthrough(false);
  cmd->allow_extras();
  cmd->callback([args, cmd, &exit_code] { exit_code = RunSimulate(*args, cmd->remaining()); });
}

}  // namespace maskfleet::cli
