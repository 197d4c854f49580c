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

// Uniform numbers and Poisson counts from a generator the standard fixes, by
// algorithms written out here for the same reason as Noise's.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // In [0, 1).
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Knuth's multiplication method, in slices of at most 30 per draw (exp(-30) is far
  // from underflow).
  int Poisson(double mean) {
    int total = 0;
    while (mean > 0) {
      const double slice = std::min(mean, 30.0);
      mean -= slice;
      const double limit = std::exp(-slice);
      double product = Uniform();
      while (product > limit) {
        ++total;
        product *= Uniform();
      }
    }
    return total;
  }

 private:
  std::mt19937_64 engine_;
};

struct SimWorker {
  int number = 0;  // w<number>
  std::int64_t launched_at = 0;
  std::int64_t in_service_at = 0;  // when it came (or comes) into service
  bool in_service = false;
  // The launch fails: at in_service_at the worker is gone instead.
  bool fails = false;
  // Poisson arrivals: when the worker's queue runs dry (seconds since the start), the
  // work it admitted (seconds of service) and had done by the start of this second.
  double busy_until = 0;
  double admitted_work = 0;
  double done_work = 0;
  // The noise of its previous sample (correlated noise).
  std::optional<double> last_noise;
  // When each of `samples` becomes visible (seconds since the start).
  std::vector<std::int64_t> visible_at;
  // The CPU of the sample period under way: sum of per-second utilisation (0..1) over
  // the seconds it was in service.
  double busy_sum = 0;
  int busy_seconds = 0;
  std::vector<scaler::CpuSample> samples;
};

std::string Id(int number) { return "w" + std::to_string(number); }

// The balancer's count of one sample period.
struct PeriodRequests {
  scaler::RequestSample sample;
  std::int64_t visible_at = 0;
};

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
  const std::int64_t delay = scenario.metrics_delay.count();
  const double capacity = scenario.worker_capacity;
  const bool poisson = scenario.arrivals == ArrivalProcess::kPoisson;
  const double service_time = 1.0 / capacity;
  const TimePoint t0 = SimulationStart(scenario);
  // Samples older than this are of no use to any controller.
  const std::int64_t keep = std::max(scenario.policy.window, scenario.policy.shrink_stabilisation).count() +
                            3 * period + delay;
  // The correlation of one worker's noise from one sample to the next.
  const double rho = scenario.noise_correlation.count() > 0
                         ? std::exp(-static_cast<double>(period) /
                                    static_cast<double>(scenario.noise_correlation.count()))
                         : 0.0;

  SimulatedClock clock(t0);
  Noise noise(scenario.seed, scenario.cpu_noise);
  Random random(scenario.arrival_seed);
  std::vector<SimWorker> workers;
  int next_number = 1;
  for (int i = 0; i < scenario.initial_workers; ++i) {
    workers.push_back(
        {.number = next_number++, .launched_at = -3600 - boot, .in_service_at = -3600, .in_service = true});
  }
  std::vector<PeriodRequests> requests;
  double period_offered = 0;
  double period_served = 0;
  std::size_t round_robin = 0;
  if (poisson) trace.latency_histogram.assign(kLatencyBuckets, 0);
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
    // 1. Workers whose boot is over: in service, or gone when the launch failed.
    std::erase_if(workers, [&](const SimWorker& w) {
      const bool failed = !w.in_service && w.fails && w.in_service_at <= t;
      trace.failed_boots += failed ? 1 : 0;
      return failed;
    });
    for (auto& w : workers) {
      if (!w.in_service && w.in_service_at <= t) {
        w.in_service = true;
        w.busy_until = static_cast<double>(t);
      }
    }

    // 2. The check, and carrying out its answer.
    if (t % check == 0) {
      scaler::PoolState pool;
      scaler::MetricsView view;
      view.period = scenario.sample_period;
      if (delay > 0) view.complete_until = clock.Now() - seconds(delay);
      for (auto& w : workers) {
        pool.workers.push_back({.id = Id(w.number),
                                .state = w.in_service ? WorkerState::kInService : WorkerState::kStarting,
                                .launched_at = t0 + seconds(w.launched_at),
                                .state_since = t0 + seconds(w.in_service ? w.in_service_at : w.launched_at)});
        for (std::size_t i = 0; i < w.samples.size();) {
          if (w.samples[i].start < clock.Now() - seconds(keep)) {
            w.samples.erase(w.samples.begin() + static_cast<std::ptrdiff_t>(i));
            w.visible_at.erase(w.visible_at.begin() + static_cast<std::ptrdiff_t>(i));
          } else {
            ++i;
          }
        }
        scaler::WorkerCpu cpu{Id(w.number), {}};
        for (std::size_t i = 0; i < w.samples.size(); ++i) {
          if (w.visible_at[i] <= t) cpu.samples.push_back(w.samples[i]);
        }
        if (!cpu.samples.empty()) view.workers.push_back(std::move(cpu));
      }
      std::erase_if(requests,
                    [&](const PeriodRequests& r) { return r.sample.start < clock.Now() - seconds(keep); });
      for (const auto& r : requests) {
        if (r.visible_at <= t) view.requests.push_back(r.sample);
      }
      CheckRecord record;
      record.at = seconds(t);
      std::tie(record.in_service, record.starting) = counts();
      record.decision = controller.Check(pool, view, clock.Now());
      const int n = static_cast<int>(workers.size());
      const int target = record.decision.action == scaler::Action::kHold ? n : record.decision.target_size;
      for (int i = n; i < target; ++i) {
        std::int64_t boots = boot;
        bool fails = false;
        // No draw when nothing varies, so that runs without spread or failures replay as before.
        if (scenario.boot_jitter.count() > 0) {
          const double spread = (2 * random.Uniform() - 1) *
                                static_cast<double>(scenario.boot_jitter.count());
          boots = std::max<std::int64_t>(0, boot + std::llround(spread));
        }
        if (scenario.boot_failure > 0) fails = random.Uniform() < scenario.boot_failure;
        workers.push_back({.number = next_number++,
                           .launched_at = t,
                           .in_service_at = t + boots,
                           .in_service = boots == 0 && !fails,
                           .fails = fails,
                           .busy_until = static_cast<double>(t)});
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
    if (!poisson) {
      const double serving = in_service * capacity;
      const double served = std::min(demand, serving);
      trace.requests += demand;
      trace.unserved_requests += demand - served;
      period_offered += demand;
      period_served += served;
      const double utilisation = in_service > 0 ? served / serving : 0;
      for (auto& w : workers) {
        if (!w.in_service) continue;
        w.busy_sum += utilisation;
        ++w.busy_seconds;
      }
    } else {
      const int arrivals = random.Poisson(demand);
      std::vector<double> times(static_cast<std::size_t>(arrivals));
      for (double& a : times) a = static_cast<double>(t) + random.Uniform();
      std::ranges::sort(times);
      std::vector<SimWorker*> serving;
      for (auto& w : workers) {
        if (w.in_service) serving.push_back(&w);
      }
      int served = 0;
      for (double a : times) {
        if (serving.empty()) continue;
        SimWorker& w = *serving[round_robin++ % serving.size()];
        const double wait = std::max(0.0, w.busy_until - a);
        const double ahead = std::ceil(wait / service_time - 1e-9);
        if (scenario.admission_limit > 0 && ahead >= scenario.admission_limit) continue;
        w.busy_until = std::max(a, w.busy_until) + service_time;
        w.admitted_work += service_time;
        // The slack keeps a latency of exactly k buckets in bucket k despite rounding.
        const auto bucket = static_cast<std::size_t>((w.busy_until - a) / kLatencyBucketSeconds + 1e-6);
        ++trace.latency_histogram[std::min(bucket, kLatencyBuckets - 1)];
        ++served;
      }
      trace.requests += arrivals;
      trace.unserved_requests += arrivals - served;
      period_offered += arrivals;
      period_served += served;
      const double end = static_cast<double>(t + 1);
      for (SimWorker* w : serving) {
        const double done = w->admitted_work - std::max(0.0, w->busy_until - end);
        w->busy_sum += std::clamp(done - w->done_work, 0.0, 1.0);
        w->done_work = done;
        ++w->busy_seconds;
      }
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
        const double fresh = noise.Next();
        const double error = w.last_noise ? rho * *w.last_noise + std::sqrt(1 - rho * rho) * fresh : fresh;
        w.last_noise = error;
        const double percent = std::clamp(mean + error, 0.0, 100.0);
        w.samples.push_back({t0 + seconds(start), percent});
        w.visible_at.push_back(t + 1 + delay);
        if (start >= 0) {
          minute_cpu_sum[static_cast<std::size_t>(start / 60)] += percent;
          ++minute_cpu_count[static_cast<std::size_t>(start / 60)];
        }
        w.busy_sum = 0;
        w.busy_seconds = 0;
      }
      requests.push_back({{.start = t0 + seconds(start),
                           .offered = period_offered / static_cast<double>(period),
                           .served = period_served / static_cast<double>(period)},
                          t + 1 + delay});
      period_offered = 0;
      period_served = 0;
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
