// maskfleet manager [--config FILE] [--data-dir DIR] [--host H] [--port P] [--lb-port P]
//
// Runs the manager (docs/manager.md): HAProxy in front of a pool of workers, the UI and
// API. Runs until SIGTERM, SIGINT or the stop button, then drains and stops every
// worker, stops HAProxy and exits 0.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include <spdlog/spdlog.h>

#include "maskfleet/cli/commands.h"
#include "maskfleet/cli/config_loading.h"
#include "maskfleet/cli/stop_signals.h"
#include "maskfleet/manager/manager_app.h"
#include "maskfleet/modes/backends.h"
#include "maskfleet/observability/logging.h"

namespace maskfleet::cli {
namespace {

struct ManagerArgs {
  std::string config_file;
  std::string data_dir;
  std::string host;
  int port = -1;
  int lb_port = -1;
};

Result<manager::ManagerConfig> LoadManagerConfig(const std::string& config_file) {
  Result<config::ConfigSource> source = OpenConfigSource(config_file);
  if (!source) return std::unexpected(source.error());
  return manager::ManagerConfig::Load(*source);
}

int RunManager(const ManagerArgs& args) {
  Result<manager::ManagerConfig> config = LoadManagerConfig(args.config_file);
  if (!config) {
    std::fprintf(stderr, "maskfleet manager: %s\n", config.error().message.c_str());
    return kExitCannotRun;
  }
  if (!args.data_dir.empty()) config->shared.data_dir = args.data_dir;
  if (!args.host.empty()) config->host = args.host;
  if (args.port >= 0) config->port = args.port;
  if (args.lb_port >= 0) config->lb_port = args.lb_port;

  if (Status logging = observability::SetUpLogging({.worker_name = "manager"}); !logging) {
    std::fprintf(stderr, "maskfleet manager: %s\n", logging.error().message.c_str());
    return kExitCannotRun;
  }

  // Taken by sigtimedwait below, never by a handler; the threads made from here on
  // inherit the blocked mask.
  const sigset_t stop_signals = BlockStopSignals();

  std::error_code ec;
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::fprintf(stderr, "maskfleet manager: cannot find its own program: %s\n", ec.message().c_str());
    return kExitCannotRun;
  }
  if (Status prepared = config->Prepare(); !prepared) {
    std::fprintf(stderr, "maskfleet manager: %s\n", prepared.error().message.c_str());
    return kExitCannotRun;
  }
  Result<manager::ManagerBackends> backends = modes::MakeManagerBackends(*config, binary, RealClock());
  if (!backends) {
    std::fprintf(stderr, "maskfleet manager: %s\n", backends.error().message.c_str());
    return kExitCannotRun;
  }
  Result<std::unique_ptr<manager::ManagerApp>> app = manager::ManagerApp::Create(*config,
                                                                                 std::move(*backends));
  if (!app) {
    std::fprintf(stderr, "maskfleet manager: %s\n", app.error().message.c_str());
    return kExitCannotRun;
  }
  if (const std::optional<std::string>& password = (*app)->initial_password()) {
    std::fprintf(stderr,
                 "\n  First start: administrator 'admin' created with the password\n\n    %s\n\n"
                 "  (also in %s, readable by you only). Log in and change it;\n"
                 "  the file is deleted then. This is the only time it is printed.\n\n",
                 password->c_str(), (*app)->initial_password_file().c_str());
  }
  Result<manager::Endpoints> endpoints = (*app)->Start();
  if (!endpoints) {
    std::fprintf(stderr, "maskfleet manager: %s\n", endpoints.error().message.c_str());
    return kExitCannotRun;
  }
  // One machine-readable line for whoever started us (scripts, tests).
  std::printf("manager listening on %s load balancer %s\n", endpoints->manager_url.c_str(),
              endpoints->entry_url.c_str());
  std::fflush(stdout);

  const timespec poll{0, 200'000'000};
  for (;;) {
    const int signal = sigtimedwait(&stop_signals, nullptr, &poll);
    if (signal > 0) {
      spdlog::info("manager stopping on signal {}", signal);
      break;
    }
    if ((*app)->WaitForStopRequest(std::chrono::milliseconds(0))) {
      spdlog::info("manager stopping at the UI's request");
      break;
    }
    if (Status supervised = (*app)->SuperviseBalancer(); !supervised) {
      spdlog::error("{}", supervised.error().message);
    }
  }
  if (Status stopped = (*app)->Stop(); !stopped) {
    spdlog::warn("stopped, but not cleanly: {}", stopped.error().message);
  }
  spdlog::info("manager stopped");
  return kExitOk;
}

}  // namespace

void AddManagerCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ManagerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "manager", "Run the manager: HAProxy, a pool of workers, the admin UI and API (port 5000)");
  cmd->add_option("--config", args->config_file, "TOML configuration file (also given to the workers)");
  cmd->add_option("--data-dir", args->data_dir, "Folder for all state: database, images, pool, HAProxy");
  cmd->add_option("--host", args->host, "Address of the UI and API (default 127.0.0.1)");
  cmd->add_option("--port", args->port, "Port of the UI and API; 0 picks a free one (default 5000)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--lb-port", args->lb_port, "HAProxy's entry port; 0 picks a free one (default 8080)")
      ->check(CLI::Range(0, 65535));
  cmd->callback([args, &exit_code] { exit_code = RunManager(*args); });
}

}  // namespace maskfleet::cli
