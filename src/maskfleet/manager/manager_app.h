// ManagerApp: the manager, in any deployment mode. The mode's backends (database,
// object store, mailer, worker pool, load balancer and what runs it, metrics source:
// manager_backends.h) come in as interfaces; the rest is built here and owned, in
// dependency order: the stores, accounts and the initial administrator, the pool
// controller and auto-scaler, the HTTP server.
//
// Processes: in the local mode the balancer (HAProxy) and the workers are children that
// die with the manager (parent-death signal). Start() starts the balancer on the
// calling thread, so call Start(), SuperviseBalancer() and Stop() from the main thread,
// which lives as long as the manager.
//
// Thread safety: Create, Start, SuperviseBalancer, WaitForStopRequest and Stop from the
// main thread; RequestStop from any thread (the stop button, a signal watcher).
#ifndef MASKFLEET_MANAGER_MANAGER_APP_H_
#define MASKFLEET_MANAGER_MANAGER_APP_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/manager/manager_backends.h"
#include "maskfleet/manager/manager_config.h"

namespace maskfleet::manager {

struct Endpoints {
  std::string manager_url;  // "http://127.0.0.1:5000/"
  std::string entry_url;    // the load balancer's: "http://127.0.0.1:8080/"
};

class ManagerApp {
 public:
  // Makes the configured first administrator, or the initial administrator when there
  // is none (its password is then in `initial_password()`). `config` is prepared
  // (ManagerConfig::Prepare); `backends` come from the mode's factory. Errors: the
  // failing part's, with its name as context.
  static Result<std::unique_ptr<ManagerApp>> Create(const ManagerConfig& config, ManagerBackends backends);
  ~ManagerApp();

  // Starts the balancer, the pool (resized to 1) and the HTTP server. Errors: the
  // failing part's; what was started is stopped again.
  Result<Endpoints> Start();

  // Checks that the balancer still runs and restarts it if it has died (the controller
  // then adds the workers again): BalancerHost::Supervise. Call it now and then from the
  // main thread. Errors: it could not be restarted (the next call tries again).
  Status SuperviseBalancer();

  // Asks Stop() to run: the stop button calls it. Returns at once.
  void RequestStop();
  // Waits up to `timeout` for RequestStop(); true when it came.
  bool WaitForStopRequest(std::chrono::milliseconds timeout);

  // Drains and stops every worker, stops the balancer and the server. Idempotent.
  // Errors: a worker or the balancer that had to be killed (everything is stopped all
  // the same).
  Status Stop();

  // The generated initial administrator's password when Create() made one, once.
  const std::optional<std::string>& initial_password() const;
  const std::filesystem::path& initial_password_file() const;

 private:
  struct Parts;
  explicit ManagerApp(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_MANAGER_APP_H_
