// ManagerBackends: what the manager needs from the deployment mode, as interfaces. A
// mode's factory makes them (modes/modes.h: MakeManagerBackends; the local mode's in
// modes/local/local_mode.cc); ManagerApp only uses them, and knows no implementation.
//
// Thread safety: moved into ManagerApp::Create once; each part is as its interface
// says. BalancerHost's methods are for the main thread only.
#ifndef MASKFLEET_MANAGER_MANAGER_BACKENDS_H_
#define MASKFLEET_MANAGER_MANAGER_BACKENDS_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/lb/load_balancer.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/pool/worker_pool.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::manager {

// Facts about the pool the UI shows as they are.
struct PoolFacts {
  std::string balancer_kind = "haproxy";
  std::string entry_url;
  // "cgroup v1 cpu.cfs_quota_us", "governor" ...
  std::string cpu_limit;
  double allotment_cpus = 0;
  // Why no cgroup is used, when none is.
  std::string cpu_limit_note;
};

// What keeps the load balancer itself running, where the mode runs one (locally: the
// HAProxy process the manager starts, supervises and stops); a mode whose balancer is
// a service (an AWS load balancer) has nothing to do here.
//
// Thread safety: call every method from the main thread, which lives as long as the
// manager (the local balancer is a child process tied to the thread that started it).
class BalancerHost {
 public:
  virtual ~BalancerHost() = default;
  // Starts the balancer; the LoadBalancer answers from then on. Errors: the balancer
  // cannot be started (kUnavailable, kInvalidArgument for its settings).
  virtual Status Start() = 0;
  // Checks that the balancer still runs and restarts it if it has died. Returns true
  // when it restarted it: the balancer then holds no server, and the caller has them
  // added again. Errors: it could not be restarted (the next call tries again).
  virtual Result<bool> Supervise() = 0;
  // Stops it. Idempotent. Errors: it had to be killed (it is stopped all the same).
  virtual Status Stop() = 0;
};

// The members are destroyed in reverse order: each after what uses it.
struct ManagerBackends {
  // The shared database, opened with maskfleet's whole schema (schema/schema.h).
  std::unique_ptr<storage::Database> database;
  // What the mode's parts below refer to and nobody else uses (the local metrics
  // source's metric store): kept as long as they are.
  std::shared_ptr<void> keep_alive;
  std::unique_ptr<objectstore::ObjectStore> objects;
  std::unique_ptr<mail::Mailer> mailer;
  std::unique_ptr<BalancerHost> balancer_host;
  std::unique_ptr<lb::LoadBalancer> balancer;
  std::unique_ptr<pool::WorkerPool> pool;
  std::unique_ptr<metrics::MetricsSource> metrics;
  PoolFacts facts;
  // How long a worker drained in the balancer may keep serving before it is stopped,
  // where the balancer cannot count its requests in flight (an ALB: its target group's
  // deregistration delay). nullopt: the controller's default (ControllerOptions).
  std::optional<std::chrono::milliseconds> drain_timeout;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_MANAGER_BACKENDS_H_
