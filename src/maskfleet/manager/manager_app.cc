#include "maskfleet/manager/manager_app.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/accounts/reset_token_store.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/accounts/setup.h"
#include "maskfleet/accounts/user_store.h"
#include "maskfleet/manager/auto_scaler.h"
#include "maskfleet/manager/decision_log.h"
#include "maskfleet/manager/initial_admin.h"
#include "maskfleet/manager/manager_server.h"
#include "maskfleet/manager/policy_store.h"
#include "maskfleet/manager/pool_controller.h"
#include "maskfleet/manager/settings_store.h"
#include "maskfleet/photos/data_eraser.h"
#include "maskfleet/photos/image_store.h"
#include "maskfleet/photos/orphan_sweeper.h"

namespace maskfleet::manager {

struct ManagerApp::Parts {
  ManagerConfig config;
  Clock* clock = &RealClock();
  ManagerBackends backends;

  std::unique_ptr<accounts::UserStore> users;
  std::unique_ptr<accounts::SessionStore> sessions;
  std::unique_ptr<accounts::ResetTokenStore> resets;
  std::unique_ptr<accounts::ThrottleStore> throttles;
  std::unique_ptr<photos::ImageStore> images;
  std::unique_ptr<photos::DataEraser> eraser;
  std::unique_ptr<SettingsStore> settings;
  std::unique_ptr<PolicyStore> policies;
  std::unique_ptr<DecisionLog> decisions;
  std::unique_ptr<accounts::AccountService> accounts;
  std::unique_ptr<InitialAdmin> initial_admin;
  std::optional<std::string> initial_password;

  bool balancer_started = false;
  std::unique_ptr<PoolController> controller;
  std::unique_ptr<AutoScaler> auto_scaler;
  std::unique_ptr<ManagerServer> server;

  // Photo objects left without a row are removed by this thread, one page per period.
  std::unique_ptr<photos::OrphanSweeper> sweeper;
  std::mutex sweep_mu;
  std::condition_variable sweep_wake;
  bool sweep_stopping = false;  // guarded by sweep_mu
  std::thread sweeping;

  std::mutex stop_mu;
  std::condition_variable stop_wake;
  bool stop_requested = false;  // guarded by stop_mu
  bool stopped = false;         // main thread only
};

ManagerApp::ManagerApp(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

ManagerApp::~ManagerApp() { (void)Stop(); }

const std::optional<std::string>& ManagerApp::initial_password() const { return parts_->initial_password; }
const std::filesystem::path& ManagerApp::initial_password_file() const {
  return parts_->initial_admin->password_file();
}

Result<std::unique_ptr<ManagerApp>> ManagerApp::Create(const ManagerConfig& config,
                                                       ManagerBackends backends) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->backends = std::move(backends);
  const config::SharedConfig& shared = p->config.shared;
  Clock& clock = *p->clock;
  storage::Database& database = *p->backends.database;

  p->users = std::make_unique<accounts::UserStore>(database, clock);
  p->sessions = std::make_unique<accounts::SessionStore>(database, clock);
  p->resets = std::make_unique<accounts::ResetTokenStore>(database, clock);
  p->throttles = std::make_unique<accounts::ThrottleStore>(database);
  p->images = std::make_unique<photos::ImageStore>(database, clock);
  p->eraser = std::make_unique<photos::DataEraser>(*p->images, *p->backends.objects);
  p->sweeper = std::make_unique<photos::OrphanSweeper>(
      *p->images, *p->backends.objects, clock,
      photos::OrphanSweeperOptions{.grace = std::chrono::seconds(config.orphan_grace_seconds)});
  p->settings = std::make_unique<SettingsStore>(database);
  p->policies = std::make_unique<PolicyStore>(database, clock);
  p->decisions = std::make_unique<DecisionLog>(database);

  p->accounts = std::make_unique<accounts::AccountService>(
      *p->users, *p->sessions, *p->resets, *p->throttles, *p->backends.mailer, clock,
      accounts::AccountOptionsFrom(shared, /*register_enabled=*/false));
  if (Status s = accounts::EnsureFirstAdmin(shared, *p->users, *p->accounts); !s) {
    return std::unexpected(s.error().WithContext("first administrator"));
  }
  if (Status s = accounts::ReportNameClashes(*p->users); !s) {
    spdlog::warn("could not check user names for case clashes: {}", s.error().ToString());
  }
  p->initial_admin = std::make_unique<InitialAdmin>(*p->users, *p->settings, *p->accounts,
                                                    shared.data_dir / "initial-admin-password");
  Result<std::optional<std::string>> password = p->initial_admin->EnsureExists();
  if (!password) return std::unexpected(password.error());
  p->initial_password = std::move(*password);
  return std::unique_ptr<ManagerApp>(new ManagerApp(std::move(p)));
}

Result<Endpoints> ManagerApp::Start() {
  Parts& p = *parts_;
  const ManagerConfig& c = p.config;
  ManagerBackends& b = p.backends;

  if (Status s = b.balancer_host->Start(); !s) return std::unexpected(s.error());
  p.balancer_started = true;
  ControllerOptions control;
  control.collect_every = std::chrono::seconds(c.collect_seconds);
  if (b.drain_timeout) control.drain_timeout = *b.drain_timeout;
  p.controller = std::make_unique<PoolController>(*b.pool, *b.balancer, *b.metrics, *p.clock, control);
  p.controller->Start(1);
  AutoScalerOptions scaling;
  scaling.sample_period = std::chrono::seconds(c.scaler_sample_seconds);
  p.auto_scaler = std::make_unique<AutoScaler>(*p.controller, *b.metrics, *p.policies, *p.decisions, *p.clock,
                                               scaling);
  p.auto_scaler->Start();

  p.sweeping = std::thread([&p, every = std::chrono::seconds(c.orphan_sweep_seconds)] {
    std::unique_lock lock(p.sweep_mu);
    while (!p.sweep_wake.wait_for(lock, every, [&p] { return p.sweep_stopping; })) {
      lock.unlock();
      if (Result<photos::SweepStep> step = p.sweeper->SweepPage(); !step) {
        spdlog::warn("sweeping orphaned photo objects: {}", step.error().ToString());
      }
      lock.lock();
    }
  });

  ManagerServerOptions options;
  options.web_dir = c.shared.web_dir;
  options.secure_cookies = c.shared.secure_cookies;
  options.metrics_period = scaling.sample_period;
  options.request_stop = [this] { RequestStop(); };
  p.server = std::make_unique<ManagerServer>(
      ManagerServices{*p.accounts, *p.initial_admin, *p.controller, *b.metrics, *p.policies, *p.decisions,
                      *p.eraser, *p.clock},
      b.facts, std::move(options));
  Result<int> port = p.server->Start(c.host, c.port);
  if (!port) {
    (void)Stop();
    return std::unexpected(port.error());
  }
  return Endpoints{"http://" + c.host + ":" + std::to_string(*port) + "/", b.facts.entry_url};
}

Status ManagerApp::SuperviseBalancer() {
  Parts& p = *parts_;
  if (!p.balancer_started || p.stopped) return {};
  Result<bool> restarted = p.backends.balancer_host->Supervise();
  if (!restarted) return std::unexpected(restarted.error());
  if (*restarted) p.controller->BalancerRestarted();
  return {};
}

void ManagerApp::RequestStop() {
  std::lock_guard lock(parts_->stop_mu);
  parts_->stop_requested = true;
  parts_->stop_wake.notify_all();
}

bool ManagerApp::WaitForStopRequest(std::chrono::milliseconds timeout) {
  std::unique_lock lock(parts_->stop_mu);
  return parts_->stop_wake.wait_for(lock, timeout, [this] { return parts_->stop_requested; });
}

Status ManagerApp::Stop() {
  if (!parts_ || parts_->stopped) return {};
  Parts& p = *parts_;
  p.stopped = true;
  Status result;
  if (p.auto_scaler) p.auto_scaler->Stop();
  if (p.sweeping.joinable()) {
    {
      std::lock_guard lock(p.sweep_mu);
      p.sweep_stopping = true;
    }
    p.sweep_wake.notify_all();
    p.sweeping.join();
  }
  // Workers first (they leave the balancer drained), then the balancer, then the UI,
  // which answered the stop button before this ran.
  if (p.controller) {
    result = p.controller->Shutdown();
  } else if (p.backends.pool) {
    result = p.backends.pool->StopAll();
  }
  if (p.backends.balancer_host) {
    if (Status s = p.backends.balancer_host->Stop(); !s && result) result = s;
  }
  if (p.server) p.server->Stop();
  return result;
}

}  // namespace maskfleet::manager
