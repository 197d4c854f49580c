// PoolController: the one place that changes the worker pool. It holds the pool's
// desired size and, on its own long-lived thread, makes the pool and the load
// balancer match it, a tick at a time (RunOnce() is one tick):
//
//   1. Refresh the pool (health checks of starting workers, dead processes), when the
//      pool's RefreshInterval() has passed since the last Refresh; else read List().
//   2. Balancer: every in-service worker that is not being taken out is added; a
//      worker that has ended (stopped, failed: a crash, kill -9) is removed at once,
//      before HAProxy's own checks would notice. The balancer's servers are read
//      when its ListInterval() has passed since the last read, and kept in between.
//   3. Drains finish: a worker drained in the balancer is stopped once its requests
//      in flight are answered (active connections 0) or after drain_timeout.
//   4. Size: fewer live workers than desired (a grow, or a failed worker to
//      replace) launches new ones; more drains the newest (starting ones first,
//      which serve nothing yet, then in-service ones). Each launch has an idempotency
//      key; a launch that failed with kUnavailable (its outcome unknown) is retried
//      with the same key, so a lost answer never starts two workers.
//
// The loops wait on the clock (Clock::WaitFor), so tests drive them on a
// SimulatedClock: either without Start(), calling RunOnce() and CollectMetricsOnce()
// and advancing the clock between them, or with Start(), advancing the clock to let
// the threads' waits end.
//
// A second thread runs a metrics pass every collect_every over the workers as the
// last tick saw them (MetricsSource::Collect may wait for slow scrapes; the pool's
// changes do not wait for it).
//
// Everything that wants another size calls SetDesiredSize / Grow / Shrink (the manual
// buttons, and the auto-scaler of issue 5 through the same calls): so changes are
// serialised here and never race each other in the pool. They return at once; the
// next tick (within `tick`) acts.
//
// Launch() forks worker processes whose parent-death signal fires when the forking
// *thread* ends (pool/local): the control thread lives from Start() to the end of
// Shutdown(), which stops every worker itself before the thread ends.
//
// Thread safety: every public method may be called from any thread.
#ifndef MASKFLEET_MANAGER_POOL_CONTROLLER_H_
#define MASKFLEET_MANAGER_POOL_CONTROLLER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/lb/load_balancer.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/pool/worker_pool.h"

namespace maskfleet::manager {

// Who asked for a size: a person (the buttons, the API) or the auto-scaler. A person's
// change restarts the auto-scaler's cool-down (scaler::RememberManualChange).
enum class ChangeOrigin { kManual, kAutoScaler };

struct ControllerOptions {
  // How often the control loop runs. Default 500 ms.
  std::chrono::milliseconds tick{500};
  // How often metrics are collected. Default 10 s (MetricsSource's cadence).
  std::chrono::milliseconds collect_every{10000};
  // The longest a drained worker may keep serving requests in flight before it is
  // stopped anyway. Default 30 s (HAProxy's server timeout is 60 s; an upload takes
  // well under a second).
  std::chrono::milliseconds drain_timeout{30000};
  // After a failed Launch, the next attempt waits this long. Default 5 s.
  std::chrono::milliseconds launch_retry{5000};
  // Bounds of the desired size. Defaults 1 and 8 (the specification's).
  int min_size = 1;
  int max_size = 8;
};

// A worker as the UI shows it: the pool's view and the balancer's.
struct WorkerView {
  pool::WorkerInfo info;                     // state kDraining while drained in the balancer
  std::optional<lb::ServerStatus> balancer;  // nullopt when not in the balancer
};

struct PoolView {
  int desired_size = 0;
  int starting = 0;
  int in_service = 0;
  int draining = 0;
  std::vector<WorkerView> workers;  // as pool::WorkerPool::List orders them
  // When the view was taken (the last tick).
  Clock::TimePoint taken_at{};
};

class PoolController {
 public:
  // The references must outlive the controller.
  PoolController(pool::WorkerPool& pool, lb::LoadBalancer& balancer, metrics::MetricsSource& metrics,
                 const Clock& clock, ControllerOptions options);
  // Shuts down if still running (see Shutdown).
  ~PoolController();
  PoolController(const PoolController&) = delete;
  PoolController& operator=(const PoolController&) = delete;

  // Starts the control and metrics threads, aiming at `initial_size` workers (clamped
  // to the bounds). Workers the pool already has in service (adopted from an earlier
  // run) are added to the balancer; beyond `initial_size` they are drained.
  void Start(int initial_size);

  // Without Start(): aims at `initial_size` (clamped) for RunOnce(), which the caller
  // then calls itself. Not with Start().
  void SetInitialSize(int initial_size);

  // One tick of the control loop, on the calling thread: what the control thread does
  // every `tick`. For tests and tools that drive the controller step by step; never
  // while Start()'s threads run (the loop's state belongs to one thread at a time).
  // Launches fork processes whose parent-death signal fires when this thread ends
  // (see above). Never fails: failures are logged and retried by later ticks.
  void RunOnce();

  // One metrics pass over the last tick's view, on the calling thread: what the
  // metrics thread does every `collect_every`. Errors: the MetricsSource's Collect
  // error.
  Status CollectMetricsOnce();

  // Sets the size to aim at. Errors: kInvalidArgument outside [min_size, max_size];
  // kFailedPrecondition after Shutdown began.
  Result<int> SetDesiredSize(int size, ChangeOrigin origin = ChangeOrigin::kManual);
  // desired + 1 and desired - 1, by a person. Errors: kFailedPrecondition at the bound
  // (the message says which), or after Shutdown began.
  Result<int> Grow();
  Result<int> Shrink();

  // When a person last changed the size (nullopt: not since the start).
  std::optional<Clock::TimePoint> last_manual_change() const;

  int desired_size() const;
  int min_size() const { return options_.min_size; }
  int max_size() const { return options_.max_size; }
  // The balancer lost its servers (HAProxy was restarted): the next tick adds every
  // in-service worker again. Returns at once.
  void BalancerRestarted();

  // A snapshot of the last tick's view; never waits for the control loop.
  PoolView View() const;

  // Drains every worker in the balancer, waits for requests in flight (at most
  // drain_timeout on the clock: on a SimulatedClock, until the test advances it past
  // that while servers stay busy), stops every worker, removes them from the balancer
  // and ends both threads. Returns once that is done; without Start(), does the same
  // on the calling thread. Idempotent; later calls return the first one's result.
  // Errors: the pool's StopAll error (workers that needed force).
  Status Shutdown();

 private:
  void ControlLoop();
  void MetricsLoop();
  bool ShuttingDown() const;
  // The balancer's servers, read again when its ListInterval() has passed (or `now`).
  void ReadBalancer(bool now);
  void SyncBalancer(const std::vector<pool::WorkerInfo>& workers);
  void FinishDrains();
  void Resize(const std::vector<pool::WorkerInfo>& workers);
  void Publish();
  Status StopEverything();
  bool BeingDrained(const std::string& id) const;

  pool::WorkerPool& pool_;
  lb::LoadBalancer& balancer_;
  metrics::MetricsSource& metrics_;
  const Clock& clock_;
  const ControllerOptions options_;

  // Written by the control thread only (no lock needed there).
  std::set<std::string> in_balancer_;                    // ids added
  std::map<std::string, Clock::TimePoint> lb_draining_;  // id -> drained at
  std::vector<lb::ServerStatus> balancer_view_;
  Clock::TimePoint next_launch_at_{};
  std::optional<Clock::TimePoint> last_refresh_;
  std::optional<Clock::TimePoint> last_balancer_read_;
  // Launch keys: a random prefix per controller, a counter, and the key of a launch
  // whose outcome is unknown (kept for its retry).
  const std::string launch_key_prefix_;
  std::uint64_t launches_ = 0;
  std::optional<std::string> retry_launch_key_;

  Wakeup control_wakeup_;  // new work or Shutdown: the control loop's wait ends
  Wakeup metrics_wakeup_;  // the end: the metrics loop's wait ends

  mutable std::mutex mu_;
  std::condition_variable finished_cv_;                 // finished_ became true
  int desired_ = 1;                                     // guarded by mu_
  std::optional<Clock::TimePoint> last_manual_change_;  // guarded by mu_
  bool started_ = false;                                // guarded by mu_
  bool shutting_down_ = false;                          // guarded by mu_
  bool balancer_restarted_ = false;                     // guarded by mu_
  bool finished_ = false;                               // guarded by mu_
  bool stop_claimed_ = false;              // a caller runs the stop itself (no thread); guarded by mu_
  std::optional<Status> shutdown_result_;  // guarded by mu_
  PoolView view_;                          // guarded by mu_

  std::mutex join_mu_;  // the first Shutdown() caller joins the threads
  std::thread control_thread_;
  std::thread metrics_thread_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_POOL_CONTROLLER_H_
