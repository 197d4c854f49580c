// The local mode, put together: the one place that names its implementations.
//
//   database      storage::Database at [database] url (default: the SQLite file
//                 <data_dir>/maskfleet.db), with maskfleet's whole schema
//   objects       objectstore::LocalObjectStore, a folder (<data_dir>/objects)
//   mail          mail::outbox::OutboxMailer (a folder) or mail::smtp::SmtpMailer
//   worker CPU    the in-worker governor (pool/governor) when the pool asked for one
//   pool          pool::local::LocalWorkerPool: worker processes of this program, a CPU
//                 allotment each, the workers of an earlier run adopted or stopped
//   balancer      lb::haproxy::HaproxyLoadBalancer over an HAProxy process that the
//                 manager starts (or adopts from an earlier run that was killed),
//                 supervises (restarts) and stops (HaproxyHost below)
//   metrics       metrics::local::LocalMetricsSource: CPU read from the pool's
//                 processes, requests from the workers' /metrics and HAProxy's entry
//                 frontend counters (requests offered and served), kept in the database
#include "maskfleet/modes/local/local_mode.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include <spdlog/spdlog.h>

#include "maskfleet/lb/haproxy/haproxy_load_balancer.h"
#include "maskfleet/lb/haproxy/haproxy_process.h"
#include "maskfleet/metrics/local/local_metrics_source.h"
#include "maskfleet/metrics/metric_store.h"
#include "maskfleet/modes/shared_parts.h"
#include "maskfleet/objectstore/local/local_object_store.h"
#include "maskfleet/pool/governor/cpu_governor.h"
#include "maskfleet/pool/local/local_worker_pool.h"

namespace maskfleet::modes::local {
namespace {

Result<std::unique_ptr<objectstore::ObjectStore>> OpenObjects(const config::SharedConfig& c) {
  Result<std::unique_ptr<objectstore::LocalObjectStore>> objects = objectstore::LocalObjectStore::Open(
      {.root = c.objects_root});
  if (!objects) return std::unexpected(objects.error().WithContext("object store"));
  return std::unique_ptr<objectstore::ObjectStore>(std::move(*objects));
}

pool::local::CpuLimitMode CpuLimitModeByName(const std::string& name) {
  if (name == "cgroup") return pool::local::CpuLimitMode::kCgroup;
  if (name == "governor") return pool::local::CpuLimitMode::kGovernor;
  if (name == "none") return pool::local::CpuLimitMode::kNone;
  return pool::local::CpuLimitMode::kAuto;
}

// The file in the data folder that names HAProxy's short folder (PlaceHaproxyFiles), so
// that a manager started after a crash finds (and adopts) the HAProxy there.
constexpr char kShortFolderRecord[] = "haproxy-folder";

// The HAProxy process behind the balancer: started, restarted when it has died, stopped;
// and the short private folder for its files when the data folder is too deep.
class HaproxyHost : public manager::BalancerHost {
 public:
  HaproxyHost(const lb::haproxy::HaproxyConfig& config, lb::haproxy::ProcessOptions options,
              lb::haproxy::HaproxyLoadBalancer& balancer, std::filesystem::path data_dir,
              std::filesystem::path temporary_dir)
      : process_(config, std::move(options)),
        balancer_(balancer),
        data_dir_(std::move(data_dir)),
        temporary_dir_(std::move(temporary_dir)) {}
  ~HaproxyHost() override { (void)Stop(); }

  Status Start() override {
    if (Status s = process_.Start(); !s) return std::unexpected(s.error().WithContext("HAProxy"));
    started_ = true;
    if (process_.WasAdopted()) {
      Result<int> slots = balancer_.AdoptSlots();
      if (!slots) return std::unexpected(slots.error().WithContext("HAProxy"));
      spdlog::info("HAProxy of an earlier run adopted (pid {}), {} servers in it kept", process_.pid(),
                   *slots);
    }
    return {};
  }

  Result<bool> Supervise() override {
    if (!started_ || process_.Running()) return false;
    spdlog::error("HAProxy has exited; restarting it");
    if (Status s = process_.Start(); !s) return std::unexpected(s.error().WithContext("restarting HAProxy"));
    balancer_.Reset();
    spdlog::info("HAProxy restarted; the workers are added again");
    return true;
  }

  Status Stop() override {
    Status result;
    if (started_) {
      started_ = false;
      result = process_.Stop();
    }
    if (!temporary_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(temporary_dir_, ec);
      std::filesystem::remove(data_dir_ / kShortFolderRecord, ec);
      temporary_dir_.clear();
    }
    return result;
  }

 private:
  lb::haproxy::HaproxyProcess process_;
  lb::haproxy::HaproxyLoadBalancer& balancer_;
  const std::filesystem::path data_dir_;
  std::filesystem::path temporary_dir_;
  bool started_ = false;
};

// The short folder an earlier run recorded, if it is still ours alone.
std::optional<std::filesystem::path> RecordedShortFolder(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / kShortFolderRecord);
  std::string recorded;
  if (!std::getline(in, recorded) || recorded.empty()) return std::nullopt;
  struct stat st {};
  if (::lstat(recorded.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid() ||
      (st.st_mode & 077) != 0) {
    return std::nullopt;
  }
  return std::filesystem::path(recorded);
}

// Where HAProxy keeps its files: <data_dir>/haproxy, or, when that is too deep for
// its runtime socket's path, a short private folder under /tmp (`temporary_dir` set;
// removed at the end; recorded in the data folder meanwhile).
Status PlaceHaproxyFiles(const std::filesystem::path& data_dir, lb::haproxy::HaproxyConfig& config,
                         std::filesystem::path& temporary_dir) {
  config.state_dir = data_dir / "haproxy";
  if (lb::haproxy::SocketPath(config).native().size() <= lb::haproxy::kMaxSocketPathLength) return {};
  if (std::optional<std::filesystem::path> earlier = RecordedShortFolder(data_dir)) {
    config.state_dir = *earlier;
    temporary_dir = *earlier;
    return {};
  }
  std::string pattern = (std::filesystem::temp_directory_path().native().size() < 40
                             ? std::filesystem::temp_directory_path()
                             : std::filesystem::path("/tmp")) /
                        "maskfleet-lb-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "cannot make a folder for HAProxy's files in " + pattern);
  }
  config.state_dir = pattern;
  temporary_dir = pattern;
  std::ofstream(data_dir / kShortFolderRecord, std::ios::trunc) << pattern << "\n";
  spdlog::info("the data folder is too deep for HAProxy's runtime socket; its files are in {}", pattern);
  return {};
}

}  // namespace

Result<worker::WorkerBackends> MakeWorkerBackends(const worker::WorkerConfig& config, Clock& clock) {
  worker::WorkerConfig c = config;
  c.FillDefaults();
  if (Status made = MakeDataDir(c.data_dir); !made) return std::unexpected(made.error());
  worker::WorkerBackends b;
  Result<std::unique_ptr<storage::Database>> database = OpenDatabase(c, clock);
  if (!database) return std::unexpected(database.error());
  b.database = std::move(*database);
  Result<std::unique_ptr<objectstore::ObjectStore>> objects = OpenObjects(c);
  if (!objects) return std::unexpected(objects.error());
  b.objects = std::move(*objects);
  Result<std::unique_ptr<mail::Mailer>> mailer = MakeMailer(c);
  if (!mailer) return std::unexpected(mailer.error());
  b.mailer = std::move(*mailer);
  // A pool without cgroups hands its workers their allotment in the environment
  // (MASKFLEET_WORKER_CPU_ALLOTMENT); the worker then keeps to it by itself.
  if (pool::governor::CpuGovernor* governor = pool::governor::ProcessGovernor(); governor != nullptr) {
    b.cpu_budget = [governor] { (void)governor->WaitForBudget(); };
  }
  return b;
}

Result<manager::ManagerBackends> MakeManagerBackends(const manager::ManagerConfig& config,
                                                     const std::filesystem::path& binary, Clock& clock) {
  const config::SharedConfig& shared = config.shared;
  manager::ManagerBackends b;
  Result<std::unique_ptr<storage::Database>> database = OpenDatabase(shared, clock);
  if (!database) return std::unexpected(database.error());
  b.database = std::move(*database);
  auto metric_store = std::make_shared<metrics::MetricStore>(*b.database);
  b.keep_alive = metric_store;
  Result<std::unique_ptr<objectstore::ObjectStore>> objects = OpenObjects(shared);
  if (!objects) return std::unexpected(objects.error());
  b.objects = std::move(*objects);
  Result<std::unique_ptr<mail::Mailer>> mailer = MakeMailer(shared);
  if (!mailer) return std::unexpected(mailer.error());
  b.mailer = std::move(*mailer);

  int lb_port = config.lb_port;
  if (lb_port == 0) {
    Result<std::uint16_t> free = lb::haproxy::FreeTcpPort(config.lb_host);
    if (!free) return std::unexpected(free.error().WithContext("manager.lb_host"));
    lb_port = *free;
  }
  std::string entry_url = config.lb_public_url;
  if (entry_url.empty()) entry_url = "http://" + config.lb_host + ":" + std::to_string(lb_port) + "/";

  pool::local::LocalPoolOptions pool;
  pool.binary = binary;
  pool.data_dir = shared.data_dir;
  pool.state_dir = shared.data_dir / "pool";
  pool.config_file = config.config_file;
  pool.cpu_allotment = config.worker_cpu;
  pool.cpu_limit = CpuLimitModeByName(config.cpu_limit);
  // Behind our HAProxy: client addresses come in X-Forwarded-For (rate limits), and
  // mailed links point at the entry URL, unless the configuration says otherwise.
  pool.environment["MASKFLEET_WORKER_TRUST_FORWARDED_FOR"] = "true";
  if (shared.public_url.empty()) {
    std::string url = entry_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    pool.environment["MASKFLEET_WORKER_PUBLIC_URL"] = url;
  }
  // Drained in the balancer first; by the time the pool is told, nothing is in flight.
  pool.drain_grace = std::chrono::seconds(1);
  Result<std::unique_ptr<pool::local::LocalWorkerPool>> made = pool::local::LocalWorkerPool::Create(pool);
  if (!made) return std::unexpected(made.error().WithContext("worker pool"));
  pool::local::LocalWorkerPool& local_pool = **made;
  const pool::local::AdoptionReport& adoption = local_pool.adoption();
  if (!adoption.adopted.empty() || !adoption.stopped.empty()) {
    spdlog::info("workers of an earlier run: {} adopted, {} stopped, {} already gone",
                 adoption.adopted.size(), adoption.stopped.size(), adoption.gone.size());
  }
  b.facts.entry_url = entry_url;
  b.facts.cpu_limit = local_pool.cpu_limit_mechanism();
  b.facts.allotment_cpus = config.worker_cpu;
  b.facts.cpu_limit_note = local_pool.cgroup_unavailable_reason();
  b.pool = std::move(*made);

  lb::haproxy::HaproxyConfig haproxy;
  std::filesystem::path temporary_dir;
  if (Status s = PlaceHaproxyFiles(shared.data_dir, haproxy, temporary_dir); !s)
    return std::unexpected(s.error());
  haproxy.frontend_host = config.lb_host;
  // Readiness, not liveness: a worker that cannot store leaves the rotation, and comes
  // back when it can (the pool watches /healthz, so it does not replace the worker).
  haproxy.health_path = "/readyz";
  // At most the requests a worker can take while keeping threads for its health checks,
  // counted from the settings the pool starts it with.
  worker::WorkerConfig as_started;
  static_cast<config::SharedConfig&>(as_started) = shared;
  as_started.http_threads = pool.http_threads;
  as_started.detection_threads = pool.detection_threads;
  as_started.detection_queue = pool.detection_queue;
  as_started.url_fetches = config.worker_url_fetches;
  haproxy.server_maxconn = worker::BalancedRequestLimit(as_started);
  haproxy.frontend_port = static_cast<std::uint16_t>(lb_port);
  auto balancer = std::make_unique<lb::haproxy::HaproxyLoadBalancer>(haproxy, entry_url);
  lb::haproxy::ProcessOptions process;
  process.binary = config.haproxy;
  b.balancer_host = std::make_unique<HaproxyHost>(haproxy, process, *balancer, shared.data_dir,
                                                  temporary_dir);
  b.facts.entry_url = balancer->EntryUrl();
  const lb::haproxy::HaproxyLoadBalancer& haproxy_balancer = *balancer;
  b.balancer = std::move(balancer);

  metrics::local::CpuSampler cpu =
      [&local_pool](const metrics::CollectTarget& w) -> Result<metrics::local::CpuCounterSample> {
    Result<pool::local::CpuReading> reading = local_pool.ReadCpu(w.worker_id);
    if (!reading) return std::unexpected(reading.error());
    return metrics::local::CpuCounterSample{reading->used, reading->allotment};
  };
  // The backends' members end in reverse order: the metrics before the balancer.
  metrics::local::BalancerCounter counts =
      [&haproxy_balancer]() -> Result<metrics::local::BalancerCounterSample> {
    Result<lb::haproxy::EntryRequestCounts> read = haproxy_balancer.ReadEntryRequestCounts();
    if (!read) return std::unexpected(read.error());
    return metrics::local::BalancerCounterSample{std::move(read->generation), read->offered, read->served};
  };
  b.metrics = std::make_unique<metrics::local::LocalMetricsSource>(*metric_store, std::move(cpu),
                                                                   std::move(counts));
  return b;
}

}  // namespace maskfleet::modes::local
