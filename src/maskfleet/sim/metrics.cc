#include "maskfleet/sim/metrics.h"

#include <algorithm>
#include <cmath>

namespace maskfleet::sim {

using std::chrono::seconds;

EvaluationOptions EvaluationOptionsFor(const Scenario& scenario) {
  return {.worker_capacity = scenario.worker_capacity,
          .target_utilisation = scenario.target_utilisation,
          .settling = scenario.settling,
          .segments = Segments(scenario)};
}

std::optional<seconds> ElasticityFigures::LongestSettling() const {
  std::optional<seconds> longest;
  for (const StepFigures& step : steps) {
    if (step.judged && (!longest || step.settling_time > *longest)) longest = step.settling_time;
  }
  return longest;
}

int WorkersNeeded(double demand, double worker_capacity, double target_utilisation) {
  const double per_worker = worker_capacity * target_utilisation / 100.0;
  // The slack keeps 14 req/s at 7 per worker at 2 workers despite rounding.
  const double needed = std::ceil(demand / per_worker - 1e-9);
  return std::max(1, static_cast<int>(needed));
}

ElasticityFigures Evaluate(const Trace& trace, const EvaluationOptions& options) {
  ElasticityFigures f;
  const std::size_t total = trace.demand.size();
  if (total == 0) return f;
  double under = 0;
  double over = 0;
  std::size_t under_seconds = 0;
  std::size_t over_seconds = 0;
  double paid_seconds = 0;
  for (std::size_t t = 0; t < total; ++t) {
    const int d = WorkersNeeded(trace.demand[t], options.worker_capacity, options.target_utilisation);
    const int s = trace.in_service[t];
    if (s < d) {
      under += static_cast<double>(d - s) / d;
      ++under_seconds;
    } else if (s > d) {
      over += static_cast<double>(s - d) / d;
      ++over_seconds;
    }
    paid_seconds += s + (t < trace.starting.size() ? trace.starting[t] : 0);
  }
  const double n = static_cast<double>(total);
  f.under_accuracy = 100.0 * under / n;
  f.over_accuracy = 100.0 * over / n;
  f.under_timeshare = 100.0 * static_cast<double>(under_seconds) / n;
  f.over_timeshare = 100.0 * static_cast<double>(over_seconds) / n;
  f.unserved_percent = trace.requests > 0 ? 100.0 * trace.unserved_requests / trace.requests : 0;
  f.worker_minutes = paid_seconds / 60.0;

  int previous_direction = 0;
  for (const CheckRecord& c : trace.checks) {
    if (!c.Resized()) continue;
    ++f.resizes;
    if (c.starting > 0) ++f.resizes_while_booting;
    bool in_constant_load = false;
    for (const LoadSegment& seg : options.segments) {
      if (seg.HasConstantLoadPeriod() && c.at >= seg.steady_from && c.at < seg.end) in_constant_load = true;
    }
    f.resizes_in_constant_load += in_constant_load ? 1 : 0;
    const int direction = c.decision.target_size > c.decision.current_size ? 1 : -1;
    if (previous_direction != 0 && direction != previous_direction) {
      ++f.direction_changes;
      f.direction_changes_in_constant_load += in_constant_load ? 1 : 0;
    }
    previous_direction = direction;
  }

  std::uint64_t latencies = 0;
  for (std::uint64_t count : trace.latency_histogram) latencies += count;
  if (latencies > 0) {
    // The smallest bucket bound below which at least 99% of the requests fall.
    const std::uint64_t wanted = (latencies * 99 + 99) / 100;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < trace.latency_histogram.size(); ++b) {
      seen += trace.latency_histogram[b];
      if (seen >= wanted) {
        f.p99_latency_seconds = static_cast<double>(b + 1) * kLatencyBucketSeconds;
        break;
      }
    }
  }

  for (std::size_t i = 1; i < options.segments.size(); ++i) {
    const LoadSegment& seg = options.segments[i];
    if (!seg.constant) continue;
    const auto begin = static_cast<std::size_t>(seg.begin.count());
    const auto end = std::min(static_cast<std::size_t>(seg.end.count()), total);
    if (begin >= end) continue;
    StepFigures step;
    step.segment = seg;
    step.final_supply = trace.in_service[end - 1];
    std::size_t last_change = begin;
    int highest = trace.in_service[begin];
    int lowest = trace.in_service[begin];
    for (std::size_t t = begin + 1; t < end; ++t) {
      if (trace.in_service[t] != trace.in_service[t - 1]) last_change = t;
      highest = std::max(highest, trace.in_service[t]);
      lowest = std::min(lowest, trace.in_service[t]);
    }
    step.settling_time = seconds(static_cast<std::int64_t>(last_change - begin));
    step.judged = seg.HasConstantLoadPeriod();
    step.settled = step.judged && step.settling_time <= options.settling;
    if (seg.rate > seg.rate_before) {
      step.overshoot = highest - step.final_supply;
    } else if (seg.rate < seg.rate_before) {
      step.overshoot = step.final_supply - lowest;
    } else {
      step.overshoot = std::max(highest - step.final_supply, step.final_supply - lowest);
    }
    f.steps.push_back(step);
  }
  return f;
}

}  // namespace maskfleet::sim
