// StoreHealth: a worker's liveness and readiness, as far as its stores decide them.
//
// Both are checked on a thread of their own (StartChecking), and Live() and Ready()
// answer the last result at once: a health check never waits for a database
// connection or a disk that the requests keep busy (a burst of uploads holds every
// pooled connection), so a busy worker is not taken for a dead one.
//  - Liveness: the database answers, checked every liveness_period.
//  - Readiness: the database takes a write and the object store a small object (put,
//    then deleted), probed every readiness_period. A photo stored since the last
//    probe has shown the same, so a worker that stores photos skips the probe (on S3
//    each probe is a billed PUT). A photo that could not be stored because a store
//    takes no writes (StoreFailed) makes the worker unready at once, until the next
//    probe: the balancer need not wait for it to see what an upload just saw.
//
// Thread safety: every method is safe from many threads; StartChecking and
// StopChecking from one at a time.
#ifndef MASKFLEET_WORKER_STORE_HEALTH_H_
#define MASKFLEET_WORKER_STORE_HEALTH_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "maskfleet/common/error.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::worker {

struct StoreHealthOptions {
  std::chrono::milliseconds liveness_period{1000};
  std::chrono::milliseconds readiness_period{5000};
  // The object the readiness probe writes and deletes; one per process.
  std::string probe_key = "readiness/probe";
};

class StoreHealth {
 public:
  // Both stores must outlive this object.
  StoreHealth(storage::Database& database, objectstore::ObjectStore& objects, StoreHealthOptions options);
  ~StoreHealth();
  StoreHealth(const StoreHealth&) = delete;
  StoreHealth& operator=(const StoreHealth&) = delete;

  // Checks both once now, then on a thread until StopChecking.
  void StartChecking();
  // Stops the thread; idempotent.
  void StopChecking();

  // The last liveness result: ok, or the database's error.
  Status Live();
  // The last readiness result: ok, or kUnavailable (or the store's code) saying which
  // store takes no writes.
  Status Ready();

  // A photo could not be stored because a store takes no writes: unready at once.
  void StoreFailed(const Error& error);
  // A photo was stored (both stores took its writes): while ready, the next probe is
  // not needed.
  void StoreSucceeded();

 private:
  void Run();
  void CheckLiveness();
  void CheckReadiness();
  Status Probe();

  storage::Database& database_;
  objectstore::ObjectStore& objects_;
  const StoreHealthOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;            // guarded by mu_
  bool stored_since_probe_ = false;  // guarded by mu_
  Status live_;                      // guarded by mu_
  Status ready_;                     // guarded by mu_
};

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_STORE_HEALTH_H_
