// MetricStore against every configured back end (SQLite always; PostgreSQL and MariaDB
// when scripts/test-services.sh's variables are set).
#include "maskfleet/metrics/metric_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::metrics {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr long long kBase = 1'700'000'040;  // a minute's start
std::chrono::sys_seconds Minute(int i) { return std::chrono::sys_seconds(seconds(kBase + 60 * i)); }
MinuteRange Range(int from, int to) { return {Minute(from), Minute(to)}; }

class MetricStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string server;
    if (GetParam() != "sqlite") {
      server = storage::testing::ServerUrlFromEnvironment(GetParam());
      if (server.empty()) GTEST_SKIP() << "no " << GetParam() << " server configured";
    }
    auto scratch = storage::testing::ScratchDatabase::Create(GetParam(), server);
    ASSERT_TRUE(scratch) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    auto db = Open();
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    store_ = std::make_unique<MetricStore>(*db_);
  }

  void TearDown() override {
    store_.reset();
    db_.reset();
    scratch_.reset();
  }

  Result<std::unique_ptr<storage::Database>> Open() {
    storage::DatabaseOptions options;
    options.url = scratch_->url();
    options.migrations = schema::Maskfleet();
    options.pool_size = 2;
    return storage::Database::Open(options, clock_);
  }

  void Put(const std::string& worker, Metric metric, int minute, double value) {
    MetricSample sample{worker, metric, Minute(minute), value};
    auto st = store_->Upsert(std::span<const MetricSample>(&sample, 1));
    ASSERT_TRUE(st) << st.error().ToString();
  }

  SimulatedClock clock_;
  std::unique_ptr<storage::testing::ScratchDatabase> scratch_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<MetricStore> store_;
};

using Values = std::vector<std::optional<double>>;

TEST_P(MetricStoreTest, SeriesHasGapsWhereNothingWasStored) {
  Put("w1", Metric::kCpuPercent, 1, 12.5);
  Put("w1", Metric::kCpuPercent, 3, 0.0);
  Put("w1", Metric::kRequestsPerMinute, 2, 40);
  Put("w2", Metric::kCpuPercent, 2, 99);
  auto cpu = store_->Series("w1", Metric::kCpuPercent, Range(0, 5));
  ASSERT_TRUE(cpu) << cpu.error().ToString();
  // Minute 3 measured idle (0) is not minute 4 never measured (nullopt).
  EXPECT_EQ(*cpu, (Values{std::nullopt, 12.5, std::nullopt, 0.0, std::nullopt}));
  auto requests = store_->Series("w1", Metric::kRequestsPerMinute, Range(0, 5));
  ASSERT_TRUE(requests);
  EXPECT_EQ(*requests, (Values{std::nullopt, std::nullopt, 40.0, std::nullopt, std::nullopt}));
  // The range's end is exclusive.
  auto inner = store_->Series("w1", Metric::kCpuPercent, Range(1, 3));
  ASSERT_TRUE(inner);
  EXPECT_EQ(*inner, (Values{12.5, std::nullopt}));
}

TEST_P(MetricStoreTest, ALaterValueOfTheSameMinuteReplacesIt) {
  Put("w1", Metric::kCpuPercent, 0, 30);
  Put("w1", Metric::kCpuPercent, 0, 42.25);
  auto cpu = store_->Series("w1", Metric::kCpuPercent, Range(0, 1));
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, (Values{42.25}));
}

TEST_P(MetricStoreTest, BatchUpsertIsOneTransaction) {
  std::vector<MetricSample> batch;
  for (int m = 0; m < 30; ++m) batch.push_back({"w1", Metric::kRequestsPerMinute, Minute(m), 1.0 * m});
  batch.push_back({"w1", Metric::kRequestsPerMinute, Minute(5), 500});  // later wins
  ASSERT_TRUE(store_->Upsert(batch));
  auto series = store_->Series("w1", Metric::kRequestsPerMinute, Range(0, 30));
  ASSERT_TRUE(series);
  for (int m = 0; m < 30; ++m) EXPECT_EQ((*series)[m], m == 5 ? 500.0 : 1.0 * m) << m;
}

TEST_P(MetricStoreTest, InvalidSamplesStoreNothing) {
  std::vector<MetricSample> batch = {{"w1", Metric::kCpuPercent, Minute(0), 1},
                                     {"w1", Metric::kCpuPercent, Minute(1) + seconds(1), 2}};
  auto unaligned = store_->Upsert(batch);
  ASSERT_FALSE(unaligned);
  EXPECT_EQ(unaligned.error().code, ErrorCode::kInvalidArgument);
  batch[1] = {"w1", Metric::kCpuPercent, Minute(1), std::numeric_limits<double>::quiet_NaN()};
  EXPECT_EQ(store_->Upsert(batch).error().code, ErrorCode::kInvalidArgument);
  batch[1] = {std::string(kMaxWorkerIdLength + 1, 'w'), Metric::kCpuPercent, Minute(1), 2};
  EXPECT_EQ(store_->Upsert(batch).error().code, ErrorCode::kInvalidArgument);
  batch[1] = {"", Metric::kCpuPercent, Minute(1), 2};
  EXPECT_EQ(store_->Upsert(batch).error().code, ErrorCode::kInvalidArgument);
  auto series = store_->Series("w1", Metric::kCpuPercent, Range(0, 2));
  ASSERT_TRUE(series);
  EXPECT_EQ(*series, (Values{std::nullopt, std::nullopt}));
}

TEST_P(MetricStoreTest, RangeLongerThanADayIsInvalid) {
  auto series = store_->Series("w1", Metric::kCpuPercent, Range(0, 24 * 60 + 1));
  ASSERT_FALSE(series);
  EXPECT_EQ(series.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->Series("w1", Metric::kCpuPercent, Range(0, 24 * 60)));
  // An empty or reversed range answers nothing.
  auto empty = store_->Series("w1", Metric::kCpuPercent, Range(5, 3));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST_P(MetricStoreTest, WorkerIdsCompareByteForByte) {
  const std::vector<std::string> ids = {"w1", "W1", "w1 ", "i-0abc'; DROP TABLE metric_samples;--", "名前 😀"};
  for (std::size_t i = 0; i < ids.size(); ++i) Put(ids[i], Metric::kCpuPercent, 0, 1.0 + i);
  auto samples = store_->Samples(ids, Range(0, 1));
  ASSERT_TRUE(samples) << samples.error().ToString();
  ASSERT_EQ(samples->size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ((*samples)[i].worker_id, ids[i]);
    EXPECT_EQ((*samples)[i].cpu_percent, (Values{1.0 + i})) << ids[i];
  }
}

TEST_P(MetricStoreTest, SamplesGivesBothSeriesInTheOrderAsked) {
  Put("w1", Metric::kCpuPercent, 0, 10);
  Put("w1", Metric::kRequestsPerMinute, 1, 7);
  Put("w2", Metric::kCpuPercent, 1, 20);
  const std::vector<std::string> ids = {"w2", "nobody", "w1"};
  auto samples = store_->Samples(ids, Range(0, 2));
  ASSERT_TRUE(samples);
  ASSERT_EQ(samples->size(), 3u);
  EXPECT_EQ((*samples)[0].worker_id, "w2");
  EXPECT_EQ((*samples)[0].cpu_percent, (Values{std::nullopt, 20.0}));
  EXPECT_EQ((*samples)[0].requests_per_minute, (Values{std::nullopt, std::nullopt}));
  EXPECT_EQ((*samples)[1].cpu_percent, (Values{std::nullopt, std::nullopt}));
  EXPECT_EQ((*samples)[2].cpu_percent, (Values{10.0, std::nullopt}));
  EXPECT_EQ((*samples)[2].requests_per_minute, (Values{std::nullopt, 7.0}));
}

TEST_P(MetricStoreTest, AverageCpuWeighsEveryWorkerTheSame) {
  // w1: 40 and 60 over the two minutes (mean 50); w2: only minute 2 measured, 80;
  // w3 (starting, not asked about) 100; w4 asked about but without data.
  // Average: (50 + 80) / 2 = 65.
  Put("w1", Metric::kCpuPercent, 1, 40);
  Put("w1", Metric::kCpuPercent, 2, 60);
  Put("w2", Metric::kCpuPercent, 2, 80);
  Put("w3", Metric::kCpuPercent, 2, 100);
  Put("w1", Metric::kCpuPercent, 0, 1000);      // outside the window
  Put("w4", Metric::kRequestsPerMinute, 2, 5);  // requests are not CPU
  const std::vector<std::string> in_service = {"w1", "w2", "w4"};
  auto pool = store_->AverageCpu(in_service, Range(1, 3));
  ASSERT_TRUE(pool) << pool.error().ToString();
  ASSERT_TRUE(pool->average_percent);
  EXPECT_DOUBLE_EQ(*pool->average_percent, 65.0);
  EXPECT_EQ(pool->workers_with_data, 2);
  EXPECT_EQ(pool->workers_without_data, std::vector<std::string>{"w4"});
}

TEST_P(MetricStoreTest, AverageCpuWithoutAnyDataIsMissingNotZero) {
  const std::vector<std::string> ids = {"w1"};
  auto pool = store_->AverageCpu(ids, Range(0, 2));
  ASSERT_TRUE(pool);
  EXPECT_FALSE(pool->average_percent);
  EXPECT_EQ(pool->workers_with_data, 0);
  auto none = store_->AverageCpu({}, Range(0, 2));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->average_percent);
}

TEST_P(MetricStoreTest, PoolSizesPerMinuteWithTheLatestObservation) {
  ASSERT_TRUE(store_->UpsertPoolSize(Minute(1), {1, 0}));
  ASSERT_TRUE(store_->UpsertPoolSize(Minute(1), {1, 2}));
  ASSERT_TRUE(store_->UpsertPoolSize(Minute(3), {3, 0}));
  auto sizes = store_->PoolSizes(Range(0, 4));
  ASSERT_TRUE(sizes) << sizes.error().ToString();
  EXPECT_EQ(*sizes, (std::vector<std::optional<PoolSize>>{std::nullopt, PoolSize{1, 2}, std::nullopt,
                                                          PoolSize{3, 0}}));
  EXPECT_EQ(store_->UpsertPoolSize(Minute(1) + seconds(30), {1, 0}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->UpsertPoolSize(Minute(1), {-1, 0}).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(MetricStoreTest, RetentionDeletesOnlyOlderMinutes) {
  Put("w1", Metric::kCpuPercent, 0, 1);
  Put("w1", Metric::kCpuPercent, 1, 2);
  Put("w2", Metric::kRequestsPerMinute, 0, 3);
  Put("w1", Metric::kCpuPercent, 2, 4);
  ASSERT_TRUE(store_->UpsertPoolSize(Minute(0), {1, 0}));
  ASSERT_TRUE(store_->UpsertPoolSize(Minute(2), {1, 0}));
  auto deleted = store_->DeleteBefore(Minute(2));
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(*deleted, 4);
  auto cpu = store_->Series("w1", Metric::kCpuPercent, Range(0, 3));
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, (Values{std::nullopt, std::nullopt, 4.0}));
  auto sizes = store_->PoolSizes(Range(0, 3));
  ASSERT_TRUE(sizes);
  EXPECT_EQ(*sizes, (std::vector<std::optional<PoolSize>>{std::nullopt, std::nullopt, PoolSize{1, 0}}));
}

TEST_P(MetricStoreTest, LatestMinute) {
  auto none = store_->LatestMinute("w1", Metric::kRequestsPerMinute);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  Put("w1", Metric::kRequestsPerMinute, 7, 1);
  Put("w1", Metric::kRequestsPerMinute, 3, 1);
  Put("w1", Metric::kCpuPercent, 9, 1);
  auto latest = store_->LatestMinute("w1", Metric::kRequestsPerMinute);
  ASSERT_TRUE(latest);
  EXPECT_EQ(*latest, Minute(7));
}

TEST_P(MetricStoreTest, WorkersWithSamplesInARange) {
  Put("w2", Metric::kCpuPercent, 3, 10);
  Put("w1", Metric::kRequestsPerMinute, 4, 5);
  Put("w1", Metric::kCpuPercent, 4, 5);
  Put("w3", Metric::kCpuPercent, 9, 1);
  auto ids = store_->WorkersWithSamples({Minute(3), Minute(9)});
  ASSERT_TRUE(ids) << ids.error().ToString();
  EXPECT_EQ(*ids, (std::vector<std::string>{"w1", "w2"}));
  auto none = store_->WorkersWithSamples({Minute(10), Minute(20)});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(MetricStoreTest, HistorySurvivesReopening) {
  Put("w1", Metric::kCpuPercent, 0, 33);
  ASSERT_TRUE(store_->UpsertPoolSize(Minute(0), {2, 1}));
  store_.reset();
  db_.reset();
  auto db = Open();
  ASSERT_TRUE(db) << db.error().ToString();
  db_ = std::move(*db);
  store_ = std::make_unique<MetricStore>(*db_);
  auto cpu = store_->Series("w1", Metric::kCpuPercent, Range(0, 1));
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, (Values{33.0}));
  auto sizes = store_->PoolSizes(Range(0, 1));
  ASSERT_TRUE(sizes);
  EXPECT_EQ((*sizes)[0], (PoolSize{2, 1}));
}

TEST_P(MetricStoreTest, BalancerMinutesAreReplacedAnsweredInOrderAndRetained) {
  const std::vector<BalancerMinute> first = {{Minute(3), 120, 100}, {Minute(1), 60, 60}, {Minute(2), 0, 0}};
  ASSERT_TRUE(store_->UpsertBalancerMinutes(first));
  const std::vector<BalancerMinute> again = {{Minute(3), 130, 90}};
  ASSERT_TRUE(store_->UpsertBalancerMinutes(again));
  auto stored = store_->BalancerMinutes(Range(0, 5));
  ASSERT_TRUE(stored) << stored.error().ToString();
  // Minute 2 counted no request (0) is there; minutes 0 and 4, never counted, are not.
  EXPECT_EQ(*stored,
            (std::vector<BalancerMinute>{{Minute(1), 60, 60}, {Minute(2), 0, 0}, {Minute(3), 130, 90}}));
  auto inner = store_->BalancerMinutes(Range(2, 3));
  ASSERT_TRUE(inner);
  EXPECT_EQ(*inner, (std::vector<BalancerMinute>{{Minute(2), 0, 0}}));
  EXPECT_EQ(store_->BalancerMinutes({Minute(0), Minute(0) + minutes(kMaxQueryMinutes + 1)}).error().code,
            ErrorCode::kInvalidArgument);

  auto deleted = store_->DeleteBefore(Minute(2));
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  EXPECT_EQ(*deleted, 1);
  stored = store_->BalancerMinutes(Range(0, 5));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->size(), 2u);
}

TEST_P(MetricStoreTest, InvalidBalancerMinutesStoreNothing) {
  const std::vector<std::vector<BalancerMinute>> invalid = {
      {{Minute(1), 1, 1}, {Minute(2) + seconds(1), 1, 1}},
      {{Minute(1), 1, 1}, {Minute(2), -1, 0}},
      {{Minute(1), 1, 1}, {Minute(2), 1, std::numeric_limits<double>::quiet_NaN()}},
      {{Minute(1), 1, 1}, {Minute(2), std::numeric_limits<double>::infinity(), 1}}};
  for (const auto& batch : invalid) {
    EXPECT_EQ(store_->UpsertBalancerMinutes(batch).error().code, ErrorCode::kInvalidArgument);
  }
  auto stored = store_->BalancerMinutes(Range(0, 5));
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->empty());
}

INSTANTIATE_TEST_SUITE_P(metrics, MetricStoreTest, ::testing::ValuesIn(storage::testing::TestBackendNames()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace maskfleet::metrics
