#include "maskfleet/manager/auto_scaler.h"

#include <spdlog/spdlog.h>

namespace maskfleet::manager {

AutoScaler::AutoScaler(PoolController& controller, metrics::MetricsSource& metrics,
                       storage::PolicyStore& policies, storage::DecisionLog& decisions,
                       const Clock& clock, AutoScalerOptions options)
    : controller_(controller),
      metrics_(metrics),
      policies_(policies),
      decisions_(decisions),
      clock_(clock),
      options_(options) {}

AutoScaler::~AutoScaler() { Stop(); }

void AutoScaler::Start() {
  const Clock::TimePoint started = clock_.Now();
  thread_ = std::thread([this, started] { Loop(started); });
}

void AutoScaler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AutoScaler::Loop(Clock::TimePoint last_check) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, options_.poll, [this] { return stopping_; })) {
    lock.unlock();
    Result<scaler::ScalingPolicy> policy = policies_.Load();
    if (!policy) {
      spdlog::warn("auto-scaler: cannot read the policy: {}", policy.error().message);
    } else if (clock_.Now() - last_check >= policy->check_interval) {
      last_check = clock_.Now();
      if (Result<scaler::Decision> d = Check(*policy); !d) {
        spdlog::warn("auto-scaler: {}", d.error().message);
      }
    }
    lock.lock();
  }
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
    pool.workers.push_back({w.info.id, w.info.state, w.info.launched_at, w.info.state_since});
    if (w.info.state == pool::WorkerState::kInService) in_service.push_back(w.info.id);
  }

  // The window plus one period: Decide keeps what falls inside its window.
  scaler::MetricsView view;
  view.period = options_.sample_period;
  Result<std::vector<metrics::WorkerCpuPeriods>> cpu =
      metrics_.RecentCpu(in_service, now - policy.window - options_.sample_period, now,
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

  storage::DecisionRecord record{now, decision.average_cpu, decision.current_size, size_after,
                                 std::string(scaler::ActionName(decision.action)), decision.reason};
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
