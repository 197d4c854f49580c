#include "maskfleet/sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <random>

#include "maskfleet/common/clock.h"

namespace maskfleet::sim {
namespace {

using scaler::WorkerState;
using std::chrono::seconds;
using TimePoint = Clock::TimePoint;

// Gaussian noise from a generator whose sequence the standard fixes (std::mt19937_64),
// turned into normal deviates by Box-Muller here: std::normal_distribution's algorithm
// is left to the library, and the figures in docs/results.md must not depend on it.
class Noise {
 public:
  Noise(std::uint64_t seed, double stddev) : engine_(seed), stddev_(stddev) {}
  double Next() {
    if (stddev_ == 0) return 0;
    if (spare_) {
      const double v = *spare_;
      spare_.reset();
      return v * stddev_;
    }
    // Uniform in (0, 1]: 53 random bits, never 0 (log(0) is -inf).
    const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    return r * std::cos(2 * std::numbers::pi * u2) * stddev_;
  }

 private:
  std::mt19937_64 engine_;
  double stddev_;
  std::optional<double> spare_;
};

struct SimWorker {
  int number = 0;  // w<number>
  std::int64_t launched_at = 0;
  std::int64_t in_service_at = 0;  // when it came (or comes) into service
  bool in_service = false;
  // The CPU of the sample period under way: sum of per-second utilisation (0..1) over
  // the seconds it was in service.
  double busy_sum = 0;
  int busy_seconds = 0;
  std::vector<scaler::CpuSample> samples;
};

std::string Id(int number) { return "w" + std::to_string(number); }

}  // namespace

TimePoint SimulationStart(const Scenario& scenario) {
  const std::int64_t period = std::max<std::int64_t>(1, scenario.sample_period.count());
  const std::int64_t step = std::lcm(period, std::int64_t{60});
  return TimePoint(seconds(1'700'000'000 / step * step));
}

Trace Simulate(const Scenario& scenario, Controller& controller) {
  Trace trace;
  trace.scenario = scenario.name;
  trace.controller = std::string(controller.name());
  const std::int64_t duration = scenario.duration.count();
  const std::int64_t period = scenario.sample_period.count();
  const std::int64_t check = scenario.policy.check_interval.count();
  const std::int64_t boot = scenario.boot_delay.count();
  const double capacity = scenario.worker_capacity;
  const TimePoint t0 = SimulationStart(scenario);
  // Samples older than this are of no use to any controller.
  const std::int64_t keep = scenario.policy.window.count() + 3 * period;

  SimulatedClock clock(t0);
  Noise noise(scenario.seed, scenario.cpu_noise);
  std::vector<SimWorker> workers;
  int next_number = 1;
  for (int i = 0; i < scenario.initial_workers; ++i) {
    workers.push_back({.number = next_number++, .launched_at = -3600 - boot, .in_service_at = -3600, .in_service = true});
  }
  trace.demand.reserve(static_cast<std::size_t>(duration));
  trace.in_service.reserve(static_cast<std::size_t>(duration));
  trace.starting.reserve(static_cast<std::size_t>(duration));

  // Per CSV minute: demand, and the samples that start in it.
  const std::size_t minute_count = static_cast<std::size_t>((duration + 59) / 60);
  std::vector<double> minute_demand(minute_count, 0);
  std::vector<int> minute_seconds(minute_count, 0);
  std::vector<double> minute_cpu_sum(minute_count, 0);
  std::vector<int> minute_cpu_count(minute_count, 0);
  std::vector<std::pair<int, int>> minute_pool(minute_count);  // in service, starting at its end
  std::vector<std::optional<CheckRecord>> minute_check(minute_count);

  auto counts = [&] {
    int in = 0;
    for (const auto& w : workers) in += w.in_service ? 1 : 0;
    return std::pair<int, int>{in, static_cast<int>(workers.size()) - in};
  };

  for (std::int64_t t = 0; t < duration; ++t) {
    clock.Set(t0 + seconds(t));
    // 1. Workers whose boot is over.
    for (auto& w : workers) {
      if (!w.in_service && w.in_service_at <= t) w.in_service = true;
    }

    // 2. The check, and carrying out its answer.
    if (t % check == 0) {
      scaler::PoolState pool;
      scaler::MetricsView view;
      view.period = scenario.sample_period;
      for (auto& w : workers) {
        pool.workers.push_back({.id = Id(w.number),
                                .state = w.in_service ? WorkerState::kInService : WorkerState::kStarting,
                                .launched_at = t0 + seconds(w.launched_at),
                                .state_since = t0 + seconds(w.in_service ? w.in_service_at : w.launched_at)});
        std::erase_if(w.samples, [&](const scaler::CpuSample& s) { return s.start < clock.Now() - seconds(keep); });
        if (!w.samples.empty()) view.workers.push_back({Id(w.number), w.samples});
      }
      CheckRecord record;
      record.at = seconds(t);
      std::tie(record.in_service, record.starting) = counts();
      record.decision = controller.Check(pool, view, clock.Now());
      const int n = static_cast<int>(workers.size());
      const int target = record.decision.action == scaler::Action::kHold ? n : record.decision.target_size;
      for (int i = n; i < target; ++i) {
        workers.push_back({.number = next_number++, .launched_at = t, .in_service_at = t + boot, .in_service = boot == 0});
      }
      if (target < n) {
        // The newest first: starting workers (launched last), then the youngest in service.
        std::stable_sort(workers.begin(), workers.end(), [](const SimWorker& a, const SimWorker& b) {
          return a.launched_at != b.launched_at ? a.launched_at < b.launched_at : a.number < b.number;
        });
        workers.resize(static_cast<std::size_t>(std::max(target, 0)));
      }
      trace.checks.push_back(record);
      auto& slot = minute_check[static_cast<std::size_t>(t / 60)];
      if (!slot || !slot->Resized() || record.Resized()) slot = record;
    }

    // 3. The second [t, t + 1).
    const double demand = DemandAt(scenario, static_cast<double>(t) + 0.5);
    const auto [in_service, starting] = counts();
    const double serving = in_service * capacity;
    const double served = std::min(demand, serving);
    trace.requests += demand;
    trace.unserved_requests += demand - served;
    const double utilisation = in_service > 0 ? served / serving : 0;
    for (auto& w : workers) {
      if (!w.in_service) continue;
      w.busy_sum += utilisation;
      ++w.busy_seconds;
    }
    trace.demand.push_back(demand);
    trace.in_service.push_back(in_service);
    trace.starting.push_back(starting);
    const auto minute = static_cast<std::size_t>(t / 60);
    minute_demand[minute] += demand;
    ++minute_seconds[minute];

    // 4. The end of a sample period: one sample per worker that served in it.
    if ((t + 1) % period == 0) {
      const std::int64_t start = t + 1 - period;
      for (auto& w : workers) {
        if (w.busy_seconds == 0) continue;
        const double mean = 100.0 * w.busy_sum / w.busy_seconds;
        const double percent = std::clamp(mean + noise.Next(), 0.0, 100.0);
        w.samples.push_back({t0 + seconds(start), percent});
        if (start >= 0) {
          minute_cpu_sum[static_cast<std::size_t>(start / 60)] += percent;
          ++minute_cpu_count[static_cast<std::size_t>(start / 60)];
        }
        w.busy_sum = 0;
        w.busy_seconds = 0;
      }
    }
    if ((t + 1) % 60 == 0 || t + 1 == duration) minute_pool[minute] = counts();
  }

  for (std::size_t m = 0; m < minute_count; ++m) {
    MinuteRow row;
    row.minute = static_cast<int>(m);
    row.demand = minute_seconds[m] > 0 ? minute_demand[m] / minute_seconds[m] : 0;
    std::tie(row.in_service, row.starting) = minute_pool[m];
    if (minute_cpu_count[m] > 0) row.average_cpu = minute_cpu_sum[m] / minute_cpu_count[m];
    row.check = minute_check[m];
    trace.minutes.push_back(row);
  }
  return trace;
}

}  // namespace maskfleet::sim
