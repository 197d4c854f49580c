// AutoScaler: the auto-scaling loop of the manager (docs/manager.md, issue 5). At every
// check it reads the policy from the database (a changed policy applies at the next
// check, no restart), takes the pool as the controller last saw it and the workers'
// recent CPU and the balancer's request counts over the same range from the
// MetricsSource (a source without counts, or a failed read of them, leaves the decision
// to the CPU alone), asks the pure scaler::Decide what to do, hands a
// resize to the PoolController (the one place that changes the pool, shared with the
// manual buttons), and records the decision, holds included, in the decision log.
//
// A person's grow or shrink (PoolController::last_manual_change) restarts the
// cool-down: it is folded into the scaler's memory before the next decision.
//
// The averaging window ends where the metrics are complete
// (MetricsSource::CompleteUntil), not at the check's time: a source that lags (a
// cloud's metrics arrive minutes late) is judged on the minutes it has, rather than
// held for missing data for ever.
//
// The loop waits on the clock (Clock::WaitFor): tests drive it step by step with
// RunOnce() on a SimulatedClock, or run Start() and advance the clock.
//
// Thread safety: Start/Stop from one thread; CheckNow and RunOnce from any (checks are
// serialised).
#ifndef MASKFLEET_MANAGER_AUTO_SCALER_H_
#define MASKFLEET_MANAGER_AUTO_SCALER_H_

#include <chrono>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/manager/pool_controller.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/scaler/decision.h"
#include "maskfleet/manager/decision_log.h"
#include "maskfleet/manager/policy_store.h"

namespace maskfleet::manager {

struct AutoScalerOptions {
  // The length of one CPU sample the decision averages: 60 s (the metrics' minutes,
  // and CloudWatch's finest period); shorter in tests with short windows, where the
  // local metrics source can give it.
  std::chrono::seconds sample_period{60};
  // How often the loop looks whether a check is due (it re-reads the policy each
  // time, so a shorter check interval applies at once). Default 1 s.
  std::chrono::milliseconds poll{1000};
  // Decisions older than this are deleted from the log. Default 7 days.
  std::chrono::hours retention{24 * 7};
};

class AutoScaler {
 public:
  // The references must outlive the auto-scaler.
  AutoScaler(PoolController& controller, metrics::MetricsSource& metrics, manager::PolicyStore& policies,
             manager::DecisionLog& decisions, const Clock& clock, AutoScalerOptions options);
  ~AutoScaler();
  AutoScaler(const AutoScaler&) = delete;
  AutoScaler& operator=(const AutoScaler&) = delete;

  // Starts the loop: the first check comes one check interval after the start.
  void Start();

  // One pass of the loop, on the calling thread: reads the policy and, when a check
  // interval has passed since the last check (the first call, or Start(), only marks
  // the time), checks. Returns the decision, or std::nullopt when no check was due.
  // Errors: the policy cannot be read, or as CheckNow.
  Result<std::optional<scaler::Decision>> RunOnce();
  // Ends the loop (a check in progress finishes first). Idempotent.
  void Stop();

  // One check now, recorded and acted on as the loop does it. Returns the decision.
  // Errors: the policy cannot be read (nothing decided), or the log cannot be written
  // (the decision was still acted on).
  Result<scaler::Decision> CheckNow();

 private:
  // RunOnce every `poll` until Stop().
  void Loop();
  // One check under `policy`, as CheckNow describes.
  Result<scaler::Decision> Check(const scaler::ScalingPolicy& policy);

  PoolController& controller_;
  metrics::MetricsSource& metrics_;
  manager::PolicyStore& policies_;
  manager::DecisionLog& decisions_;
  const Clock& clock_;
  const AutoScalerOptions options_;

  std::mutex check_mu_;  // one check at a time; guards the two fields below
  scaler::ScalerMemory memory_;
  std::optional<Clock::TimePoint> manual_change_seen_;
  std::optional<Clock::TimePoint> last_retention_;

  std::mutex run_mu_;  // one RunOnce at a time; guards last_check_
  std::optional<Clock::TimePoint> last_check_;

  Wakeup wakeup_;  // Stop: the loop's wait ends
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_AUTO_SCALER_H_
