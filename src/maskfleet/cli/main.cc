// maskfleet: one binary, one subcommand per tool. Each subcommand lives in its own
// *_command.cc and registers itself on the CLI11 app; this file only dispatches.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "maskfleet/cli/commands.h"
#include "maskfleet/cli/version.h"

int main(int argc, char** argv) {
  CLI::App app{"maskfleet: elastic face-mask detection service"};
  app.set_version_flag("--version", std::string(maskfleet::cli::kVersion));
  app.require_subcommand(1);
  app.fallthrough();

  // Logs go to stderr: stdout carries results (detect's JSON, the worker's
  // "listening on" line) for whoever reads them.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("maskfleet"));

  int exit_code = 0;
  maskfleet::cli::AddDetectCommand(app, exit_code);
  maskfleet::cli::AddWorkerCommand(app, exit_code);
  maskfleet::cli::AddUserCommand(app, exit_code);
  maskfleet::cli::AddLoadgenCommand(app, exit_code);
  maskfleet::cli::AddManagerCommand(app, exit_code);
  maskfleet::cli::AddSimulateCommand(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);  // prints help or a usage error; 0 for --help and --version
  }
  return exit_code;
}
