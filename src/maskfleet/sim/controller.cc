#include "maskfleet/sim/controller.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>

namespace maskfleet::sim {
namespace {

using scaler::Action;
using scaler::Decision;
using scaler::WorkerState;
using std::chrono::duration_cast;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

// As in decision.cc: 3 x (1/3 stored inexactly) must not round up past 1.
constexpr double kRoundingSlack = 1e-9;

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

TimePoint FloorToPeriod(TimePoint t, seconds period) {
  const auto p = duration_cast<TimePoint::duration>(period);
  auto k = t.time_since_epoch() / p;
  if (TimePoint(k * p) > t) --k;
  return TimePoint(k * p);
}

Decision Make(int from, int to, std::optional<double> average, std::string reason) {
  Decision d;
  d.action = to > from ? Action::kGrow : to < from ? Action::kShrink : Action::kHold;
  d.current_size = from;
  d.target_size = to;
  d.average_cpu = average;
  d.reason = std::move(reason);
  if (d.action != Action::kHold) {
    d.reason += ": " + std::string(scaler::ActionName(d.action)) + " " + std::to_string(from) + " -> " +
                std::to_string(to);
  }
  return d;
}

// The per-worker means over the window, in-service workers only.
struct WindowMeans {
  std::vector<double> means;
  int without_data = 0;
};

WindowMeans MeansInWindow(const scaler::ScalingPolicy& policy, const scaler::PoolState& pool,
                          const scaler::MetricsView& metrics, TimePoint now) {
  WindowMeans out;
  // As Decide() places it: on complete data, at least one sample long.
  const TimePoint data_end = std::min(now, metrics.complete_until.value_or(now));
  const TimePoint end = metrics.period.count() > 0 ? FloorToPeriod(data_end, metrics.period) : data_end;
  const TimePoint begin = end - std::max(policy.window, metrics.period);
  for (const auto& w : pool.workers) {
    if (w.state != WorkerState::kInService) continue;
    double sum = 0;
    int count = 0;
    for (const auto& cpu : metrics.workers) {
      if (cpu.worker_id != w.id) continue;
      for (const auto& s : cpu.samples) {
        if (s.start < begin || s.start >= end || !std::isfinite(s.percent)) continue;
        sum += s.percent;
        ++count;
      }
    }
    if (count == 0) {
      ++out.without_data;
    } else {
      out.means.push_back(sum / count);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------
// ours: the manager's decision, fed the same way the manager's loop feeds it.
class OurController : public Controller {
 public:
  explicit OurController(const scaler::ScalingPolicy& policy) : policy_(policy) {}
  std::string_view name() const override { return "ours"; }

  Decision Check(const scaler::PoolState& pool, const scaler::MetricsView& metrics, TimePoint now) override {
    Decision d = scaler::Decide(policy_, pool, metrics, memory_, now);
    memory_ = scaler::Remember(memory_, policy_, d, now);
    return d;
  }

 private:
  scaler::ScalingPolicy policy_;
  scaler::ScalerMemory memory_;
};

// ---------------------------------------------------------------------------------
// naive: thresholds and ratios, nothing else.
class NaiveController : public Controller {
 public:
  explicit NaiveController(const scaler::ScalingPolicy& policy) : policy_(policy) {}
  std::string_view name() const override { return "naive"; }

  Decision Check(const scaler::PoolState& pool, const scaler::MetricsView& metrics, TimePoint now) override {
    const int n = pool.Size();
    const std::optional<double> average = WindowAverage(policy_, pool, metrics, now);
    if (!average) return Make(n, n, std::nullopt, "no CPU data in the window");
    const std::string measured = "average CPU " + Percent(*average);
    if (*average > policy_.grow_threshold) {
      if (n >= policy_.max_workers)
        return Make(n, n, average, measured + " above the grow threshold, at the maximum");
      int target = static_cast<int>(std::ceil(n * policy_.expand_ratio - kRoundingSlack));
      target = std::clamp(std::max(target, n + 1), n + 1, policy_.max_workers);
      return Make(n, target, average, measured + " is above the grow threshold");
    }
    if (*average < policy_.shrink_threshold) {
      if (n <= policy_.min_workers)
        return Make(n, n, average, measured + " below the shrink threshold, at the minimum");
      int target = static_cast<int>(std::ceil(n * policy_.shrink_ratio - kRoundingSlack));
      target = std::clamp(std::min(target, n - 1), policy_.min_workers, n - 1);
      return Make(n, target, average, measured + " is below the shrink threshold");
    }
    return Make(n, n, average, measured + " is within the thresholds");
  }

 private:
  scaler::ScalingPolicy policy_;
};

// ---------------------------------------------------------------------------------
// hpa: the Kubernetes Horizontal Pod Autoscaler's algorithm, as its documentation
// ("Horizontal Pod Autoscaling", section "Algorithm details") and its replica
// calculator describe it, for a CPU utilisation target:
//
//   desiredReplicas = ceil[currentReplicas * (currentMetricValue / desiredMetricValue)]
//
//  - the usage ratio is the mean CPU of the ready pods (here: workers in service)
//    over the target; within the tolerance (|ratio - 1| <= 0.1, the default
//    --horizontal-pod-autoscaler-tolerance) nothing changes;
//  - pods without metrics count as using 100% of the target when scaling down and 0%
//    when scaling up; not-yet-ready pods (here: starting workers) count as 0% when
//    scaling up and are left out otherwise; if that reverses the direction or lands
//    within the tolerance, nothing changes;
//  - scaling up acts at once; scaling down acts on the highest recommendation of the
//    downscale stabilisation window (default 5 minutes,
//    --horizontal-pod-autoscaler-downscale-stabilization), i.e. the "stabilization
//    window" of the autoscaling/v2 behaviour field;
//  - the result is clamped to the bounds.
// Left out: the scale-up rate limits of the default behaviour (100% or 4 pods per
// 15 s, whichever is more: never binding within one 60 s check and a maximum of 8),
// and the CPU initialisation period (our starting workers have no samples at all).
// The metric is the policy's window average, as for the other two controllers, where
// Kubernetes reads the metrics server's latest value: the inputs stay the same for
// all three, so differences come from the rules.
class HpaController : public Controller {
 public:
  HpaController(const scaler::ScalingPolicy& policy, double target, std::string_view name)
      : policy_(policy), target_(target), name_(name) {}
  std::string_view name() const override { return name_; }

  Decision Check(const scaler::PoolState& pool, const scaler::MetricsView& metrics, TimePoint now) override {
    const int n = pool.Size();
    const WindowMeans window = MeansInWindow(policy_, pool, metrics, now);
    int unready = 0;
    for (const auto& w : pool.workers) unready += w.state == WorkerState::kStarting ? 1 : 0;
    if (window.means.empty()) {
      // The HPA refuses to act without metrics of any ready pod.
      return Make(n, n, std::nullopt, "no CPU data from any worker in service");
    }
    double sum = 0;
    for (double m : window.means) sum += m;
    const double average = sum / static_cast<double>(window.means.size());
    const int ready = static_cast<int>(window.means.size());
    const double ratio = average / target_;
    const std::string measured = "average CPU " + Percent(average) + " vs target " + Percent(target_);

    int recommended = n;
    std::string why;
    const bool up_with_unready = unready > 0 && ratio > 1.0;
    if (!up_with_unready && window.without_data == 0) {
      if (std::abs(1.0 - ratio) <= kTolerance) {
        why = measured + " (within the 10% tolerance)";
      } else {
        recommended = static_cast<int>(std::ceil(ratio * ready - kRoundingSlack));
        why = measured + ", proportional size " + std::to_string(recommended);
      }
    } else {
      // Fill in the workers without a usable figure, then recompute.
      double filled_sum = sum;
      int filled = ready;
      if (window.without_data > 0) {
        filled_sum += (ratio < 1.0 ? 100.0 : 0.0) * window.without_data;
        filled += window.without_data;
      }
      if (up_with_unready) filled += unready;  // at 0%
      const double new_ratio = filled_sum / filled / target_;
      const bool reversed = (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0);
      if (std::abs(1.0 - new_ratio) <= kTolerance || reversed) {
        why = measured + "; with starting workers at 0% the change is within the tolerance";
      } else {
        recommended = static_cast<int>(std::ceil(new_ratio * filled - kRoundingSlack));
        if ((new_ratio < 1.0 && recommended > n) || (new_ratio > 1.0 && recommended < n)) recommended = n;
        why = measured + ", proportional size " + std::to_string(recommended) +
              " counting starting workers at 0%";
      }
    }
    recommended = std::clamp(recommended, policy_.min_workers, policy_.max_workers);

    // Stabilisation: up at once, down to the highest recommendation of the window.
    recommendations_.push_back({now, recommended});
    while (!recommendations_.empty() && recommendations_.front().at < now - policy_.shrink_stabilisation) {
      recommendations_.pop_front();
    }
    int highest = recommended;
    for (const auto& r : recommendations_) highest = std::max(highest, r.size);
    int desired = n;
    if (recommended > n) {
      desired = recommended;
    } else if (highest < n) {
      desired = highest;
      if (highest > recommended) why += ", highest in the stabilisation window " + std::to_string(highest);
    } else if (recommended < n) {
      why += ", held by the stabilisation window (highest " + std::to_string(highest) + ")";
    }
    return Make(n, desired, average, why);
  }

 private:
  static constexpr double kTolerance = 0.1;
  struct Recommendation {
    TimePoint at;
    int size;
  };
  scaler::ScalingPolicy policy_;
  double target_;
  std::string_view name_;
  std::deque<Recommendation> recommendations_;
};

}  // namespace

std::optional<double> WindowAverage(const scaler::ScalingPolicy& policy, const scaler::PoolState& pool,
                                    const scaler::MetricsView& metrics, Clock::TimePoint now,
                                    int* without_data, int* with_data) {
  const WindowMeans window = MeansInWindow(policy, pool, metrics, now);
  if (without_data != nullptr) *without_data = window.without_data;
  if (with_data != nullptr) *with_data = static_cast<int>(window.means.size());
  if (window.means.empty()) return std::nullopt;
  double sum = 0;
  for (double m : window.means) sum += m;
  return sum / static_cast<double>(window.means.size());
}

double HpaTarget(const scaler::ScalingPolicy& policy) {
  return (policy.grow_threshold + policy.shrink_threshold) / 2;
}

std::unique_ptr<Controller> MakeOurController(const scaler::ScalingPolicy& policy) {
  return std::make_unique<OurController>(policy);
}
std::unique_ptr<Controller> MakeNaiveController(const scaler::ScalingPolicy& policy) {
  return std::make_unique<NaiveController>(policy);
}
std::unique_ptr<Controller> MakeHpaController(const scaler::ScalingPolicy& policy) {
  return std::make_unique<HpaController>(policy, HpaTarget(policy), "hpa");
}
std::unique_ptr<Controller> MakeHpaHighController(const scaler::ScalingPolicy& policy) {
  return std::make_unique<HpaController>(policy, policy.grow_threshold, "hpa-high");
}

const std::vector<std::string>& ControllerNames() {
  static const std::vector<std::string> kNames = {"ours", "naive", "hpa", "hpa-high"};
  return kNames;
}

Result<std::unique_ptr<Controller>> MakeController(std::string_view name,
                                                   const scaler::ScalingPolicy& policy) {
  if (name == "ours") return MakeOurController(policy);
  if (name == "naive") return MakeNaiveController(policy);
  if (name == "hpa") return MakeHpaController(policy);
  if (name == "hpa-high") return MakeHpaHighController(policy);
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown controller '" + std::string(name) + "': choose ours, naive, hpa or hpa-high");
}

}  // namespace maskfleet::sim
