#include "maskfleet/scaler/decision.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace maskfleet::scaler {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

// Ratios such as 3 x (1/3 stored inexactly) must not round up past the whole number
// they mean.
constexpr double kRoundingSlack = 1e-9;

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string Threshold(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", v);
  return buf;
}

// "2 min", "90 s".
std::string Span(TimePoint::duration d) {
  const auto s = duration_cast<seconds>(d).count();
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + " min";
  return std::to_string(s) + " s";
}

// The start of the period that holds `t` (periods aligned to the epoch).
TimePoint FloorToPeriod(TimePoint t, seconds period) {
  const auto p = duration_cast<TimePoint::duration>(period);
  auto k = t.time_since_epoch() / p;
  if (TimePoint(k * p) > t) --k;  // division truncates toward zero before 1970
  return TimePoint(k * p);
}

TimePoint CeilToPeriod(TimePoint t, seconds period) {
  const TimePoint floor = FloorToPeriod(t, period);
  return floor == t ? t : floor + period;
}

// "1 worker", "3 workers".
std::string Workers(int n) { return std::to_string(n) + (n == 1 ? " worker" : " workers"); }

std::string Move(int from, int to) { return std::to_string(from) + " -> " + std::to_string(to); }

Decision Hold(int size, std::string reason) {
  Decision d;
  d.current_size = size;
  d.target_size = size;
  d.reason = std::move(reason);
  return d;
}

Decision Resize(int from, int to, std::string reason) {
  Decision d;
  d.action = to > from ? Action::kGrow : Action::kShrink;
  d.current_size = from;
  d.target_size = to;
  d.reason = std::move(reason) + ": " + std::string(ActionName(d.action)) + " " + Move(from, to);
  return d;
}

const WorkerCpu* FindCpu(const MetricsView& metrics, const std::string& id) {
  for (const auto& w : metrics.workers) {
    if (w.worker_id == id) return &w;
  }
  return nullptr;
}

}  // namespace

int PoolState::Size() const {
  return static_cast<int>(std::ranges::count_if(workers, [](const WorkerStatus& w) {
    return w.state == WorkerState::kStarting || w.state == WorkerState::kInService;
  }));
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kHold: return "hold";
    case Action::kGrow: return "grow";
    case Action::kShrink: return "shrink";
  }
  return "hold";
}

Decision Decide(const ScalingPolicy& policy, const PoolState& pool, const MetricsView& metrics,
                const ScalerMemory& memory, TimePoint now) {
  const int n = pool.Size();

  // 1. Paused, or a policy that slipped past the policy page.
  if (auto valid = Validate(policy); !valid) {
    return Hold(n, "policy not usable: " + valid.error().message);
  }
  if (policy.paused) return Hold(n, "paused");

  // 2. Cool-down: starting workers, then a window reaching back before the pool settled.
  std::string starting;
  std::optional<TimePoint> settled_at = memory.last_action_at;
  if (memory.last_manual_change_at && (!settled_at || *memory.last_manual_change_at > *settled_at)) {
    settled_at = memory.last_manual_change_at;
  }
  for (const auto& w : pool.workers) {
    if (w.state == WorkerState::kStarting) {
      starting += (starting.empty() ? "" : ", ") + w.id;
    } else if (w.state == WorkerState::kInService) {
      if (!settled_at || w.state_since > *settled_at) settled_at = w.state_since;
    }
  }
  if (!starting.empty()) {
    return Hold(n, "waiting for new workers' metrics: " + starting + " still starting");
  }
  // Samples longer than the window leave no average to take (rule 4 then holds); the
  // cool-down and the bounds still apply, over the window's unaligned span.
  const bool period_usable = metrics.period.count() > 0 && policy.window >= metrics.period;
  // The window ends where the data is complete: a lagging source is judged on the
  // periods it has, not held for the ones still to come.
  const TimePoint data_end = std::min(now, metrics.complete_until.value_or(now));
  const TimePoint window_end = period_usable ? FloorToPeriod(data_end, metrics.period) : data_end;
  const TimePoint window_begin = window_end - policy.window;
  if (settled_at && window_begin < *settled_at) {
    const TimePoint ready = period_usable
                                ? CeilToPeriod(*settled_at + policy.window, metrics.period)
                                : *settled_at + policy.window;
    return Hold(n, "waiting for new workers' metrics: the " + Span(policy.window) +
                       " window still holds time from before the pool settled " +
                       Span(now - *settled_at) + " ago (judged again from " +
                       Span(ready - data_end) + " on)");
  }

  // 3. Bounds, whatever the metrics say (after the cool-down: a person who pressed grow
  // past the maximum is not overruled at the very next check).
  if (n < policy.min_workers) {
    return Resize(n, policy.min_workers,
                  "pool of " + std::to_string(n) + " is below the minimum of " +
                      std::to_string(policy.min_workers));
  }
  if (n > policy.max_workers) {
    return Resize(n, policy.max_workers,
                  "pool of " + std::to_string(n) + " is above the maximum of " +
                      std::to_string(policy.max_workers));
  }
  if (!period_usable) {
    return Hold(n, "the averaging window (" + Span(policy.window) +
                       ") is shorter than one metrics sample (" + Span(metrics.period) +
                       "): no average can be taken");
  }

  // 4 and 5. Every in-service worker's mean over the window, or a hold naming who lacks one.
  const auto stale_after = std::max(2 * policy.check_interval, 2 * metrics.period);
  double sum_of_means = 0;
  int in_service = 0;
  for (const auto& w : pool.workers) {
    if (w.state != WorkerState::kInService) continue;
    const WorkerCpu* cpu = FindCpu(metrics, w.id);
    double sum = 0;
    int count = 0;
    std::optional<TimePoint> newest_end;
    if (cpu != nullptr) {
      for (const auto& s : cpu->samples) {
        if (s.start < window_begin || s.start >= window_end || !std::isfinite(s.percent)) continue;
        sum += s.percent;
        ++count;
        const TimePoint end = s.start + metrics.period;
        if (!newest_end || end > *newest_end) newest_end = end;
      }
    }
    if (count == 0) {
      return Hold(n, "no CPU data for worker " + w.id + " in the past " + Span(policy.window));
    }
    if (data_end - *newest_end > stale_after) {
      return Hold(n, "CPU data for worker " + w.id + " is stale: its newest sample ended " +
                         Span(data_end - *newest_end) +
                         (data_end == now ? " ago" : " before the metrics' complete end"));
    }
    sum_of_means += sum / count;
    ++in_service;
  }
  // Rules 2 and 3 leave n >= 1 workers, none starting: all of them are in service.
  const double average = sum_of_means / in_service;
  const std::string measured =
      "average CPU " + Percent(average) + " over " + Span(policy.window);

  auto with_average = [&](Decision d, int recommended) {
    d.average_cpu = average;
    d.recommended_size = recommended;
    return d;
  };

  // 6. Grow at once.
  if (average > policy.grow_threshold) {
    const std::string why = measured + " is above the grow threshold " +
                            Threshold(policy.grow_threshold);
    if (n >= policy.max_workers) {
      return with_average(Hold(n, why + ", but the pool is at its maximum of " +
                                      std::to_string(policy.max_workers)),
                          n);
    }
    int target = static_cast<int>(std::ceil(n * policy.expand_ratio - kRoundingSlack));
    target = std::clamp(std::max(target, n + 1), n + 1, policy.max_workers);
    return with_average(Resize(n, target, why), target);
  }

  // 7. Shrink: the ratio's size, no further than the projection allows, stabilised.
  if (average < policy.shrink_threshold) {
    std::string why = measured + " is below the shrink threshold " +
                      Threshold(policy.shrink_threshold);
    if (n <= policy.min_workers) {
      return with_average(Hold(n, why + ", but the pool is at its minimum of " +
                                      std::to_string(policy.min_workers)),
                          n);
    }
    int candidate = static_cast<int>(std::ceil(n * policy.shrink_ratio - kRoundingSlack));
    candidate = std::clamp(std::min(candidate, n - 1), policy.min_workers, n - 1);
    const double projected = average * n / candidate;
    if (projected >= policy.grow_threshold) {
      // The fewest workers that keep the projection below the grow threshold.
      const int fewest = static_cast<int>(std::floor(average * n / policy.grow_threshold)) + 1;
      if (fewest >= n) {
        return with_average(
            Hold(n, why + ", but " + Workers(n - 1) + " would carry " +
                        Percent(average * n / (n - 1)) + " each, reaching the grow threshold " +
                        Threshold(policy.grow_threshold)),
            n);
      }
      why += "; " + Workers(candidate) + " would carry " + Percent(projected) +
             " each, reaching the grow threshold, so only to " + std::to_string(fewest);
      candidate = std::max(candidate, fewest);
    }

    // Stabilisation over this check's recommendation and the remembered ones.
    const TimePoint span_begin = now - policy.shrink_stabilisation;
    int largest = candidate;
    for (const auto& r : memory.recommendations) {
      if (r.at >= span_begin && r.at <= now) largest = std::max(largest, r.size);
    }
    const TimePoint since = memory.recommending_since.value_or(now);
    if (now - since < policy.shrink_stabilisation) {
      return with_average(
          Hold(n, why + "; shrink to " + std::to_string(candidate) +
                      " stabilising (recommendations seen for " + Span(now - since) + " of " +
                      Span(policy.shrink_stabilisation) + ")"),
          candidate);
    }
    if (largest >= n) {
      return with_average(
          Hold(n, why + "; but a check in the past " + Span(policy.shrink_stabilisation) +
                      " recommended keeping " + Workers(largest)),
          candidate);
    }
    if (largest > candidate) {
      why += "; the largest size recommended in the past " + Span(policy.shrink_stabilisation) +
             " is " + std::to_string(largest);
    }
    return with_average(Resize(n, largest, why), candidate);
  }

  // 8.
  return with_average(Hold(n, measured + " is within the thresholds (" +
                                  Threshold(policy.shrink_threshold) + " to " +
                                  Threshold(policy.grow_threshold) + ")"),
                      n);
}

ScalerMemory Remember(const ScalerMemory& memory, const ScalingPolicy& policy,
                      const Decision& decision, TimePoint now) {
  ScalerMemory next = memory;
  if (decision.action != Action::kHold) {
    next.last_action_at = now;
    next.last_action_direction =
        decision.action == Action::kGrow ? Direction::kGrow : Direction::kShrink;
    next.recommendations.clear();
    next.recommending_since.reset();
    return next;
  }
  if (!decision.recommended_size) {
    // The load could not be judged: the run of recommendations is broken.
    next.recommendations.clear();
    next.recommending_since.reset();
    return next;
  }
  if (!next.recommending_since) next.recommending_since = now;
  next.recommendations.push_back({now, *decision.recommended_size});
  const TimePoint span_begin = now - policy.shrink_stabilisation;
  std::erase_if(next.recommendations,
                [&](const ScalerMemory::Recommendation& r) { return r.at < span_begin; });
  return next;
}

ScalerMemory RememberManualChange(const ScalerMemory& memory, TimePoint at) {
  ScalerMemory next = memory;
  next.last_manual_change_at = at;
  next.recommendations.clear();
  next.recommending_since.reset();
  return next;
}

}  // namespace maskfleet::scaler
