// FakeWorkerPool: a WorkerPool in memory for the manager's and the auto-scaler's tests.
// No process runs; the test decides when a worker becomes healthy, dies or has
// finished draining, and can make the next calls fail.
//
// Behaviour, as the local pool's but driven by the test:
//   Launch()  -> kStarting, address 127.0.0.1, port 20000 + n (a fake, nothing listens)
//   Refresh() -> kStarting workers marked healthy (MarkHealthy, or all of them when
//                `healthy_on_refresh` is set) become kInService; workers killed with
//                Kill() become kFailed ("killed by the test"); draining workers become
//                kStopped on the Refresh after Drain().
//   Stop(), StopAll() -> kStopped at once.
//   Launch(key) with a key seen before -> that worker as it is now (the key is kept for
//                the pool's life, also after the worker ended).
//   RefreshInterval() -> the option (default 0: every call is worth making).
// Each call is counted (calls()), for tests that check what the manager did.
//
// Thread safety: every method may be called from any thread; one mutex guards all.
#ifndef MASKFLEET_POOL_FAKE_FAKE_WORKER_POOL_H_
#define MASKFLEET_POOL_FAKE_FAKE_WORKER_POOL_H_

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/pool/worker_pool.h"

namespace maskfleet::pool::fake {

struct FakePoolOptions {
  // Launch() beyond this many live workers is kResourceExhausted. Default 16.
  int max_workers = 16;
  // Whether every starting worker passes its health check on the next Refresh().
  // Default true; false leaves it to MarkHealthy().
  bool healthy_on_refresh = true;
  // Launch and state times. Must outlive the pool. Default the real clock.
  const Clock* clock = &RealClock();
  // What RefreshInterval() answers. Default 0.
  std::chrono::milliseconds refresh_interval{0};
};

class FakeWorkerPool : public WorkerPool {
 public:
  explicit FakeWorkerPool(FakePoolOptions options = {});

  std::vector<WorkerInfo> List() const override;
  Result<WorkerInfo> Launch(std::string_view idempotency_key) override;
  Status Drain(std::string_view id) override;
  Status Stop(std::string_view id) override;
  Status StopAll() override;
  Result<std::vector<WorkerChange>> Refresh() override;
  std::chrono::milliseconds RefreshInterval() const override { return options_.refresh_interval; }

  // The worker passes its health check on the next Refresh(). Errors: kNotFound.
  Status MarkHealthy(std::string_view id);
  // The worker dies: kFailed on the next Refresh(). Errors: kNotFound.
  Status Kill(std::string_view id);
  // The next call of `method` ("Launch", "Drain", "Stop", "StopAll", "Refresh") fails
  // with `error`, once.
  void FailNext(const std::string& method, Error error);
  // How many times `method` was called (failed calls included).
  int calls(const std::string& method) const;
  // Live workers (not final).
  int live() const;
  // The idempotency key of every Launch call so far, in order (failed calls included).
  std::vector<std::string> launch_keys() const;

 private:
  struct Worker {
    WorkerInfo info;
    bool healthy = false;
    bool killed = false;
  };
  // Counts the call and returns the injected failure, if any. Requires mu_.
  std::optional<Error> Enter(const std::string& method);
  Worker* Find(std::string_view id);
  void Set(Worker& w, WorkerState to, std::string reason, std::vector<WorkerChange>* changes);

  const FakePoolOptions options_;
  mutable std::mutex mu_;
  std::vector<Worker> workers_;                                      // guarded by mu_
  int next_ = 1;                                                     // guarded by mu_
  std::map<std::string, Error> failures_;                            // guarded by mu_
  std::map<std::string, int> calls_;                                 // guarded by mu_
  std::map<std::string, std::string, std::less<>> launched_by_key_;  // key -> id; guarded by mu_
  std::vector<std::string> launch_keys_;                             // guarded by mu_
};

}  // namespace maskfleet::pool::fake

#endif  // MASKFLEET_POOL_FAKE_FAKE_WORKER_POOL_H_
