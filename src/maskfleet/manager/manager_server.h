// ManagerServer: the manager's HTTP front on port 5000 (docs/manager.md): the
// administrators' pages and the JSON API over the pool controller, the metrics, the
// policy and the decision log. Every route but the login, /healthz and the static
// files needs an administrator's session; while the generated initial password is
// unchanged, only the session and password routes answer. The routes are one unit per
// resource (routes.h): sessions and passwords (shared with the worker), pool, metrics,
// policy and decisions, data and the manager, pages.
//
// Thread safety: Start() and Stop() from one controlling thread; requests are served
// by the server's own threads.
#ifndef MASKFLEET_MANAGER_MANAGER_SERVER_H_
#define MASKFLEET_MANAGER_MANAGER_SERVER_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/accounts/account_service.h"
#include "maskfleet/http/account_routes.h"
#include "maskfleet/manager/decision_log.h"
#include "maskfleet/manager/initial_admin.h"
#include "maskfleet/manager/manager_backends.h"
#include "maskfleet/manager/policy_store.h"
#include "maskfleet/manager/pool_controller.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/photos/data_eraser.h"

namespace maskfleet::manager {

namespace routes {
struct Deps;
}  // namespace routes

// What the server reads and drives. All must outlive it.
struct ManagerServices {
  accounts::AccountService& accounts;
  InitialAdmin& initial_admin;
  PoolController& controller;
  metrics::MetricsSource& metrics;
  PolicyStore& policies;
  DecisionLog& decisions;
  photos::DataEraser& eraser;
  const Clock& clock;
};

struct ManagerServerOptions {
  // Built web assets (pages/, static/), as for the worker. Default none.
  std::filesystem::path web_dir;
  bool secure_cookies = false;
  int http_threads = 8;
  // The metrics' sample period, for the policy's warnings (scaler::Warnings). Default 60 s.
  std::chrono::seconds metrics_period{60};
  // Asks the manager to stop (the "stop manager" button): called once, from a request
  // thread; must return at once (the manager stops from its main thread).
  std::function<void()> request_stop;
};

class ManagerServer {
 public:
  ManagerServer(ManagerServices services, PoolFacts facts, ManagerServerOptions options);
  ~ManagerServer();

  // Binds `host`:`port` (0: any free port) and serves in a background thread. Returns
  // the port. Errors: kUnavailable when the address cannot be bound.
  Result<int> Start(const std::string& host, int port);
  // Stops accepting, lets running requests finish, joins. Idempotent.
  void Stop();

 private:
  void RegisterRoutes();

  ManagerServices s_;
  const PoolFacts facts_;
  const ManagerServerOptions options_;
  const http::AccountRoutes account_routes_;
  std::unique_ptr<const routes::Deps> deps_;  // what the route units read (routes.h)
  httplib::Server http_;
  std::thread thread_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_MANAGER_SERVER_H_
