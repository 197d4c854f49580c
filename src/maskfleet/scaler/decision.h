// The auto-scaler's decision: what to do with the worker pool at one check, as a
// pure function of the policy, the pool, the CPU samples, what earlier decisions
// left behind (ScalerMemory) and the time. No clock, no I/O, no state: the
// manager's loop and the simulator feed it and act on the answer, and the tests
// call it with hand-made inputs. Remember() (also pure) folds a decision into the
// memory for the next check.
//
// The rules, in the order Decide() applies them (the first that holds decides):
//  1. Paused policy: hold "paused".
//  2. Cool-down: hold "waiting for new workers' metrics" while any worker is starting,
//     or while the window still holds time from before the pool last settled: the
//     last resize (auto-scaler's or manual) or the latest moment a worker came into
//     service, whichever is later. This holds in BOTH directions, not only the
//     resize's: samples from before a resize describe a pool of another size, so no
//     average taken over them can say what the new pool needs. A fresh manager with
//     workers long in service, or with none, has nothing to wait for.
//  3. Bounds: a pool (starting + in service) below min_workers grows to it, one above
//     max_workers shrinks to it, whatever the metrics say (a pool of 0 has none).
//     After the cool-down, so that a manual change past a bound is not undone at the
//     very next check.
//  4. Metrics: an in-service worker with no sample in the window, or whose newest
//     sample ended more than max(2 check intervals, 2 sample periods) ago, makes the
//     check hold, naming the worker. Missing data never causes an action.
//  5. The average: each in-service worker's mean over its samples in the window, then
//     the mean of those (every worker weighs the same, as metrics::PoolCpu does).
//     Starting workers count in the pool's size (capacity) but have no CPU averaged
//     (rule 2 means there are none at this point anyway).
//  6. Above grow_threshold: grow to ceil(N x expand_ratio), at least N + 1, at most
//     max_workers; growing acts at once. At max_workers: hold, saying so.
//  7. Below shrink_threshold: the candidate is ceil(N x shrink_ratio), at most N - 1,
//     at least min_workers (at min_workers: hold). Rounding up in both directions
//     errs toward capacity (3 x 0.5 = 1.5 -> 2; 3 x 1.5 = 4.5 -> 5; 1 x 1.2 -> 2).
//     Projection: the CPU the remaining workers would carry, average x N / N', must
//     stay below grow_threshold; when the candidate's would not, the pool shrinks
//     less, to the smallest N' whose projection stays below it, or holds when even
//     N - 1 would reach it. (With the default 30/70 thresholds and ratio 0.5 this
//     never bites: ceil(N/2) >= N/2 keeps the projection under 60%. It matters for a
//     higher shrink threshold or a smaller ratio.)
//     Stabilisation: the shrink then waits until this check and the checks before it
//     have recommended a size for a whole shrink_stabilisation span without a break,
//     and goes to the LARGEST size recommended in that span (a hold recommends the
//     current size, so one busy minute in the span cancels the shrink).
//  8. Otherwise hold "within thresholds".
// Every check that got as far as an average (rules 5-8) yields a recommendation
// (Decision::recommended_size), which Remember() keeps for rule 7.
//
// Thread safety: plain values and pure functions.
#ifndef MASKFLEET_SCALER_DECISION_H_
#define MASKFLEET_SCALER_DECISION_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/scaler/policy.h"

namespace maskfleet::scaler {

// A worker's state as the decision sees it; the manager maps the pool's states onto
// these (and the simulator its own), so the scaler knows no pool.
enum class WorkerState {
  // Launched, not serving yet: counts toward the pool's size, has no CPU figure.
  kStarting,
  // Serving: counts, and its CPU is averaged.
  kInService,
  // Being drained: no longer counts.
  kLeaving,
  // Stopped or failed.
  kGone,
};

// One worker as the decision needs it.
struct WorkerStatus {
  std::string id;
  WorkerState state = WorkerState::kStarting;
  Clock::TimePoint launched_at;
  // When it entered `state`: for a kInService worker, when it came into service.
  Clock::TimePoint state_since;
};

// The pool at the check. Workers in any state may be listed; only kStarting and
// kInService ones count toward the pool's size (draining and ended ones are leaving).
struct PoolState {
  std::vector<WorkerStatus> workers;

  // Starting + in-service workers.
  int Size() const;
};

// One measured period of one worker: CPU as % of its allotment over
// [start, start + MetricsView::period). A period that was not measured is simply not
// listed ("no data", never the same as a sample of 0).
struct CpuSample {
  Clock::TimePoint start;
  double percent = 0;
};

struct WorkerCpu {
  std::string worker_id;
  // In any order; samples outside the decision's window are ignored.
  std::vector<CpuSample> samples;
};

// What the load balancer saw in one measured period: the requests it received and
// those a worker answered (not refused with 503 nor failed), per second on average
// over [start, start + MetricsView::period).
struct RequestSample {
  Clock::TimePoint start;
  double offered = 0;
  double served = 0;
};

// The CPU samples of the recent past, filled by the manager from the MetricsSource
// (Samples() over at least the policy's window; slots that are nullopt left out).
// Workers missing from `workers` have no data.
struct MetricsView {
  // The length of one sample: 1 minute from the MetricsSource. Periods are aligned
  // to multiples of it since the epoch, as metrics::MinuteOf aligns minutes.
  std::chrono::seconds period{60};
  std::vector<WorkerCpu> workers;
  // Where the source's data is complete (metrics::MetricsSource::CompleteUntil): the
  // window ends at the last period boundary before it, and staleness counts from it,
  // rather than from the check's time. Unset: complete up to the check's time.
  std::optional<Clock::TimePoint> complete_until;
  // The balancer's counts per period, in any order; empty when the balancer gives none.
  // Only periods inside the window are read.
  std::vector<RequestSample> requests;
};

enum class Direction { kNone, kGrow, kShrink };

// What earlier checks and the manual buttons left for the next check. Starts empty
// (a fresh manager); only Remember() and RememberManualChange() should change it.
struct ScalerMemory {
  // The auto-scaler's last resize, and its direction. Decide() reads only the time
  // (its cool-down holds in both directions); the direction is for logs and the UI.
  std::optional<Clock::TimePoint> last_action_at;
  Direction last_action_direction = Direction::kNone;
  // The last manual grow or shrink (restarts the cool-down like a resize does).
  std::optional<Clock::TimePoint> last_manual_change_at;
  // The sizes recommended by recent checks (rule 7), oldest first, none older than the
  // stabilisation span; and since when checks have recommended without a break.
  // Cleared by a resize, a manual change, and by any check that could not judge the
  // load (paused, cooling down, missing metrics).
  struct Recommendation {
    Clock::TimePoint at;
    int size = 0;
    bool operator==(const Recommendation&) const = default;
  };
  std::vector<Recommendation> recommendations;
  std::optional<Clock::TimePoint> recommending_since;

  bool operator==(const ScalerMemory&) const = default;
};

enum class Action { kHold, kGrow, kShrink };

// "hold", "grow", "shrink".
std::string_view ActionName(Action action);

struct Decision {
  Action action = Action::kHold;
  // The pool's size at the check (starting + in service), and the size to go to
  // (equal to current_size when holding).
  int current_size = 0;
  int target_size = 0;
  // The average CPU of the workers in service over the window, when it was computed.
  std::optional<double> average_cpu;
  // For people and the decision log: "average CPU 85.0% over 2 min is above the grow
  // threshold 70%: grow 2 -> 4".
  std::string reason;
  // The size this check's load calls for, before stabilisation (rule 7); nullopt
  // when the check could not judge the load. Remember() keeps it.
  std::optional<int> recommended_size;
};

// The decision at `now`. `policy` must pass Validate() (a policy that does not is
// answered with a hold naming the problem). Pure.
Decision Decide(const ScalingPolicy& policy, const PoolState& pool, const MetricsView& metrics,
                const ScalerMemory& memory, Clock::TimePoint now);

// The memory after `decision` was taken at `now` (and, for grow/shrink, carried out
// or at least attempted: a failed launch still starts the cool-down, so a broken
// cloud is not hammered every check). Pure.
ScalerMemory Remember(const ScalerMemory& memory, const ScalingPolicy& policy,
                      const Decision& decision, Clock::TimePoint now);

// The memory after a person pressed grow or shrink at `at`. Pure.
ScalerMemory RememberManualChange(const ScalerMemory& memory, Clock::TimePoint at);

}  // namespace maskfleet::scaler

#endif  // MASKFLEET_SCALER_DECISION_H_
