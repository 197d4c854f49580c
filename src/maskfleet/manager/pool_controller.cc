#include "maskfleet/manager/pool_controller.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include <spdlog/spdlog.h>

namespace maskfleet::manager {
namespace {

using pool::WorkerInfo;
using pool::WorkerState;

bool IsLive(WorkerState state) { return state == WorkerState::kStarting || state == WorkerState::kInService; }

// "mf-" and 16 random hex digits: launch keys of two controllers (two runs of the
// manager) never meet, as a cloud keeps a key for days.
std::string RandomKeyPrefix() {
  std::random_device random;
  const std::uint64_t bits = (static_cast<std::uint64_t>(random()) << 32) ^ random();
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "mf-%016llx", static_cast<unsigned long long>(bits));
  return buffer;
}

}  // namespace

PoolController::PoolController(pool::WorkerPool& pool, lb::LoadBalancer& balancer,
                               metrics::MetricsSource& metrics, const Clock& clock, ControllerOptions options)
    : pool_(pool),
      balancer_(balancer),
      metrics_(metrics),
      clock_(clock),
      options_(options),
      launch_key_prefix_(RandomKeyPrefix()) {}

PoolController::~PoolController() { Shutdown(); }

void PoolController::Start(int initial_size) {
  {
    std::lock_guard lock(mu_);
    desired_ = std::clamp(initial_size, options_.min_size, options_.max_size);
    started_ = true;
  }
  control_thread_ = std::thread([this] { ControlLoop(); });
  metrics_thread_ = std::thread([this] { MetricsLoop(); });
}

void PoolController::SetInitialSize(int initial_size) {
  std::lock_guard lock(mu_);
  desired_ = std::clamp(initial_size, options_.min_size, options_.max_size);
  view_.desired_size = desired_;
}

bool PoolController::ShuttingDown() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

Result<int> PoolController::SetDesiredSize(int size, ChangeOrigin origin) {
  if (size < options_.min_size || size > options_.max_size) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the pool's size must be from " + std::to_string(options_.min_size) + " to " +
                         std::to_string(options_.max_size) + " workers; got " + std::to_string(size));
  }
  std::lock_guard lock(mu_);
  if (shutting_down_) return MakeError(ErrorCode::kFailedPrecondition, "the manager is stopping");
  desired_ = size;
  view_.desired_size = size;
  if (origin == ChangeOrigin::kManual) last_manual_change_ = clock_.Now();
  control_wakeup_.Notify();
  return size;
}

Result<int> PoolController::Grow() {
  int target = 0;
  {
    std::lock_guard lock(mu_);
    if (desired_ >= options_.max_size) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the pool is at its maximum of " + std::to_string(options_.max_size) + " workers");
    }
    target = desired_ + 1;
  }
  return SetDesiredSize(target);
}

Result<int> PoolController::Shrink() {
  int target = 0;
  {
    std::lock_guard lock(mu_);
    if (desired_ <= options_.min_size) {
      return MakeError(ErrorCode::kFailedPrecondition, "the pool is at its minimum of " +
                                                           std::to_string(options_.min_size) +
                                                           (options_.min_size == 1 ? " worker" : " workers"));
    }
    target = desired_ - 1;
  }
  return SetDesiredSize(target);
}

std::optional<Clock::TimePoint> PoolController::last_manual_change() const {
  std::lock_guard lock(mu_);
  return last_manual_change_;
}

int PoolController::desired_size() const {
  std::lock_guard lock(mu_);
  return desired_;
}

PoolView PoolController::View() const {
  std::lock_guard lock(mu_);
  return view_;
}

Status PoolController::Shutdown() {
  std::unique_lock lock(mu_);
  if (!shutting_down_) {
    shutting_down_ = true;
    control_wakeup_.Notify();
  }
  if (!started_) {
    // No loop thread: stop what the pool holds (and what RunOnce() put in the
    // balancer) from here.
    if (!stop_claimed_) {
      stop_claimed_ = true;  // one caller stops; the others wait for its result
      lock.unlock();
      Status result = StopEverything();
      lock.lock();
      shutdown_result_ = result;
      finished_ = true;
      finished_cv_.notify_all();
    }
    finished_cv_.wait(lock, [this] { return finished_; });
    return *shutdown_result_;
  }
  finished_cv_.wait(lock, [this] { return finished_; });
  Status result = *shutdown_result_;
  lock.unlock();
  // Both threads end on their own once finished_ is set; join whichever caller gets
  // here first (the others find them joined).
  std::lock_guard join_lock(join_mu_);
  if (control_thread_.joinable()) control_thread_.join();
  if (metrics_thread_.joinable()) metrics_thread_.join();
  return result;
}

void PoolController::ControlLoop() {
  while (!ShuttingDown()) {
    RunOnce();
    clock_.WaitFor(options_.tick, control_wakeup_);
  }
  Status result = StopEverything();
  {
    std::lock_guard lock(mu_);
    shutdown_result_ = result;
    finished_ = true;
    finished_cv_.notify_all();
  }
  metrics_wakeup_.Notify();
}

void PoolController::MetricsLoop() {
  auto finished = [this] {
    std::lock_guard lock(mu_);
    return finished_;
  };
  while (!finished()) {
    clock_.WaitFor(options_.collect_every, metrics_wakeup_);
    if (finished()) break;
    if (Status s = CollectMetricsOnce(); !s) {
      spdlog::warn("metrics collection failed: {}", s.error().message);
    }
  }
}

Status PoolController::CollectMetricsOnce() {
  std::vector<metrics::CollectTarget> targets;
  {
    std::lock_guard lock(mu_);
    for (const WorkerView& w : view_.workers) {
      metrics::WorkerPhase phase;
      switch (w.info.state) {
        case WorkerState::kStarting: phase = metrics::WorkerPhase::kStarting; break;
        case WorkerState::kInService: phase = metrics::WorkerPhase::kInService; break;
        case WorkerState::kDraining: phase = metrics::WorkerPhase::kDraining; break;
        default: continue;
      }
      targets.push_back({w.info.id, w.info.address, w.info.port, phase});
    }
  }
  return metrics_.Collect(clock_.Now(), targets);
}

void PoolController::BalancerRestarted() {
  std::lock_guard lock(mu_);
  balancer_restarted_ = true;
  control_wakeup_.Notify();
}

void PoolController::RunOnce() {
  {
    std::lock_guard lock(mu_);
    if (balancer_restarted_) {
      balancer_restarted_ = false;
      // Drains in progress went with the old HAProxy; FinishDrains() ends them, as
      // their workers are not among the new one's servers.
      in_balancer_.clear();
      last_balancer_read_.reset();
    }
  }
  const Clock::TimePoint now = clock_.Now();
  // Refresh at the pool's pace (a remote Describe call is not made every tick); in
  // between, List() has what the last Refresh learnt. A clock set back refreshes.
  const bool refresh_due = !last_refresh_ || now < *last_refresh_ ||
                           now - *last_refresh_ >= pool_.RefreshInterval();
  if (refresh_due) {
    last_refresh_ = now;
    Result<std::vector<pool::WorkerChange>> changes = pool_.Refresh();
    if (!changes) {
      spdlog::warn("pool refresh failed: {}", changes.error().message);
    } else {
      for (const pool::WorkerChange& c : *changes) {
        if (c.to == WorkerState::kFailed) {
          spdlog::warn("worker {} failed ({}); it leaves the balancer and is replaced", c.id, c.reason);
        } else {
          spdlog::info("worker {}: {} -> {}", c.id, pool::WorkerStateName(c.from),
                       pool::WorkerStateName(c.to));
        }
      }
    }
  }
  const std::vector<WorkerInfo> workers = pool_.List();
  SyncBalancer(workers);
  FinishDrains();
  Resize(pool_.List());
  Publish();
}

bool PoolController::BeingDrained(const std::string& id) const { return lb_draining_.contains(id); }

void PoolController::SyncBalancer(const std::vector<WorkerInfo>& workers) {
  std::map<std::string, const WorkerInfo*> by_id;
  for (const WorkerInfo& w : workers) by_id[w.id] = &w;

  // Out: whatever has ended or is gone from the pool (a crash: at once, not after
  // HAProxy's failed checks).
  for (auto it = in_balancer_.begin(); it != in_balancer_.end();) {
    auto w = by_id.find(*it);
    const bool ended = w == by_id.end() || pool::IsFinal(w->second->state);
    if (!ended) {
      ++it;
      continue;
    }
    Status removed = balancer_.RemoveServer(*it);
    if (!removed && removed.error().code != ErrorCode::kNotFound) {
      spdlog::warn("cannot take worker {} out of the balancer (will retry): {}", *it,
                   removed.error().message);
      ++it;
      continue;
    }
    lb_draining_.erase(*it);
    it = in_balancer_.erase(it);
  }

  // In: every in-service worker not being taken out.
  for (const WorkerInfo& w : workers) {
    if (w.state != WorkerState::kInService || in_balancer_.contains(w.id) || BeingDrained(w.id)) {
      continue;
    }
    Status added = balancer_.AddServer({w.id, w.address, w.port});
    if (!added && added.error().code != ErrorCode::kAlreadyExists) {
      spdlog::warn("cannot add worker {} to the balancer (will retry): {}", w.id, added.error().message);
      continue;
    }
    spdlog::info("worker {} added to the balancer at {}:{}", w.id, w.address, w.port);
    in_balancer_.insert(w.id);
  }

  ReadBalancer(/*now=*/false);
}

void PoolController::ReadBalancer(bool now) {
  const Clock::TimePoint at = clock_.Now();
  if (!now && last_balancer_read_ && at >= *last_balancer_read_ &&
      at - *last_balancer_read_ < balancer_.ListInterval()) {
    return;  // the last answer is recent enough for this balancer
  }
  last_balancer_read_ = at;
  Result<std::vector<lb::ServerStatus>> servers = balancer_.ListServers();
  if (servers) {
    balancer_view_ = std::move(*servers);
  } else {
    spdlog::warn("cannot read the balancer's servers: {}", servers.error().message);
  }
}

void PoolController::FinishDrains() {
  const Clock::TimePoint now = clock_.Now();
  for (auto it = lb_draining_.begin(); it != lb_draining_.end();) {
    const std::string& id = it->first;
    int active = -1;
    bool listed = false;
    for (const lb::ServerStatus& s : balancer_view_) {
      if (s.id == id) {
        active = s.active_connections;
        listed = true;
      }
    }
    // Not listed: no longer in the balancer at all (HAProxy was restarted), so nothing
    // can be in flight through it.
    const bool idle = !listed || active == 0;
    const bool timed_out = now - it->second >= options_.drain_timeout;
    if (!idle && !timed_out) {
      ++it;
      continue;
    }
    if (timed_out && !idle) {
      spdlog::warn("worker {} still had {} requests in flight after the drain timeout; stopping it", id,
                   active);
    }
    if (Status removed = balancer_.RemoveServer(id);
        !removed && removed.error().code != ErrorCode::kNotFound) {
      spdlog::warn("cannot take worker {} out of the balancer (will retry): {}", id, removed.error().message);
      ++it;
      continue;
    }
    in_balancer_.erase(id);
    if (Status drained = pool_.Drain(id);
        !drained && drained.error().code != ErrorCode::kFailedPrecondition) {
      spdlog::warn("cannot drain worker {}: {}", id, drained.error().message);
    }
    it = lb_draining_.erase(it);
  }
}

void PoolController::Resize(const std::vector<WorkerInfo>& workers) {
  const int desired = desired_size();
  std::vector<const WorkerInfo*> starting;
  std::vector<const WorkerInfo*> serving;
  for (const WorkerInfo& w : workers) {
    if (!IsLive(w.state) || BeingDrained(w.id)) continue;
    (w.state == WorkerState::kStarting ? starting : serving).push_back(&w);
  }
  int live = static_cast<int>(starting.size() + serving.size());

  if (live < desired && clock_.Now() >= next_launch_at_) {
    for (; live < desired; ++live) {
      const std::string key = retry_launch_key_.value_or(launch_key_prefix_ + "-" +
                                                         std::to_string(++launches_));
      Result<WorkerInfo> launched = pool_.Launch(key);
      if (!launched) {
        spdlog::error("cannot launch a worker (retrying in {} s): {}",
                      std::chrono::duration_cast<std::chrono::seconds>(options_.launch_retry).count(),
                      launched.error().message);
        // kUnavailable: the pool may have started it all the same; the retry asks
        // with the same key and gets that worker rather than a second one.
        if (launched.error().code == ErrorCode::kUnavailable) {
          retry_launch_key_ = key;
        } else {
          retry_launch_key_.reset();
        }
        next_launch_at_ = clock_.Now() + options_.launch_retry;
        break;
      }
      retry_launch_key_.reset();
      spdlog::info("worker {} launched", launched->id);
    }
    return;
  }

  // Newest first: a starting worker serves nothing yet; an in-service one is drained.
  // List() orders by launch, so the newest are at the back.
  while (live > desired && !starting.empty()) {
    const std::string id = starting.back()->id;
    starting.pop_back();
    --live;
    spdlog::info("stopping worker {}, still starting, to shrink the pool", id);
    if (Status s = pool_.Stop(id); !s) spdlog::warn("stopping worker {}: {}", id, s.error().message);
  }
  while (live > desired && !serving.empty()) {
    const std::string id = serving.back()->id;
    serving.pop_back();
    --live;
    if (in_balancer_.contains(id)) {
      if (Status s = balancer_.DrainServer(id); !s && s.error().code != ErrorCode::kNotFound) {
        spdlog::warn("cannot drain worker {} in the balancer (will retry): {}", id, s.error().message);
        continue;
      }
    }
    spdlog::info("draining worker {} to shrink the pool", id);
    lb_draining_[id] = clock_.Now();
  }
}

void PoolController::Publish() {
  PoolView view;
  view.taken_at = clock_.Now();
  for (WorkerInfo& info : pool_.List()) {
    WorkerView w;
    if (BeingDrained(info.id) && info.state == WorkerState::kInService) info.state = WorkerState::kDraining;
    switch (info.state) {
      case WorkerState::kStarting: ++view.starting; break;
      case WorkerState::kInService: ++view.in_service; break;
      case WorkerState::kDraining: ++view.draining; break;
      default: break;
    }
    for (const lb::ServerStatus& s : balancer_view_) {
      if (s.id == info.id) w.balancer = s;
    }
    w.info = std::move(info);
    view.workers.push_back(std::move(w));
  }
  std::lock_guard lock(mu_);
  view.desired_size = desired_;
  view_ = std::move(view);
}

Status PoolController::StopEverything() {
  spdlog::info("stopping the pool: draining every worker in the balancer");
  for (const std::string& id : in_balancer_) {
    if (!lb_draining_.contains(id)) {
      if (Status s = balancer_.DrainServer(id); !s) spdlog::warn("draining {}: {}", id, s.error().message);
      lb_draining_[id] = clock_.Now();
    }
  }
  // Looks every 100 ms, or at the balancer's own pace when that is slower.
  const Clock::Duration look_every = std::max<Clock::Duration>(std::chrono::milliseconds(100),
                                                               balancer_.ListInterval());
  const Clock::TimePoint deadline = clock_.Now() + options_.drain_timeout;
  Wakeup never;  // nothing cuts this wait short: it is bounded by drain_timeout
  while (!in_balancer_.empty() && clock_.Now() < deadline) {
    Result<std::vector<lb::ServerStatus>> servers = balancer_.ListServers();
    if (!servers) break;
    bool busy = false;
    // A balancer that cannot count them (-1: an ALB) is waited for until the timeout.
    for (const lb::ServerStatus& s : *servers) busy = busy || s.active_connections != 0;
    if (!busy) break;
    clock_.WaitUntil(std::min(deadline, clock_.Now() + look_every), never);
  }
  Status stopped = pool_.StopAll();
  for (const std::string& id : in_balancer_) {
    if (Status s = balancer_.RemoveServer(id); !s) spdlog::warn("removing {}: {}", id, s.error().message);
  }
  in_balancer_.clear();
  lb_draining_.clear();
  Publish();
  spdlog::info("every worker has stopped");
  return stopped;
}

}  // namespace maskfleet::manager
