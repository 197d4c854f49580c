#include "maskfleet/scaler/decision.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

namespace maskfleet::scaler {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

// Ratios such as 3 x (1/3 stored inexactly) must not round up past the whole number
// they mean.
constexpr double kRoundingSlack = 1e-9;
// At or above this average CPU the workers are saturated: the CPU no longer says how
// much load there is, the balancer's unserved requests do.
constexpr double kSaturatedCpu = 95.0;
// How long the auto-scaler remembers its shrinks (longer than any window: an hour's
// sample period at most).
constexpr auto kShrinkMemory = std::chrono::hours(2);
// How long the noise of a measured period counts (rule 7): long enough that a few
// minutes of samples pressed against 0% do not pass for a quiet pool, short enough to
// follow a change in the metrics.
constexpr auto kNoiseMemory = std::chrono::minutes(40);

std::string Percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Requests per second to three significant digits: "60", "8.7", "4.36".
std::string Rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
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

// The newest period, when the pool was saturated in it: the workers with a sample there
// averaged at least kSaturatedCpu and the balancer counted requests it could not serve.
// CPU stops at 100%; the count says how far behind the pool is. Only a period that
// ended after `last_grow` counts (one grow per saturated period).
struct Shortfall {
  double cpu = 0;
  // The workers that carry the offered load at the thresholds' midpoint, and at 100%.
  int needed = 0;
  int needed_at_full_cpu = 0;
  std::string reason;
};

std::optional<Shortfall> Saturated(const PoolState& pool, const MetricsView& metrics, TimePoint window_end,
                                   double midpoint, std::optional<TimePoint> last_grow) {
  const TimePoint newest = window_end - metrics.period;
  if (last_grow && window_end <= *last_grow) return std::nullopt;
  double busy = 0;  // the workers' CPU times the share of the period they served, in % of one worker
  double cpu_sum = 0;
  int sampled = 0;
  for (const auto& w : pool.workers) {
    if (w.state != WorkerState::kInService) continue;
    const WorkerCpu* cpu = FindCpu(metrics, w.id);
    if (cpu == nullptr) continue;
    for (const auto& s : cpu->samples) {
      if (s.start == newest && std::isfinite(s.percent)) {
        // A worker that came into service during the period served only part of it.
        const auto served_for = window_end - std::max(newest, w.state_since);
        busy += s.percent * std::clamp(static_cast<double>(served_for.count()) /
                                           static_cast<double>(
                                               duration_cast<TimePoint::duration>(metrics.period).count()),
                                       0.0, 1.0);
        cpu_sum += s.percent;
        ++sampled;
        break;
      }
    }
  }
  if (sampled == 0 || cpu_sum / sampled < kSaturatedCpu) return std::nullopt;
  for (const auto& r : metrics.requests) {
    if (r.start != newest || !(r.served > 0) || !(r.offered > r.served)) continue;
    // Each worker serves served / busy requests per % of CPU; the offered load needs
    // offered / that at the midpoint.
    const double load = busy * r.offered / r.served;
    Shortfall s;
    s.cpu = cpu_sum / sampled;
    s.needed = static_cast<int>(std::ceil(load / midpoint - kRoundingSlack));
    s.needed_at_full_cpu = static_cast<int>(std::ceil(load / 100 - kRoundingSlack));
    s.reason = "saturated: average CPU " + Percent(s.cpu) + " in the newest " + Span(metrics.period) +
               ", with " + Percent(100 * (r.offered - r.served) / r.offered) + " of the requests unserved (" +
               Rate(r.offered) + " offered, " + Rate(r.served) + " served per second)";
    return s;
  }
  return std::nullopt;
}

// The spread between the workers' samples of each period in [begin, end) that two
// workers or more sampled: the balancer shares the load, so within a period what differs
// is noise, whatever the load did from one period to the next, and noise correlated in
// time does not hide in it.
std::vector<NoisePeriod> NoiseByPeriod(const PoolState& pool, const MetricsView& metrics, TimePoint begin,
                                       TimePoint end) {
  std::map<TimePoint, std::vector<double>> by_period;
  for (const auto& w : pool.workers) {
    if (w.state != WorkerState::kInService) continue;
    const WorkerCpu* cpu = FindCpu(metrics, w.id);
    if (cpu == nullptr) continue;
    for (const auto& s : cpu->samples) {
      if (s.start >= begin && s.start < end && std::isfinite(s.percent))
        by_period[s.start].push_back(s.percent);
    }
  }
  std::vector<NoisePeriod> periods;
  for (const auto& [start, values] : by_period) {
    if (values.size() < 2) continue;
    double mean = 0;
    for (double v : values) mean += v;
    mean /= static_cast<double>(values.size());
    NoisePeriod period{.start = start, .squares = 0, .freedom = static_cast<int>(values.size()) - 1};
    for (double v : values) period.squares += (v - mean) * (v - mean);
    periods.push_back(period);
  }
  return periods;
}

// One sample's noise: the pooled standard deviation of the `fresh` periods and of the
// `remembered` ones from `since` on that `fresh` does not measure again; 0 with fewer
// than 3 degrees of freedom (2 workers over 3 periods, 4 workers over 1).
double PooledNoise(const std::vector<NoisePeriod>& fresh, const std::vector<NoisePeriod>& remembered,
                   TimePoint since) {
  double squares = 0;
  int freedom = 0;
  for (const auto& period : fresh) {
    squares += period.squares;
    freedom += period.freedom;
  }
  for (const auto& period : remembered) {
    if (period.start < since || std::ranges::find(fresh, period.start, &NoisePeriod::start) != fresh.end())
      continue;
    squares += period.squares;
    freedom += period.freedom;
  }
  return freedom >= 3 ? std::sqrt(squares / freedom) : 0;
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

  // 2. Cool-down: starting workers, then a window reaching back before the pool settled
  // (the auto-scaler's own shrinks excepted: their remaining workers' samples are
  // projected onto the smaller pool below).
  std::string starting;
  std::optional<TimePoint> settled_at = memory.last_grow_at;
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
  const bool period_usable = metrics.period.count() > 0;
  // Samples longer than the window: the window widens to one sample rather than
  // holding for ever.
  const seconds window = period_usable ? std::max(policy.window, metrics.period) : policy.window;
  // The window ends where the data is complete: a lagging source is judged on the
  // periods it has, not held for the ones still to come.
  const TimePoint data_end = std::min(now, metrics.complete_until.value_or(now));
  const TimePoint window_end = period_usable ? FloorToPeriod(data_end, metrics.period) : data_end;
  const TimePoint window_begin = window_end - window;
  const double midpoint = (policy.grow_threshold + policy.shrink_threshold) / 2;

  // 2a. Saturated: the balancer's count of the newest period says how short the pool is,
  // starting workers counted as capacity; grow at once, once per period.
  if (period_usable && n < policy.max_workers) {
    auto short_by = Saturated(pool, metrics, window_end, midpoint, memory.last_grow_at);
    // While workers start, the pool grows again only when even they, serving at full
    // CPU, could not carry the load: the CPU rule sizes it to the midpoint once they serve.
    const int needed = !short_by ? 0 : starting.empty() ? short_by->needed : short_by->needed_at_full_cpu;
    if (needed > n) {
      const int by_ratio = std::max(n + 1,
                                    static_cast<int>(std::ceil(n * policy.expand_ratio - kRoundingSlack)));
      const int target = std::min({needed, by_ratio, policy.max_workers});
      Decision d = Resize(
          n, target,
          short_by->reason + ", which needs " + Workers(needed) + " at " +
              (starting.empty() ? Threshold(midpoint) + " (the thresholds' midpoint)"
                                : "100%, counting " + starting + " as serving") +
              (needed > by_ratio ? ", at most x" + Number(policy.expand_ratio) + " per step" : ""));
      d.average_cpu = short_by->cpu;
      d.recommended_size = target;
      return d;
    }
  }
  if (!starting.empty()) {
    return Hold(n, "waiting for new workers' metrics: " + starting + " still starting");
  }
  // Right after the pool settled, CPU alone waits for a whole window measured since
  // (a saturated pool has grown above already).
  if (settled_at && window_begin < *settled_at) {
    return Hold(n, "waiting for new workers' metrics: the " + Span(window) +
                       " window still holds time from before the pool settled " + Span(now - *settled_at) +
                       " ago (judged again from " +
                       Span((period_usable ? CeilToPeriod(*settled_at + window, metrics.period)
                                           : *settled_at + window) -
                            data_end) +
                       " on)");
  }
  // 3. Bounds, whatever the metrics say (after the cool-down: a person who pressed grow
  // past the maximum is not overruled at the very next check).
  if (n < policy.min_workers) {
    return Resize(
        n, policy.min_workers,
        "pool of " + std::to_string(n) + " is below the minimum of " + std::to_string(policy.min_workers));
  }
  if (n > policy.max_workers) {
    return Resize(
        n, policy.max_workers,
        "pool of " + std::to_string(n) + " is above the maximum of " + std::to_string(policy.max_workers));
  }
  if (!period_usable) {
    return Hold(n, "the metrics have no sample period: no average can be taken");
  }

  // The pool's size when a sample was taken, as far as the auto-scaler's own shrinks
  // changed it since: the load a sample shows is then carried by fewer workers. A
  // sample whose period a shrink cut into counts as after it (checks come early in a
  // period, so most of it was).
  auto size_at = [&](TimePoint start) {
    for (const auto& shrink : memory.recent_shrinks) {
      if (shrink.at >= start + metrics.period) return shrink.from;
    }
    return n;
  };

  // 4 and 5. Every in-service worker's mean over the window, or a hold naming who lacks one.
  const auto stale_after = std::max(2 * policy.check_interval, 2 * metrics.period);
  double sum_of_means = 0;
  int in_service = 0;
  // Sum over the workers of the square of their samples' mean projection (rule 7's
  // standard error): a sample projected x2 carries twice its noise.
  double projection_squares = 0;
  for (const auto& w : pool.workers) {
    if (w.state != WorkerState::kInService) continue;
    const WorkerCpu* cpu = FindCpu(metrics, w.id);
    double sum = 0;
    double projection = 0;
    int count = 0;
    std::optional<TimePoint> newest_end;
    if (cpu != nullptr) {
      for (const auto& s : cpu->samples) {
        if (s.start < window_begin || s.start >= window_end || !std::isfinite(s.percent)) continue;
        const double projected_by = static_cast<double>(size_at(s.start)) / n;
        sum += s.percent * projected_by;
        projection += projected_by;
        ++count;
        const TimePoint end = s.start + metrics.period;
        if (!newest_end || end > *newest_end) newest_end = end;
      }
    }
    if (count == 0) {
      return Hold(n, "no CPU data for worker " + w.id + " in the past " + Span(window));
    }
    if (data_end - *newest_end > stale_after) {
      return Hold(n, "CPU data for worker " + w.id + " is stale: its newest sample ended " +
                         Span(data_end - *newest_end) +
                         (data_end == now ? " ago" : " before the metrics' complete end"));
    }
    sum_of_means += sum / count;
    projection_squares += (projection / count) * (projection / count);
    ++in_service;
  }
  // Rules 2 and 3 leave n >= 1 workers, none starting: all of them are in service.
  const double average = sum_of_means / in_service;
  std::string measured = "average CPU " + Percent(average) + " over " + Span(window);
  if (window > policy.window) {
    measured += " (the window widened from " + Span(policy.window) + " to one " + Span(metrics.period) +
                " sample)";
  }
  // CPU stops at 100%: beyond it, the balancer's requests say how far behind the pool is.
  double load = average;
  if (average >= kSaturatedCpu) {
    double offered = 0;
    double served = 0;
    for (const auto& r : metrics.requests) {
      if (r.start < window_begin || r.start >= window_end) continue;
      offered += r.offered;
      served += r.served;
    }
    if (served > 0 && offered > served) {
      load = average * offered / served;
      measured += ", with " + Percent(100 * (offered - served) / offered) +
                  " of the requests unserved (load " + Percent(load) + ")";
    }
  }
  const std::vector<NoisePeriod> noise = NoiseByPeriod(
      pool, metrics, window_end - std::max(window, policy.shrink_stabilisation), window_end);
  // One sample's noise, pooled with the periods remembered (rule 7), and the standard
  // error of the average: one worker's samples in the window count as one measurement
  // (the noise may be correlated in time), scaled by their projection, so sigma /
  // sqrt(n) without shrinks.
  const double sigma = PooledNoise(noise, memory.noise, now - kNoiseMemory);
  const double standard_error = sigma * std::sqrt(projection_squares) / in_service;
  auto with_average = [&](Decision d, int recommended) {
    d.average_cpu = average;
    d.recommended_size = recommended;
    d.noise = noise;
    return d;
  };

  // 6. Grow at once, to the size that carries the load at the midpoint, at most by the
  // expand ratio.
  if (load > policy.grow_threshold) {
    const std::string why = measured + " is above the grow threshold " + Threshold(policy.grow_threshold);
    if (n >= policy.max_workers) {
      return with_average(
          Hold(n, why + ", but the pool is at its maximum of " + std::to_string(policy.max_workers)), n);
    }
    // Noise that pushed the window over the threshold must not also size the pool: the
    // load read one standard error lighter, but not under the threshold it crossed.
    const double sized_load = std::max(load - standard_error, policy.grow_threshold);
    const int proportional = static_cast<int>(std::ceil(n * sized_load / midpoint - kRoundingSlack));
    const int by_ratio = std::max(n + 1,
                                  static_cast<int>(std::ceil(n * policy.expand_ratio - kRoundingSlack)));
    const int target = std::clamp(proportional, n + 1, std::min(by_ratio, policy.max_workers));
    std::string sized = ", sized to carry " +
                        (sized_load < load ? Percent(sized_load) + " (one standard error lighter)" : "it") +
                        " at " + Threshold(midpoint) + " (the thresholds' midpoint)";
    if (proportional > by_ratio) sized += ", at most x" + Number(policy.expand_ratio) + " per step";
    return with_average(Resize(n, target, why + sized), target);
  }
  // 7. Shrink: to the fewest workers that would carry the load at or below the
  // midpoint, no further than the shrink ratio per step, stabilised.
  if (average < policy.shrink_threshold) {
    std::string why = measured + " is below the shrink threshold " + Threshold(policy.shrink_threshold);
    if (n <= policy.min_workers) {
      return with_average(
          Hold(n, why + ", but the pool is at its minimum of " + std::to_string(policy.min_workers)), n);
    }
    // A load just above the threshold reads below it whenever noise pulls it down: only an
    // average under it by more than its standard error says the load is.
    if (average + standard_error >= policy.shrink_threshold) {
      return with_average(
          Hold(n, why + ", but by less than the standard error of the average (" + Percent(standard_error) +
                      " points, " + Percent(sigma) + " between workers)"),
          n);
    }
    const int fewest = std::max(policy.min_workers,
                                static_cast<int>(std::ceil(n * average / midpoint - kRoundingSlack)));
    if (fewest >= n) {
      return with_average(
          Hold(n, why + ", but " + Workers(n - 1) + " would carry " + Percent(average * n / (n - 1)) +
                      " each, above the thresholds' midpoint " + Threshold(midpoint)),
          n);
    }

    // Stabilisation over this check's recommendation and the remembered ones.
    const TimePoint span_begin = now - policy.shrink_stabilisation;
    int largest = fewest;
    for (const auto& r : memory.recommendations) {
      if (r.at >= span_begin && r.at <= now) largest = std::max(largest, r.size);
    }
    const TimePoint since = memory.recommending_since.value_or(now);
    if (now - since < policy.shrink_stabilisation) {
      return with_average(
          Hold(n, why + "; shrink to " + std::to_string(fewest) + " stabilising (recommendations seen for " +
                      Span(now - since) + " of " + Span(policy.shrink_stabilisation) + ")"),
          fewest);
    }
    if (largest >= n) {
      return with_average(Hold(n, why + "; but a check in the past " + Span(policy.shrink_stabilisation) +
                                      " recommended keeping " + Workers(largest)),
                          fewest);
    }
    if (largest > fewest) {
      why += "; the largest size recommended in the past " + Span(policy.shrink_stabilisation) + " is " +
             std::to_string(largest);
    }
    const int by_ratio = static_cast<int>(std::ceil(n * policy.shrink_ratio - kRoundingSlack));
    int target = std::min(std::max(largest, by_ratio), n - 1);
    if (target > largest) why += "; at most x" + Number(policy.shrink_ratio) + " per step";
    // Hysteresis against noise: the smaller pool's average, the load read two standard
    // errors heavier than it did, must stay three standard deviations of its noise under
    // the grow threshold, or noise alone grows it back.
    const double spread = sigma;
    auto reads_near_grow = [&](int size) {
      return (average + 2 * standard_error) * n / size + 3 * spread / std::sqrt(static_cast<double>(size)) >
             policy.grow_threshold;
    };
    const int sized = target;
    while (target < n && reads_near_grow(target)) ++target;
    if (target > sized) {
      const std::string noisy = Workers(sized) +
                                " would read within three standard deviations of the noise (" +
                                Percent(spread) + " points between workers) of the grow threshold " +
                                Threshold(policy.grow_threshold);
      if (target >= n) return with_average(Hold(n, why + "; but " + noisy), fewest);
      why += "; " + noisy;
    }
    return with_average(Resize(n, target, why), fewest);
  }

  // 8.
  return with_average(Hold(n, measured + " is within the thresholds (" + Threshold(policy.shrink_threshold) +
                                  " to " + Threshold(policy.grow_threshold) + ")"),
                      n);
}

ScalerMemory Remember(const ScalerMemory& memory, const ScalingPolicy& policy, const Decision& decision,
                      TimePoint now) {
  ScalerMemory next = memory;
  // The noise is the metrics', whatever the pool did since.
  for (const auto& period : decision.noise) {
    auto same = std::ranges::find(next.noise, period.start, &NoisePeriod::start);
    if (same != next.noise.end()) {
      *same = period;
    } else {
      next.noise.push_back(period);
    }
  }
  std::erase_if(next.noise, [&](const NoisePeriod& p) { return p.start < now - kNoiseMemory; });
  // Shrinks older than this describe no sample a window can hold.
  std::erase_if(next.recent_shrinks,
                [&](const ScalerMemory::Shrink& s) { return s.at < now - kShrinkMemory; });
  if (decision.action == Action::kGrow) {
    next.last_action_at = now;
    next.last_grow_at = now;
    next.last_action_direction = Direction::kGrow;
    next.recommendations.clear();
    next.recommending_since.reset();
    next.recent_shrinks.clear();
    return next;
  }
  if (decision.action == Action::kShrink) {
    // The run of recommendations goes on: the shrink's own remaining workers carry on
    // measuring the same load.
    next.last_action_at = now;
    next.last_action_direction = Direction::kShrink;
    next.recent_shrinks.push_back({now, decision.current_size});
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
  next.recent_shrinks.clear();
  next.recommendations.clear();
  next.recommending_since.reset();
  return next;
}

}  // namespace maskfleet::scaler
