// The auto-scaler's decision: what to do with the worker pool at one check, as a
// pure function of the policy, the pool, the CPU samples, what earlier decisions
// left behind (ScalerMemory) and the time. No clock, no I/O, no state: the
// manager's loop and the simulator feed it and act on the answer, and the tests
// call it with hand-made inputs. Remember() (also pure) folds a decision into the
// memory for the next check.
//
// The rules, in the order Decide() applies them (the first that holds decides):
//  1. Paused policy: hold "paused".
//  2. Saturated: when the newest sample period before the window's end (rule 4)
//     ended after the auto-scaler's last grow, its in-service workers' samples average
//     at least 95%, and the balancer's count of that period has requests unserved
//     (offered > served > 0), the pool is sized from the count: the CPU the workers
//     spent (each sample times the share of the period the worker was in service)
//     times offered / served, at the thresholds' midpoint, or at 100% while workers
//     start. When that needs more workers than the pool has, starting workers
//     included, grow at once to it, at most ceil(N x expand_ratio) (at least N + 1)
//     and max_workers: CPU stops at 100% and hides how far behind the pool is, the
//     count does not. Counting the starting workers as serving keeps this from the
//     specification's "unreliable algorithm" (growing again on the CPU of a pool whose
//     new workers have not arrived); counting them at full CPU grows again while they
//     boot only when even they could not carry the load (the CPU rule sizes the pool
//     to the midpoint once they serve). One grow per saturated period.
//  2b. Cool-down: hold "waiting for new workers' metrics" while any worker is
//     starting, or while the window still holds time from before the pool last
//     settled: the auto-scaler's last grow, the last manual change or the latest
//     moment a worker came into service, whichever is later. Such samples describe a
//     pool that lacked workers it has now. The auto-scaler's own shrinks start no
//     cool-down: samples from before one are projected onto the smaller pool (rule 5).
//  3. Bounds: a pool (starting + in service) below min_workers grows to it, one above
//     max_workers shrinks to it, whatever the metrics say (a pool of 0 has none).
//     After the cool-down, so that a manual change past a bound is not undone at the
//     very next check.
//  4. Metrics: the window ends at the last period boundary before the metrics'
//     complete_until (or now), and is at least one sample period long: a window
//     shorter than the samples is widened to one, and the reason says so. An
//     in-service worker with no sample in the window, or whose newest sample ended
//     more than max(2 check intervals, 2 sample periods) before that end, makes the
//     check hold, naming the worker. Missing data never causes an action.
//  5. The average: each in-service worker's mean over its samples in the window, then
//     the mean of those (every worker weighs the same, as metrics::PoolCpu does). A
//     sample taken before the auto-scaler's own shrink from N0 to fewer workers counts
//     as percent x N0 / N (the same load on N workers). While the average is at least
//     95% (CPU hides how far behind a saturated pool is), the load is the average x
//     the balancer's requests offered / served over the window, when it gives them.
//  6. Load above grow_threshold: grow to ceil(N x sized / midpoint), where midpoint is
//     (grow_threshold + shrink_threshold) / 2 and sized the load read one standard
//     error of the average (rule 7) lighter, but not under grow_threshold: the size
//     that carries the load at the midpoint, without the noise that pushed the window
//     over the threshold also sizing the pool; at least N + 1, at most ceil(N x
//     expand_ratio) and max_workers. Growing acts at once. At max_workers: hold,
//     saying so.
//  7. Average below shrink_threshold: at min_workers, hold. The noise of one sample
//     (sigma) is the spread between the workers' samples of the same period, pooled
//     over the window or the stabilisation span, whichever is longer, and the periods
//     remembered from the past 40 minutes (ScalerMemory::noise): all workers carry the
//     same load, so the spread is noise whatever the load did, noise correlated in time
//     does not hide in it, and the remembered periods keep a few minutes of samples
//     pressed against 0% from passing for a quiet pool. It counts from 3 degrees of
//     freedom on (below that, sigma = 0). The standard error of the average is sigma /
//     sqrt(N), or, when samples from before the auto-scaler's own shrink are projected
//     (rule 5), sigma x sqrt(sum over the workers of their mean projection squared) / N:
//     a sample counted twice carries its noise twice, and one worker's samples in the
//     window count as one measurement, as noise correlated in time makes them. An
//     average under the threshold by no more than one standard error holds,
//     recommending N: a load just above the threshold reads under it whenever noise
//     pulls it down, and noise alone would time the shrink. The recommendation is the
//     fewest workers that carry the average at or below the midpoint,
//     ceil(N x average / midpoint), at least min_workers (hysteresis: a pool shrunk so
//     never reads above the grow threshold unless the load grows by grow / midpoint);
//     when that is N, hold. Stabilisation:
//     the shrink then waits until checks have recommended a size for a whole
//     shrink_stabilisation span without a break, and goes to the LARGEST size
//     recommended in that span (a hold recommends the current size, so one busy
//     minute in the span cancels the shrink), but no further than ceil(N x
//     shrink_ratio) in one step (at least one worker fewer). The auto-scaler's own
//     shrink does not break the run: 8 -> 4 -> 2 -> 1 takes one check per step once the
//     span has agreed. Last, hysteresis against noise: the shrink goes no further than
//     a size K on which the load, read two standard errors heavier than the average,
//     plus three standard deviations of one sample's noise / sqrt(K) stays at or below
//     grow_threshold, (average + 2 standard errors) x N / K + 3 sigma / sqrt(K), or
//     noise alone would grow it back: this, not a margin in the size, keeps the noise
//     from timing a flap. When not even N - 1 passes: hold, saying so.
//  8. Otherwise hold "within thresholds".
// Every check that got as far as an average (rules 2 and 5-8) yields a recommendation
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

// The spread between the in-service workers' samples of one period (rule 7's noise):
// the sum of their squared deviations from the period's mean, and its degrees of
// freedom (workers with a sample, less one).
struct NoisePeriod {
  Clock::TimePoint start;
  double squares = 0;
  int freedom = 0;
  bool operator==(const NoisePeriod&) const = default;
};

// What earlier checks and the manual buttons left for the next check. Starts empty
// (a fresh manager); only Remember() and RememberManualChange() should change it.
struct ScalerMemory {
  // The auto-scaler's last resize, and its direction, for logs and the UI (Decide()
  // reads last_grow_at and recent_shrinks).
  std::optional<Clock::TimePoint> last_action_at;
  Direction last_action_direction = Direction::kNone;
  // The auto-scaler's last grow (starts the cool-down like the new workers do; kept
  // apart so that a failed launch still starts it).
  std::optional<Clock::TimePoint> last_grow_at;
  // The last manual grow or shrink (restarts the cool-down like a grow does).
  std::optional<Clock::TimePoint> last_manual_change_at;
  // The auto-scaler's recent shrinks, oldest first: a sample taken before one was
  // measured on `from` workers (rule 5 projects it). Cleared by a grow and a manual
  // change, which restart the cool-down instead.
  struct Shrink {
    Clock::TimePoint at;
    int from = 0;
    bool operator==(const Shrink&) const = default;
  };
  std::vector<Shrink> recent_shrinks;
  // The sizes recommended by recent checks (rule 7), oldest first, none older than the
  // stabilisation span; and since when checks have recommended without a break.
  // Cleared by a grow, a manual change, and by any check that could not judge the
  // load (paused, cooling down, missing metrics); not by the auto-scaler's shrink.
  struct Recommendation {
    Clock::TimePoint at;
    int size = 0;
    bool operator==(const Recommendation&) const = default;
  };
  std::vector<Recommendation> recommendations;
  std::optional<Clock::TimePoint> recommending_since;
  // The noise of the periods checks have measured (Decision::noise), by period start,
  // none older than 40 minutes; one period measured again replaces the earlier figure.
  // Kept across grows, shrinks and manual changes: the noise is the metrics', not the
  // pool size's.
  std::vector<NoisePeriod> noise;

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
  // The noise of each period of the window or stabilisation span that had two workers
  // or more with a sample, when the check got as far as rule 5's average. Remember() keeps it.
  std::vector<NoisePeriod> noise;
};

// The decision at `now`. `policy` must pass Validate() (a policy that does not is
// answered with a hold naming the problem). Pure.
Decision Decide(const ScalingPolicy& policy, const PoolState& pool, const MetricsView& metrics,
                const ScalerMemory& memory, Clock::TimePoint now);

// The memory after `decision` was taken at `now` (and, for grow/shrink, carried out
// or at least attempted: a failed launch still starts the cool-down, so a broken
// cloud is not hammered every check). Pure.
ScalerMemory Remember(const ScalerMemory& memory, const ScalingPolicy& policy, const Decision& decision,
                      Clock::TimePoint now);

// The memory after a person pressed grow or shrink at `at`. Pure.
ScalerMemory RememberManualChange(const ScalerMemory& memory, Clock::TimePoint at);

}  // namespace maskfleet::scaler

#endif  // MASKFLEET_SCALER_DECISION_H_
