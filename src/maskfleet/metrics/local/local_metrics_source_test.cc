// LocalMetricsSource with a scripted CPU sampler, canned /metrics servers, a simulated
// clock and a real SQLite store (the store itself is tested on every back end in
// metric_store_test.cc).
#include "maskfleet/metrics/local/local_metrics_source.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "maskfleet/metrics/local/test_http_server.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::metrics::local {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using Values = std::vector<std::optional<double>>;

constexpr long long kBase = 1'700'000'040;  // a minute's start
std::chrono::sys_seconds Minute(int i) { return std::chrono::sys_seconds(seconds(kBase + 60 * i)); }

// CPU counters that the test moves forward by hand.
class ScriptedCpu {
 public:
  void Set(const std::string& id, double cpu_seconds, double allotment) {
    counters_[id] = {
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(cpu_seconds)),
        allotment};
  }
  void Add(const std::string& id, double cpu_seconds) {
    counters_[id].cpu_used += std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(cpu_seconds));
  }
  void Remove(const std::string& id) { counters_.erase(id); }
  CpuSampler Sampler() {
    return [this](const CollectTarget& w) -> Result<CpuCounterSample> {
      auto it = counters_.find(w.worker_id);
      if (it == counters_.end()) return MakeError(ErrorCode::kNotFound, "no process");
      return it->second;
    };
  }

 private:
  std::map<std::string, CpuCounterSample> counters_;
};

class metrics_LocalMetricsSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    ASSERT_TRUE(scratch) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    store_ = std::make_unique<MetricStore>(*db_);
    source_ = std::make_unique<LocalMetricsSource>(*store_, cpu_.Sampler());
  }
  void TearDown() override {
    source_.reset();
    store_.reset();
    scratch_.database.reset();
    scratch_.scratch.reset();
  }

  void CollectNow(const std::vector<CollectTarget>& workers) {
    Status st = source_->Collect(clock_.Now(), workers);
    ASSERT_TRUE(st) << st.error().ToString();
  }

  Values Cpu(const std::string& id, int from, int to) {
    auto series = store_->Series(id, Metric::kCpuPercent, {Minute(from), Minute(to)});
    EXPECT_TRUE(series) << series.error().ToString();
    return series ? *series : Values{};
  }

  SimulatedClock clock_{Clock::TimePoint(Minute(0))};
  ScriptedCpu cpu_;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<LocalMetricsSource> source_;
};

TEST_F(metrics_LocalMetricsSourceTest, CpuMinutesFromReadingsEveryTenSeconds) {
  // w1: allotment 0.5, 2.5 CPU-s per 10 s = 50 %; w2: allotment 1, 2 CPU-s = 20 %.
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", 0, WorkerPhase::kInService},
                                              {"w2", "127.0.0.1", 0, WorkerPhase::kInService}};
  cpu_.Set("w1", 100, 0.5);
  cpu_.Set("w2", 7, 1.0);
  for (int i = 0; i <= 7; ++i) {
    CollectNow(workers);
    clock_.Advance(seconds(10));
    cpu_.Add("w1", 2.5);
    cpu_.Add("w2", 2.0);
  }
  // Last pass at 70 s: minute 0 complete, minute 1 provisional over 10 s.
  const Values w1 = Cpu("w1", 0, 3);
  ASSERT_EQ(w1.size(), 3u);
  EXPECT_NEAR(w1[0].value_or(-1), 50.0, 1e-6);
  EXPECT_NEAR(w1[1].value_or(-1), 50.0, 1e-6);
  EXPECT_FALSE(w1[2]);
  EXPECT_NEAR(Cpu("w2", 0, 1)[0].value_or(-1), 20.0, 1e-6);

  const std::vector<std::string> ids = {"w1", "w2"};
  auto pool = source_->AverageCpu(ids, LastCompleteMinutes(Clock::TimePoint(Minute(1) + seconds(10)), 1));
  ASSERT_TRUE(pool) << pool.error().ToString();
  EXPECT_NEAR(pool->average_percent.value_or(-1), 35.0, 1e-6);
  EXPECT_EQ(pool->workers_with_data, 2);
}

TEST_F(metrics_LocalMetricsSourceTest, RequestMinutesFromTheWorkersMetrics) {
  testing::CannedMetricsServer server;
  server.Set(
      "# TYPE maskfleet_requests_minute_total gauge\n"
      "maskfleet_requests_minute_total{minute=\"" +
      std::to_string(kBase) +
      "\"} 0\n"
      "maskfleet_requests_minute_total{minute=\"" +
      std::to_string(kBase + 60) + "\"} 9\n");
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", server.port(), WorkerPhase::kInService}};
  clock_.Set(Clock::TimePoint(Minute(2) + seconds(5)));
  CollectNow(workers);
  server.Set("maskfleet_requests_minute_total{minute=\"" + std::to_string(kBase + 60) +
             "\"} 9\n"
             "maskfleet_requests_minute_total{minute=\"" +
             std::to_string(kBase + 120) + "\"} 4\n");
  clock_.Advance(minutes(1));
  CollectNow(workers);
  EXPECT_EQ(server.scrapes(), 2);

  const std::vector<std::string> ids = {"w1"};
  auto samples = source_->Samples(ids, {Minute(0), Minute(4)});
  ASSERT_TRUE(samples) << samples.error().ToString();
  ASSERT_EQ(samples->size(), 1u);
  // 0 requests (measured) is not the missing minute 3 (not yet complete).
  EXPECT_EQ((*samples)[0].requests_per_minute, (Values{0.0, 9.0, 4.0, std::nullopt}));
  // No CPU sampler entry for w1: no CPU data, which is not 0.
  EXPECT_EQ((*samples)[0].cpu_percent, (Values{std::nullopt, std::nullopt, std::nullopt, std::nullopt}));
}

TEST_F(metrics_LocalMetricsSourceTest, UnreachableWorkerIsSkippedNotAnError) {
  std::uint16_t closed_port = 0;
  {
    testing::CannedMetricsServer gone;
    closed_port = gone.port();
  }
  testing::CannedMetricsServer alive;
  alive.Set("maskfleet_requests_minute_total{minute=\"" + std::to_string(kBase) + "\"} 3\n");
  const std::vector<CollectTarget> workers = {{"down", "127.0.0.1", closed_port, WorkerPhase::kInService},
                                              {"up", "127.0.0.1", alive.port(), WorkerPhase::kInService}};
  cpu_.Set("down", 0, 1.0);
  clock_.Set(Clock::TimePoint(Minute(1)));
  CollectNow(workers);
  clock_.Advance(seconds(10));
  cpu_.Add("down", 5.0);
  CollectNow(workers);
  auto up = store_->Series("up", Metric::kRequestsPerMinute, {Minute(0), Minute(1)});
  ASSERT_TRUE(up);
  EXPECT_EQ(*up, (Values{3.0}));
  auto down = store_->Series("down", Metric::kRequestsPerMinute, {Minute(0), Minute(2)});
  ASSERT_TRUE(down);
  EXPECT_EQ(*down, (Values{std::nullopt, std::nullopt}));
  // Its CPU is measured all the same: 5 CPU-s in 10 s of one CPU.
  EXPECT_NEAR(Cpu("down", 1, 2)[0].value_or(-1), 50.0, 1e-6);
}

TEST_F(metrics_LocalMetricsSourceTest, PoolSizeCountsInServiceAndStarting) {
  std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", 0, WorkerPhase::kInService},
                                        {"w2", "127.0.0.1", 0, WorkerPhase::kStarting},
                                        {"w3", "127.0.0.1", 0, WorkerPhase::kDraining}};
  CollectNow(workers);
  clock_.Advance(seconds(30));
  workers[1].phase = WorkerPhase::kInService;
  CollectNow(workers);  // the minute's last observation wins
  clock_.Advance(minutes(2));
  CollectNow({});
  auto sizes = source_->PoolSizes({Minute(0), Minute(3)});
  ASSERT_TRUE(sizes) << sizes.error().ToString();
  EXPECT_EQ(*sizes, (std::vector<std::optional<PoolSize>>{PoolSize{2, 0}, std::nullopt, PoolSize{0, 0}}));
}

TEST_F(metrics_LocalMetricsSourceTest, AWorkerThatLeftIsForgotten) {
  // Away for a pass, w1's counter is not spread over the time it was not followed.
  const std::vector<CollectTarget> with = {{"w1", "127.0.0.1", 0, WorkerPhase::kInService}};
  cpu_.Set("w1", 0, 1.0);
  CollectNow(with);
  clock_.Advance(seconds(10));
  cpu_.Add("w1", 1.0);  // 10 %
  CollectNow(with);
  clock_.Advance(seconds(10));
  cpu_.Add("w1", 10.0);
  CollectNow({});
  clock_.Advance(seconds(10));
  cpu_.Add("w1", 10.0);
  CollectNow(with);  // a new baseline
  clock_.Advance(seconds(10));
  cpu_.Add("w1", 3.0);  // 30 %
  CollectNow(with);
  // Followed anew, the minute's figure is what the new follow saw: 3 CPU-s in 10 s
  // (the store keeps no coverage to merge with; see local_metrics_source.h).
  EXPECT_NEAR(Cpu("w1", 0, 1)[0].value_or(-1), 30.0, 1e-6);
}

TEST_F(metrics_LocalMetricsSourceTest, CounterResetOfAReplacedProcessAttributesNothing) {
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", 0, WorkerPhase::kInService}};
  cpu_.Set("w1", 50, 1.0);
  CollectNow(workers);
  clock_.Advance(seconds(10));
  cpu_.Set("w1", 1, 1.0);
  CollectNow(workers);
  EXPECT_EQ(Cpu("w1", 0, 1), (Values{std::nullopt}));
  clock_.Advance(seconds(10));
  cpu_.Add("w1", 4);
  CollectNow(workers);
  EXPECT_NEAR(Cpu("w1", 0, 1)[0].value_or(-1), 40.0, 1e-6);
}

TEST_F(metrics_LocalMetricsSourceTest, RetentionDeletesOldMinutes) {
  LocalMetricsSourceOptions options;
  options.retention = minutes(60);
  options.retention_every = minutes(1);
  source_ = std::make_unique<LocalMetricsSource>(*store_, cpu_.Sampler(), options);
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", 0, WorkerPhase::kInService}};
  cpu_.Set("w1", 0, 1.0);
  CollectNow(workers);
  clock_.Advance(seconds(10));
  cpu_.Add("w1", 1);
  CollectNow(workers);
  EXPECT_TRUE(Cpu("w1", 0, 1)[0]);
  clock_.Advance(minutes(61));
  CollectNow(workers);
  EXPECT_FALSE(Cpu("w1", 0, 1)[0]);
  auto sizes = source_->PoolSizes({Minute(0), Minute(1)});
  ASSERT_TRUE(sizes);
  EXPECT_FALSE((*sizes)[0]);
}

TEST_F(metrics_LocalMetricsSourceTest, WithoutACpuSamplerOnlyRequestsAreCollected) {
  source_ = std::make_unique<LocalMetricsSource>(*store_, CpuSampler{});
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", 0, WorkerPhase::kInService}};
  CollectNow(workers);
  clock_.Advance(seconds(10));
  CollectNow(workers);
  EXPECT_EQ(Cpu("w1", 0, 1), (Values{std::nullopt}));
}

// The balancer's counters, moved forward by hand.
class ScriptedBalancer {
 public:
  BalancerCounter Counter() {
    return [this]() -> Result<BalancerCounterSample> {
      if (down_) return MakeError(ErrorCode::kUnavailable, "haproxy is down");
      return sample_;
    };
  }
  void Add(std::uint64_t offered, std::uint64_t served) {
    sample_.offered += offered;
    sample_.served += served;
  }
  void Restart(std::string generation) { sample_ = {std::move(generation), 0, 0}; }
  void SetDown(bool down) { down_ = down; }

 private:
  BalancerCounterSample sample_{"100-1", 5000, 4000};
  bool down_ = false;
};

class metrics_LocalMetricsSourceBalancerTest : public metrics_LocalMetricsSourceTest {
 protected:
  void SetUp() override {
    metrics_LocalMetricsSourceTest::SetUp();
    source_ = std::make_unique<LocalMetricsSource>(*store_, cpu_.Sampler(), balancer_.Counter());
  }
  // Passes every 10 s for `seconds_long`, the balancer counting `offered` and `served`
  // per 10 s; the clock ends at the last pass.
  void Steady(int seconds_long, std::uint64_t offered, std::uint64_t served) {
    for (int s = 0; s < seconds_long; s += 10) {
      clock_.Advance(seconds(10));
      balancer_.Add(offered, served);
      CollectNow({});
    }
  }
  std::vector<BalancerMinute> Stored(int from, int to) {
    auto stored = store_->BalancerMinutes({Minute(from), Minute(to)});
    EXPECT_TRUE(stored) << stored.error().ToString();
    return stored ? *stored : std::vector<BalancerMinute>{};
  }

  ScriptedBalancer balancer_;
};

TEST_F(metrics_LocalMetricsSourceBalancerTest, CountsAreStoredPerEndedMinuteAndAnsweredPerPeriod) {
  CollectNow({});       // the first reading, at minute 0's start
  Steady(150, 50, 40);  // 5 offered and 4 served per second, until 2:30
  EXPECT_EQ(Stored(0, 5), (std::vector<BalancerMinute>{{Minute(0), 300, 240}, {Minute(1), 300, 240}}));

  auto periods = source_->RecentRequests(Clock::TimePoint(Minute(0)), clock_.Now(), seconds(60));
  ASSERT_TRUE(periods) << periods.error().ToString();
  EXPECT_EQ(*periods, (std::vector<RequestPeriod>{{Clock::TimePoint(Minute(0)), 5, 4},
                                                  {Clock::TimePoint(Minute(1)), 5, 4}}));
  // A period shorter than a minute, from the readings in memory: 2:00-2:20.
  auto short_periods = source_->RecentRequests(Clock::TimePoint(Minute(2)), clock_.Now(), seconds(20));
  ASSERT_TRUE(short_periods) << short_periods.error().ToString();
  EXPECT_EQ(*short_periods, (std::vector<RequestPeriod>{{Clock::TimePoint(Minute(2)), 5, 4}}));
  EXPECT_FALSE(source_->RecentRequests(Clock::TimePoint(Minute(0)), clock_.Now(), seconds(0)));
}

TEST_F(metrics_LocalMetricsSourceBalancerTest, ARestartedManagerAnswersTheMinutesAnEarlierOneStored) {
  CollectNow({});
  Steady(130, 60, 30);
  // A new manager: nothing in memory, the same database.
  source_ = std::make_unique<LocalMetricsSource>(*store_, cpu_.Sampler(), balancer_.Counter());
  auto periods = source_->RecentRequests(Clock::TimePoint(Minute(0)), clock_.Now(), seconds(60));
  ASSERT_TRUE(periods) << periods.error().ToString();
  EXPECT_EQ(*periods, (std::vector<RequestPeriod>{{Clock::TimePoint(Minute(0)), 6, 3},
                                                  {Clock::TimePoint(Minute(1)), 6, 3}}));
  // Its first pass is a baseline: the minute it is in is counted from there on.
  CollectNow({});
  Steady(60, 60, 30);
  EXPECT_EQ(Stored(2, 3), (std::vector<BalancerMinute>{{Minute(2), 360, 180}}));
}

TEST_F(metrics_LocalMetricsSourceBalancerTest, ARestartedBalancerCountsNoNegativeNorHugeMinute) {
  CollectNow({});
  Steady(30, 100, 100);
  // HAProxy restarts: its counters start again at 0, then pass the old ones within the
  // next pass; the interval across the restart counts nothing.
  balancer_.Restart("200-7");
  balancer_.Add(20'000, 20'000);
  clock_.Advance(seconds(10));
  CollectNow({});
  Steady(30, 100, 100);
  const std::vector<BalancerMinute> stored = Stored(0, 1);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NEAR(stored[0].offered, 600, 1e-9);  // 10 per second over the 50 s seen, times 60
  EXPECT_NEAR(stored[0].served, 600, 1e-9);
}

TEST_F(metrics_LocalMetricsSourceBalancerTest, AFailedReadSkipsThePassOnly) {
  CollectNow({});
  Steady(20, 20, 20);
  balancer_.SetDown(true);
  Steady(10, 20, 20);  // read fails; the next interval spans 20 s
  balancer_.SetDown(false);
  Steady(30, 20, 20);
  EXPECT_EQ(Stored(0, 1), (std::vector<BalancerMinute>{{Minute(0), 120, 120}}));
}

TEST_F(metrics_LocalMetricsSourceTest, WithoutABalancerCounterThereAreNoCounts) {
  CollectNow({});
  clock_.Advance(minutes(2));
  CollectNow({});
  auto periods = source_->RecentRequests(Clock::TimePoint(Minute(0)), clock_.Now(), seconds(60));
  ASSERT_TRUE(periods) << periods.error().ToString();
  EXPECT_TRUE(periods->empty());
}

}  // namespace
}  // namespace maskfleet::metrics::local
