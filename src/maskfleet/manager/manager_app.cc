#include "maskfleet/manager/manager_app.h"

#include <stdlib.h>

#include <condition_variable>
#include <mutex>

#include <spdlog/spdlog.h>

#include "maskfleet/lb/haproxy/haproxy_load_balancer.h"
#include "maskfleet/lb/haproxy/haproxy_process.h"
#include "maskfleet/manager/auto_scaler.h"
#include "maskfleet/manager/initial_admin.h"
#include "maskfleet/manager/manager_server.h"
#include "maskfleet/manager/pool_controller.h"
#include "maskfleet/metrics/local/local_metrics_source.h"
#include "maskfleet/metrics/metric_store.h"
#include "maskfleet/objectstore/local/local_object_store.h"
#include "maskfleet/pool/local/local_worker_pool.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/decision_log.h"
#include "maskfleet/storage/image_store.h"
#include "maskfleet/storage/policy_store.h"
#include "maskfleet/storage/reset_token_store.h"
#include "maskfleet/storage/session_store.h"
#include "maskfleet/storage/settings_store.h"
#include "maskfleet/storage/user_store.h"
#include "maskfleet/worker/account_service.h"
#include "maskfleet/worker/worker_app.h"

namespace maskfleet::manager {

struct ManagerApp::Parts {
  ManagerConfig config;
  std::filesystem::path binary;
  Clock* clock = &RealClock();

  std::unique_ptr<storage::Database> database;
  std::unique_ptr<storage::UserStore> users;
  std::unique_ptr<storage::SessionStore> sessions;
  std::unique_ptr<storage::ResetTokenStore> resets;
  std::unique_ptr<storage::ImageStore> images;
  std::unique_ptr<storage::SettingsStore> settings;
  std::unique_ptr<storage::PolicyStore> policies;
  std::unique_ptr<storage::DecisionLog> decisions;
  std::unique_ptr<metrics::MetricStore> metric_store;
  std::unique_ptr<objectstore::ObjectStore> objects;
  std::unique_ptr<mail::Mailer> mailer;
  std::unique_ptr<worker::AccountService> accounts;
  std::unique_ptr<InitialAdmin> initial_admin;
  std::optional<std::string> initial_password;
  int lb_port = 0;        // HAProxy's port, chosen by Create when configured as 0
  std::string entry_url;  // the balancer's entry URL

  lb::haproxy::HaproxyConfig haproxy_config;
  std::unique_ptr<lb::haproxy::HaproxyProcess> haproxy;
  std::unique_ptr<lb::haproxy::HaproxyLoadBalancer> balancer;
  std::unique_ptr<pool::local::LocalWorkerPool> pool;
  std::unique_ptr<metrics::local::LocalMetricsSource> metrics;
  std::unique_ptr<PoolController> controller;
  std::unique_ptr<AutoScaler> auto_scaler;
  std::unique_ptr<ManagerServer> server;

  std::mutex stop_mu;
  std::condition_variable stop_wake;
  bool stop_requested = false;  // guarded by stop_mu
  bool stopped = false;         // main thread only
  // HAProxy's files when the data folder is too deep for its socket (see Start).
  std::filesystem::path haproxy_temporary_dir;
};

namespace {


pool::local::CpuLimitMode CpuLimitModeByName(const std::string& name) {
  if (name == "cgroup") return pool::local::CpuLimitMode::kCgroup;
  if (name == "governor") return pool::local::CpuLimitMode::kGovernor;
  if (name == "none") return pool::local::CpuLimitMode::kNone;
  return pool::local::CpuLimitMode::kAuto;
}

}  // namespace

ManagerApp::ManagerApp(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

ManagerApp::~ManagerApp() { (void)Stop(); }

const std::optional<std::string>& ManagerApp::initial_password() const { return parts_->initial_password; }
const std::filesystem::path& ManagerApp::initial_password_file() const {
  return parts_->initial_admin->password_file();
}

Result<std::unique_ptr<ManagerApp>> ManagerApp::Create(const ManagerConfig& config,
                                                       const std::filesystem::path& binary) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->binary = binary;
  worker::WorkerConfig& wc = p->config.worker;
  std::error_code ec;
  wc.data_dir = std::filesystem::absolute(wc.data_dir, ec);
  std::filesystem::create_directories(wc.data_dir, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "cannot create the data folder " + wc.data_dir.string() + ": " + ec.message());
  std::filesystem::permissions(wc.data_dir, std::filesystem::perms::owner_all, ec);
  wc.FillDefaults();
  Clock& clock = *p->clock;

  storage::DatabaseOptions db;
  db.url = wc.database_url;
  db.pool_size = static_cast<std::size_t>(wc.database_pool);
  Result<std::unique_ptr<storage::Database>> database = storage::Database::Open(db, clock);
  if (!database) return std::unexpected(database.error().WithContext("database"));
  p->database = std::move(*database);
  p->users = std::make_unique<storage::UserStore>(*p->database, clock);
  p->sessions = std::make_unique<storage::SessionStore>(*p->database, clock);
  p->resets = std::make_unique<storage::ResetTokenStore>(*p->database, clock);
  p->images = std::make_unique<storage::ImageStore>(*p->database, clock);
  p->settings = std::make_unique<storage::SettingsStore>(*p->database);
  p->policies = std::make_unique<storage::PolicyStore>(*p->database, clock);
  p->decisions = std::make_unique<storage::DecisionLog>(*p->database);
  p->metric_store = std::make_unique<metrics::MetricStore>(*p->database);

  Result<std::unique_ptr<objectstore::LocalObjectStore>> objects =
      objectstore::LocalObjectStore::Open({.root = wc.objects_root});
  if (!objects) return std::unexpected(objects.error().WithContext("object store"));
  p->objects = std::move(*objects);
  Result<std::unique_ptr<mail::Mailer>> mailer = worker::MakeMailer(wc);
  if (!mailer) return std::unexpected(mailer.error().WithContext("mail"));
  p->mailer = std::move(*mailer);

  worker::AccountOptions accounts;
  accounts.hashing = worker::HashingByName(wc.password_hashing);
  accounts.password_rules.min_bytes = static_cast<std::size_t>(wc.password_min_length);
  accounts.session_ttl = std::chrono::hours(24 * wc.session_days);
  accounts.public_url = wc.public_url;
  accounts.register_enabled = false;
  p->accounts = std::make_unique<worker::AccountService>(*p->users, *p->sessions, *p->resets,
                                                         *p->mailer, clock, accounts);
  if (Status s = worker::EnsureFirstAdmin(wc, *p->users, *p->accounts); !s) {
    return std::unexpected(s.error().WithContext("first administrator"));
  }
  p->initial_admin = std::make_unique<InitialAdmin>(*p->users, *p->settings, *p->accounts,
                                                    wc.data_dir / "initial-admin-password");
  Result<std::optional<std::string>> password = p->initial_admin->EnsureExists();
  if (!password) return std::unexpected(password.error());
  p->initial_password = std::move(*password);

  p->lb_port = p->config.lb_port;
  if (p->lb_port == 0) {
    Result<std::uint16_t> free = lb::haproxy::FreeTcpPort(p->config.lb_host);
    if (!free) return std::unexpected(free.error().WithContext("manager.lb_host"));
    p->lb_port = *free;
  }
  p->entry_url = p->config.lb_public_url;
  if (p->entry_url.empty()) p->entry_url = "http://" + p->config.lb_host + ":" + std::to_string(p->lb_port) + "/";

  pool::local::LocalPoolOptions pool;
  pool.binary = binary;
  pool.data_dir = wc.data_dir;
  pool.state_dir = wc.data_dir / "pool";
  pool.config_file = p->config.config_file;
  pool.cpu_allotment = p->config.worker_cpu;
  pool.cpu_limit = CpuLimitModeByName(p->config.cpu_limit);
  // Behind our HAProxy: client addresses come in X-Forwarded-For (rate limits), and
  // mailed links point at the entry URL, unless the configuration says otherwise.
  pool.environment["MASKFLEET_WORKER_TRUST_FORWARDED_FOR"] = "true";
  if (config.worker.public_url.empty()) {
    std::string url = p->entry_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    pool.environment["MASKFLEET_WORKER_PUBLIC_URL"] = url;
  }
  // Drained in the balancer first; by the time the pool is told, nothing is in flight.
  pool.drain_grace = std::chrono::seconds(1);
  Result<std::unique_ptr<pool::local::LocalWorkerPool>> made = pool::local::LocalWorkerPool::Create(pool);
  if (!made) return std::unexpected(made.error().WithContext("worker pool"));
  p->pool = std::move(*made);
  const pool::local::AdoptionReport& adoption = p->pool->adoption();
  if (!adoption.adopted.empty() || !adoption.stopped.empty()) {
    spdlog::info("workers of an earlier run: {} adopted, {} stopped, {} already gone",
                 adoption.adopted.size(), adoption.stopped.size(), adoption.gone.size());
  }
  return std::unique_ptr<ManagerApp>(new ManagerApp(std::move(p)));
}

Result<Endpoints> ManagerApp::Start() {
  Parts& p = *parts_;
  const ManagerConfig& c = p.config;

  p.haproxy_config.state_dir = c.worker.data_dir / "haproxy";
  if (lb::haproxy::SocketPath(p.haproxy_config).native().size() > lb::haproxy::kMaxSocketPathLength) {
    // A deep data folder: HAProxy's runtime socket would not fit a UNIX socket path,
    // so its files go to a short private folder instead, removed at the end.
    std::string pattern = (std::filesystem::temp_directory_path().native().size() < 40
                               ? std::filesystem::temp_directory_path()
                               : std::filesystem::path("/tmp")) /
                          "maskfleet-lb-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return MakeError(ErrorCode::kUnavailable, "cannot make a folder for HAProxy's files in " + pattern);
    }
    p.haproxy_config.state_dir = pattern;
    p.haproxy_temporary_dir = pattern;
    spdlog::info("the data folder is too deep for HAProxy's runtime socket; its files are in {}", pattern);
  }
  p.haproxy_config.frontend_host = c.lb_host;
  p.haproxy_config.frontend_port = static_cast<std::uint16_t>(p.lb_port);
  lb::haproxy::ProcessOptions haproxy_options;
  haproxy_options.binary = c.haproxy;
  p.haproxy = std::make_unique<lb::haproxy::HaproxyProcess>(p.haproxy_config, haproxy_options);
  if (Status s = p.haproxy->Start(); !s) return std::unexpected(s.error().WithContext("HAProxy"));
  p.balancer = std::make_unique<lb::haproxy::HaproxyLoadBalancer>(p.haproxy_config, p.entry_url);

  pool::local::LocalWorkerPool* pool = p.pool.get();
  metrics::local::CpuSampler cpu = [pool](const metrics::CollectTarget& w) -> Result<metrics::local::CpuCounterSample> {
    Result<pool::local::CpuReading> reading = pool->ReadCpu(w.worker_id);
    if (!reading) return std::unexpected(reading.error());
    return metrics::local::CpuCounterSample{reading->used, reading->allotment};
  };
  p.metrics = std::make_unique<metrics::local::LocalMetricsSource>(*p.metric_store, std::move(cpu));
  ControllerOptions control;
  control.collect_every = std::chrono::seconds(c.collect_seconds);
  p.controller = std::make_unique<PoolController>(*p.pool, *p.balancer, *p.metrics, *p.clock, control);
  p.controller->Start(1);
  AutoScalerOptions scaling;
  scaling.sample_period = std::chrono::seconds(c.scaler_sample_seconds);
  p.auto_scaler = std::make_unique<AutoScaler>(*p.controller, *p.metrics, *p.policies, *p.decisions,
                                               *p.clock, scaling);
  p.auto_scaler->Start();

  PoolFacts facts;
  facts.entry_url = p.balancer->EntryUrl();
  facts.cpu_limit = p.pool->cpu_limit_mechanism();
  facts.allotment_cpus = c.worker_cpu;
  facts.cpu_limit_note = p.pool->cgroup_unavailable_reason();
  ManagerServerOptions options;
  options.web_dir = c.worker.web_dir;
  options.secure_cookies = c.worker.secure_cookies;
  options.request_stop = [this] { RequestStop(); };
  p.server = std::make_unique<ManagerServer>(
      ManagerServices{*p.accounts, *p.initial_admin, *p.controller, *p.metrics, *p.policies,
                      *p.decisions, *p.images, *p.objects, *p.clock},
      std::move(facts), std::move(options));
  Result<int> port = p.server->Start(c.host, c.port);
  if (!port) {
    (void)Stop();
    return std::unexpected(port.error());
  }
  return Endpoints{"http://" + c.host + ":" + std::to_string(*port) + "/", p.entry_url};
}

Status ManagerApp::SuperviseBalancer() {
  Parts& p = *parts_;
  if (!p.haproxy || p.stopped || p.haproxy->Running()) return {};
  spdlog::error("HAProxy has exited; restarting it");
  if (Status s = p.haproxy->Start(); !s) return std::unexpected(s.error().WithContext("restarting HAProxy"));
  p.balancer->Reset();
  p.controller->BalancerRestarted();
  spdlog::info("HAProxy restarted; the workers are added again");
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
  // Workers first (they leave the balancer drained), then the balancer, then the UI,
  // which answered the stop button before this ran.
  if (p.controller) {
    result = p.controller->Shutdown();
  } else if (p.pool) {
    result = p.pool->StopAll();
  }
  if (p.haproxy) {
    if (Status s = p.haproxy->Stop(); !s && result) result = s;
  }
  if (!p.haproxy_temporary_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(p.haproxy_temporary_dir, ec);
  }
  if (p.server) p.server->Stop();
  return result;
}

}  // namespace maskfleet::manager
