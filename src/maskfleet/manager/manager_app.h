// ManagerApp: the manager of the local mode, every part built from a ManagerConfig
// and owned here, in dependency order: the database and its stores, the object store,
// accounts and the initial administrator, HAProxy and its runtime-API balancer, the
// local worker pool, the local metrics source, the pool controller, the HTTP server.
//
// Processes: HAProxy and the workers are children that die with the manager (parent-
// death signal). HAProxy is started by Start() on the calling thread, so call Start()
// and Stop() from the main thread, which lives as long as the manager.
//
// Thread safety: Create, Start, WaitForStopRequest and Stop from the main thread;
// RequestStop from any thread (the stop button, a signal watcher).
#ifndef MASKFLEET_MANAGER_MANAGER_APP_H_
#define MASKFLEET_MANAGER_MANAGER_APP_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/manager/manager_config.h"

namespace maskfleet::manager {

struct Endpoints {
  std::string manager_url;  // "http://127.0.0.1:5000/"
  std::string entry_url;    // the load balancer's: "http://127.0.0.1:8080/"
};

class ManagerApp {
 public:
  // Opens the database (migrating it) and the object store, makes the initial
  // administrator when there is none (its password is then in
  // `initial_password()`), and adopts or stops the workers of an earlier run.
  // `binary` is the maskfleet program the workers run. Errors: the failing part's,
  // with its name as context.
  static Result<std::unique_ptr<ManagerApp>> Create(const ManagerConfig& config,
                                                    const std::filesystem::path& binary);
  ~ManagerApp();

  // Starts HAProxy, the pool (resized to 1) and the HTTP server. Errors: the failing
  // part's; what was started is stopped again.
  Result<Endpoints> Start();

  // Checks that HAProxy still runs and restarts it if it has died (the controller then
  // adds the workers again). Call it now and then from the main thread, which started
  // HAProxy. Errors: HAProxy could not be restarted (the next call tries again).
  Status SuperviseBalancer();

  // Asks Stop() to run: the stop button calls it. Returns at once.
  void RequestStop();
  // Waits up to `timeout` for RequestStop(); true when it came.
  bool WaitForStopRequest(std::chrono::milliseconds timeout);

  // Drains and stops every worker, stops HAProxy and the server. Idempotent. Errors:
  // a worker or HAProxy that had to be killed (everything is stopped all the same).
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
