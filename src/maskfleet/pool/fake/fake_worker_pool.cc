#include "maskfleet/pool/fake/fake_worker_pool.h"

#include <algorithm>

namespace maskfleet::pool::fake {

FakeWorkerPool::FakeWorkerPool(FakePoolOptions options) : options_(options) {}

std::optional<Error> FakeWorkerPool::Enter(const std::string& method) {
  ++calls_[method];
  auto it = failures_.find(method);
  if (it == failures_.end()) return std::nullopt;
  Error e = it->second;
  failures_.erase(it);
  return e;
}

FakeWorkerPool::Worker* FakeWorkerPool::Find(std::string_view id) {
  for (Worker& w : workers_) {
    if (w.info.id == id) return &w;
  }
  return nullptr;
}

void FakeWorkerPool::Set(Worker& w, WorkerState to, std::string reason, std::vector<WorkerChange>* changes) {
  if (w.info.state == to) return;
  if (changes != nullptr) changes->push_back({w.info.id, w.info.state, to, reason});
  w.info.state = to;
  w.info.state_since = options_.clock->Now();
  w.info.reason = std::move(reason);
}

std::vector<WorkerInfo> FakeWorkerPool::List() const {
  std::lock_guard lock(mu_);
  std::vector<WorkerInfo> out;
  for (const Worker& w : workers_) out.push_back(w.info);
  return out;
}

int FakeWorkerPool::live() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count_if(workers_.begin(), workers_.end(),
                                        [](const Worker& w) { return !IsFinal(w.info.state); }));
}

Result<WorkerInfo> FakeWorkerPool::Launch(std::string_view idempotency_key) {
  std::lock_guard lock(mu_);
  launch_keys_.emplace_back(idempotency_key);
  if (std::optional<Error> e = Enter("Launch")) return std::unexpected(*e);
  if (Status st = ValidateIdempotencyKey(idempotency_key); !st) return std::unexpected(st.error());
  if (auto seen = launched_by_key_.find(idempotency_key); seen != launched_by_key_.end()) {
    if (Worker* w = Find(seen->second)) return w->info;
  }
  const auto live = std::count_if(workers_.begin(), workers_.end(),
                                  [](const Worker& w) { return !IsFinal(w.info.state); });
  if (live >= options_.max_workers) {
    return MakeError(ErrorCode::kResourceExhausted, "the fake pool is full");
  }
  Worker w;
  const int n = next_++;
  w.info.id = "w" + std::to_string(n);
  w.info.address = "127.0.0.1";
  w.info.port = static_cast<std::uint16_t>(20000 + n);
  w.info.launched_at = w.info.state_since = options_.clock->Now();
  w.info.details = {{"cpu_allotment", "0.25"}, {"cpu_limit", "fake"}};
  workers_.push_back(w);
  launched_by_key_[std::string(idempotency_key)] = w.info.id;
  return w.info;
}

Status FakeWorkerPool::Drain(std::string_view id) {
  std::lock_guard lock(mu_);
  if (std::optional<Error> e = Enter("Drain")) return std::unexpected(*e);
  Worker* w = Find(id);
  if (w == nullptr) return MakeError(ErrorCode::kNotFound, "no worker " + std::string(id));
  if (IsFinal(w->info.state)) return MakeError(ErrorCode::kFailedPrecondition, "worker has ended");
  Set(*w, WorkerState::kDraining, "", nullptr);
  return {};
}

Status FakeWorkerPool::Stop(std::string_view id) {
  std::lock_guard lock(mu_);
  if (std::optional<Error> e = Enter("Stop")) return std::unexpected(*e);
  Worker* w = Find(id);
  if (w == nullptr) return MakeError(ErrorCode::kNotFound, "no worker " + std::string(id));
  if (w->info.state == WorkerState::kFailed)
    return MakeError(ErrorCode::kFailedPrecondition, "worker has failed");
  Set(*w, WorkerState::kStopped, "stopped", nullptr);
  return {};
}

Status FakeWorkerPool::StopAll() {
  std::lock_guard lock(mu_);
  if (std::optional<Error> e = Enter("StopAll")) return std::unexpected(*e);
  for (Worker& w : workers_) {
    if (!IsFinal(w.info.state)) Set(w, WorkerState::kStopped, "stopped", nullptr);
  }
  return {};
}

Result<std::vector<WorkerChange>> FakeWorkerPool::Refresh() {
  std::lock_guard lock(mu_);
  if (std::optional<Error> e = Enter("Refresh")) return std::unexpected(*e);
  std::vector<WorkerChange> changes;
  for (Worker& w : workers_) {
    if (IsFinal(w.info.state)) continue;
    if (w.killed) {
      Set(w, WorkerState::kFailed, "killed by the test", &changes);
    } else if (w.info.state == WorkerState::kStarting && (w.healthy || options_.healthy_on_refresh)) {
      Set(w, WorkerState::kInService, "", &changes);
    } else if (w.info.state == WorkerState::kDraining) {
      Set(w, WorkerState::kStopped, "stopped: exited with status 0", &changes);
    }
  }
  return changes;
}

Status FakeWorkerPool::MarkHealthy(std::string_view id) {
  std::lock_guard lock(mu_);
  Worker* w = Find(id);
  if (w == nullptr) return MakeError(ErrorCode::kNotFound, "no worker " + std::string(id));
  w->healthy = true;
  return {};
}

Status FakeWorkerPool::Kill(std::string_view id) {
  std::lock_guard lock(mu_);
  Worker* w = Find(id);
  if (w == nullptr) return MakeError(ErrorCode::kNotFound, "no worker " + std::string(id));
  w->killed = true;
  return {};
}

void FakeWorkerPool::FailNext(const std::string& method, Error error) {
  std::lock_guard lock(mu_);
  failures_[method] = std::move(error);
}

std::vector<std::string> FakeWorkerPool::launch_keys() const {
  std::lock_guard lock(mu_);
  return launch_keys_;
}

int FakeWorkerPool::calls(const std::string& method) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace maskfleet::pool::fake
