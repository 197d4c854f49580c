// maskfleet worker [--config FILE] [--host H] [--port P] [--data-dir DIR] [--name N]
//
// Runs one worker until SIGTERM or SIGINT, then finishes the requests in flight
// and exits 0. Settings: docs/configuration.md; flags win over the file and the
// environment.
#include <csignal>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "maskfleet/cli/commands.h"
#include "maskfleet/cli/config_loading.h"
#include "maskfleet/cli/stop_signals.h"
#include "maskfleet/observability/logging.h"
#include "maskfleet/modes/backends.h"
#include "maskfleet/worker/worker_app.h"

namespace maskfleet::cli {
namespace {

struct WorkerArgs {
  std::string config_file;
  std::string host;
  int port = -1;
  std::string data_dir;
  std::string name;
};

int RunWorker(const WorkerArgs& args) {
  Result<worker::WorkerConfig> config = LoadWorkerConfig(args.config_file);
  if (!config) {
    std::fprintf(stderr, "maskfleet worker: %s\n", config.error().message.c_str());
    return kExitCannotRun;
  }
  if (!args.host.empty()) config->host = args.host;
  if (args.port >= 0) config->port = args.port;
  if (!args.data_dir.empty()) config->data_dir = args.data_dir;
  if (!args.name.empty()) config->name = args.name;

  if (Status logging = observability::SetUpLogging(
          {.worker_name = config->name.empty() ? "worker" : config->name});
      !logging) {
    std::fprintf(stderr, "maskfleet worker: %s\n", logging.error().message.c_str());
    return kExitCannotRun;
  }

  // Taken by sigwait below, never by a handler; the threads made from here on inherit
  // the blocked mask.
  const sigset_t stop_signals = BlockStopSignals();

  Result<worker::WorkerBackends> backends = modes::MakeWorkerBackends(*config, RealClock());
  if (!backends) {
    std::fprintf(stderr, "maskfleet worker: %s\n", backends.error().message.c_str());
    return kExitCannotRun;
  }
  Result<std::unique_ptr<worker::WorkerApp>> app = worker::WorkerApp::Create(*config, std::move(*backends));
  if (!app) {
    std::fprintf(stderr, "maskfleet worker: %s\n", app.error().message.c_str());
    return kExitCannotRun;
  }
  Result<int> port = (*app)->Start();
  if (!port) {
    std::fprintf(stderr, "maskfleet worker: %s\n", port.error().message.c_str());
    return kExitCannotRun;
  }
  // One machine-readable line for whoever started us (the manager, tests).
  std::printf("listening on %s:%d\n", config->host.c_str(), *port);
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  spdlog::info("worker stopping on signal {}", signal);
  (*app)->Stop();
  return kExitOk;
}

}  // namespace

void AddWorkerCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* cmd = app.add_subcommand("worker",
                                     "Run a worker: the user app (accounts, uploads, history, API)");
  cmd->add_option("--config", args->config_file, "TOML configuration file");
  cmd->add_option("--host", args->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", args->port, "Port to listen on; 0 picks a free one (default 8081)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--data-dir", args->data_dir, "Folder for the SQLite file, images and outbox");
  cmd->add_option("--name", args->name, "Worker name in answers and logs (default host:port)");
  cmd->callback([args, &exit_code] { exit_code = RunWorker(*args); });
}

}  // namespace maskfleet::cli
