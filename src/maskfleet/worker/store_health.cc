#include "maskfleet/worker/store_health.h"

#include <cstdint>
#include <utility>

#include <spdlog/spdlog.h>

namespace maskfleet::worker {

StoreHealth::StoreHealth(storage::Database& database, objectstore::ObjectStore& objects,
                         StoreHealthOptions options)
    : database_(database), objects_(objects), options_(std::move(options)) {}

StoreHealth::~StoreHealth() { StopChecking(); }

void StoreHealth::StartChecking() {
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  CheckLiveness();
  CheckReadiness();
  thread_ = std::thread([this] { Run(); });
}

void StoreHealth::StopChecking() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status StoreHealth::Live() {
  std::lock_guard lock(mu_);
  return live_;
}

Status StoreHealth::Ready() {
  std::lock_guard lock(mu_);
  return ready_;
}

void StoreHealth::StoreFailed(const Error& error) {
  std::lock_guard lock(mu_);
  stored_since_probe_ = false;
  if (!ready_) return;
  spdlog::warn("not ready: a photo could not be stored: {}", error.ToString());
  ready_ = MakeError(error.code, "a photo could not be stored just now");
}

void StoreHealth::StoreSucceeded() {
  std::lock_guard lock(mu_);
  stored_since_probe_ = true;
}

void StoreHealth::Run() {
  auto next_readiness = std::chrono::steady_clock::now() + options_.readiness_period;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, options_.liveness_period, [this] { return stopping_; })) {
    lock.unlock();
    CheckLiveness();
    if (std::chrono::steady_clock::now() >= next_readiness) {
      CheckReadiness();
      next_readiness = std::chrono::steady_clock::now() + options_.readiness_period;
    }
    lock.lock();
  }
}

void StoreHealth::CheckLiveness() {
  Status live = database_.Run("health check", [](soci::session&) -> Status { return {}; });
  std::lock_guard lock(mu_);
  if (!live && live_) spdlog::warn("not live: {}", live.error().ToString());
  live_ = std::move(live);
}

void StoreHealth::CheckReadiness() {
  {
    std::lock_guard lock(mu_);
    // A stored photo proved both stores take writes; an unready worker still probes,
    // which is how it becomes ready again.
    const bool proven = stored_since_probe_ && ready_;
    stored_since_probe_ = false;
    if (proven) return;
  }
  Status ready = Probe();
  std::lock_guard lock(mu_);
  if (!ready && ready_) spdlog::warn("not ready: {}", ready.error().ToString());
  if (ready && !ready_) spdlog::info("ready again: the stores take writes");
  ready_ = std::move(ready);
}

Status StoreHealth::Probe() {
  if (Status db = database_.CheckWritable(); !db) {
    return MakeError(db.error().code, "the database takes no writes now");
  }
  static constexpr std::uint8_t kProbe[] = {'o', 'k'};
  if (Status put = objects_.Put(options_.probe_key, kProbe, "text/plain"); !put) {
    return MakeError(put.error().code, "the object store takes no writes now");
  }
  (void)objects_.Delete(options_.probe_key);
  return {};
}

}  // namespace maskfleet::worker
