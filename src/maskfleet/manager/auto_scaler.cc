#include "maskfleet/manager/auto_scaler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace maskfleet::manager {
namespace {

// The pool's states as the decision sees them.
scaler::WorkerState ScalerState(pool::WorkerState state) {
  switch (state) {
    case pool::WorkerState::kStarting: return scaler::WorkerState::kStarting;
    case pool::WorkerState::kInService: return scaler::WorkerState::kInService;
    case pool::WorkerState::kDraining: return scaler::WorkerState::kLeaving;
    case pool::WorkerState::kStopped:
    case pool::WorkerState::kFailed: return scaler::WorkerState::kGone;
  }
  return scaler::WorkerState::kGone;
}

}  // namespace

AutoScaler::AutoScaler(PoolController& controller, metrics::MetricsSource& metrics,
                       manager::PolicyStore& policies, manager::DecisionLog& decisions, const Clock& clock,
                       AutoScalerOptions options)
    : controller_(controller),
      metrics_(metrics),
      policies_(policies),
      decisions_(decisions),
      clock_(clock),
      options_(options) {}

AutoScaler::~AutoScaler() { Stop(); }

void AutoScaler::Start() {
  {
    std::lock_guard lock(run_mu_);
    last_check_ = clock_.Now();
  }
  thread_ = std::thread([this] { Loop(); });
}

void AutoScaler::Stop() {
  stopping_ = true;
  wakeup_.Notify();
  if (thread_.joinable()) thread_.join();
}

void AutoScaler::Loop() {
  while (true) {
    clock_.WaitFor(options_.poll, wakeup_);
    if (stopping_) break;
    if (Result<std::optional<scaler::Decision>> d = RunOnce(); !d) {
      spdlog::warn("auto-scaler: {}", d.error().message);
    }
  }
}

Result<std::optional<scaler::Decision>> AutoScaler::RunOnce() {
  std::lock_guard lock(run_mu_);
  Result<scaler::ScalingPolicy> policy = policies_.Load();
  if (!policy) return std::unexpected(policy.error().WithContext("cannot read the policy"));
  const Clock::TimePoint now = clock_.Now();
  if (!last_check_) {
    last_check_ = now;
    return std::nullopt;
  }
  if (now - *last_check_ < policy->check_interval) return std::nullopt;
  last_check_ = now;
  Result<scaler::Decision> d = Check(*policy);
  if (!d) return std::unexpected(d.error());
  return *d;
}

Result<scaler::Decision> AutoScaler::CheckNow() {
  Result<scaler::ScalingPolicy> policy = policies_.Load();
  if (!policy) return std::unexpected(policy.error().WithContext("reading the policy"));
  return Check(*policy);
}

Result<scaler::Decision> AutoScaler::Check(const scaler::ScalingPolicy& policy) {
  std::lock_guard lock(check_mu_);
  const Clock::TimePoint now = clock_.Now();

  if (std::optional<Clock::TimePoint> manual = controller_.last_manual_change();
      manual && manual != manual_change_seen_) {
    memory_ = scaler::RememberManualChange(memory_, *manual);
    manual_change_seen_ = manual;
  }

  scaler::PoolState pool;
  std::vector<std::string> in_service;
  for (const WorkerView& w : controller_.View().workers) {
    pool.workers.push_back({w.info.id, ScalerState(w.info.state), w.info.launched_at, w.info.state_since});
    if (w.info.state == pool::WorkerState::kInService) in_service.push_back(w.info.id);
  }

  // The window (at least one sample: Decide widens a shorter one) or the shrink
  // stabilisation span (over which Decide estimates the noise), whichever is longer,
  // plus one period, up to where the data is complete: Decide keeps what falls inside,
  // and ends its window there too.
  scaler::MetricsView view;
  view.period = options_.sample_period;
  const Clock::TimePoint complete = std::min(now, metrics_.CompleteUntil(now));
  view.complete_until = complete;
  const Clock::TimePoint begin = complete -
                                 std::max(
                                     {policy.window, options_.sample_period, policy.shrink_stabilisation}) -
                                 options_.sample_period;
  Result<std::vector<metrics::WorkerCpuPeriods>> cpu = metrics_.RecentCpu(in_service, begin, complete,
                                                                          options_.sample_period);
  if (cpu) {
    for (const metrics::WorkerCpuPeriods& w : *cpu) {
      scaler::WorkerCpu worker{w.worker_id, {}};
      for (const metrics::CpuPeriod& p : w.periods) worker.samples.push_back({p.start, p.percent});
      view.workers.push_back(std::move(worker));
    }
  } else {
    // Decide then holds for missing metrics, which is the right answer; say why too.
    spdlog::warn("auto-scaler: cannot read CPU: {}", cpu.error().message);
  }
  // The balancer's counts over the same range: how far behind a saturated pool is.
  // Without them the decision goes on with the CPU alone.
  Result<std::vector<metrics::RequestPeriod>> requests = metrics_.RecentRequests(begin, complete,
                                                                                 options_.sample_period);
  if (requests) {
    for (const metrics::RequestPeriod& p : *requests) view.requests.push_back({p.start, p.offered, p.served});
  } else {
    spdlog::warn("auto-scaler: cannot read the balancer's request counts (deciding on CPU alone): {}",
                 requests.error().message);
  }

  scaler::Decision decision = scaler::Decide(policy, pool, view, memory_, now);
  int size_after = decision.current_size;
  if (decision.action != scaler::Action::kHold) {
    Result<int> resized = controller_.SetDesiredSize(decision.target_size, ChangeOrigin::kAutoScaler);
    if (resized) {
      size_after = *resized;
      spdlog::info("auto-scaler: {}", decision.reason);
    } else {
      decision.reason += " (not done: " + resized.error().message + ")";
      spdlog::warn("auto-scaler: {}", decision.reason);
    }
  }
  memory_ = scaler::Remember(memory_, policy, decision, now);

  manager::DecisionRecord record{now,
                                 decision.average_cpu,
                                 decision.current_size,
                                 size_after,
                                 std::string(scaler::ActionName(decision.action)),
                                 decision.reason};
  if (Status s = decisions_.Append(record); !s) {
    return std::unexpected(s.error().WithContext("recording the decision"));
  }
  if (!last_retention_ || now - *last_retention_ >= std::chrono::hours(1)) {
    last_retention_ = now;
    if (auto deleted = decisions_.DeleteOlderThan(now - options_.retention); !deleted) {
      spdlog::warn("auto-scaler: cannot delete old decisions: {}", deleted.error().message);
    }
  }
  return decision;
}

}  // namespace maskfleet::manager
