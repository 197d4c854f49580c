// What every MetricsSource must answer, run on each implementation: the fake, and the
// local source (a scripted CPU counter, a real SQLite store) in metrics_contract_test;
// the CloudWatch source on the moto test bed in metrics_cloudwatch_contract_test (this
// file built with MASKFLEET_METRICS_CONTRACT_CLOUDWATCH: one moto server for the
// binary). Another implementation joins with one Implementation line at the end: an
// environment that makes its source and can make it measure given CPU figures for a
// minute (the local one through two collection passes, a cloud one by putting the data
// points and reading them once they count as published).
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "maskfleet/metrics/fake/fake_metrics_source.h"
#include "maskfleet/metrics/local/local_metrics_source.h"
#include "maskfleet/metrics/metric_store.h"
#include "maskfleet/metrics/metrics_source.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/testing/test_database.h"
#ifdef MASKFLEET_METRICS_CONTRACT_CLOUDWATCH
#include <ctime>

#include "maskfleet/aws/testing/moto_bed.h"
#include "maskfleet/metrics/cloudwatch/cloudwatch_metrics_source.h"
#endif

namespace maskfleet::metrics {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

constexpr long long kBase = 1'700'000'040;  // a minute's start
sys_seconds Minute(int i) { return sys_seconds(std::chrono::seconds(kBase + 60 * i)); }

class Environment {
 public:
  virtual ~Environment() = default;
  virtual MetricsSource& source() = 0;
  // Afterwards the source has measured each worker of `cpu` at its percentage of its
  // allotment over the whole minute that starts at `minute`, and nothing else in it.
  virtual void MeasureCpu(sys_seconds minute, const std::map<std::string, double>& cpu) = 0;
  // When the measurement of `minute` is over: the end of the minute for a source that
  // measures itself, later for one whose service publishes data with a delay (the
  // source reads the minute once it counts as published).
  virtual Clock::TimePoint MeasuredAt(sys_seconds minute) const { return minute + 60s; }
};

class FakeEnvironment : public Environment {
 public:
  MetricsSource& source() override { return fake_; }
  void MeasureCpu(sys_seconds minute, const std::map<std::string, double>& cpu) override {
    for (const auto& [id, percent] : cpu) fake_.Set(id, Metric::kCpuPercent, minute, percent);
  }

 private:
  FakeMetricsSource fake_;
};

class LocalEnvironment : public Environment {
 public:
  LocalEnvironment() {
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    EXPECT_TRUE(scratch) << scratch.error().ToString();
    if (!scratch) return;
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    store_ = std::make_unique<MetricStore>(*db_);
    source_ = std::make_unique<local::LocalMetricsSource>(
        *store_, [this](const CollectTarget& w) -> Result<local::CpuCounterSample> {
          auto it = counters_.find(w.worker_id);
          if (it == counters_.end()) return MakeError(ErrorCode::kNotFound, "no such process");
          return local::CpuCounterSample{it->second, 1.0};
        });
  }
  MetricsSource& source() override { return *source_; }
  // Two passes, at the minute's start and end, with the counters moved by the CPU time
  // each percentage of one CPU makes in 60 s.
  void MeasureCpu(sys_seconds minute, const std::map<std::string, double>& cpu) override {
    std::vector<CollectTarget> targets;
    for (const auto& [id, percent] : cpu) {
      targets.push_back({id, "127.0.0.1", 0, WorkerPhase::kInService});
      counters_.try_emplace(id, 0ns);
    }
    Status first = source_->Collect(minute, targets);
    ASSERT_TRUE(first) << first.error().ToString();
    for (const auto& [id, percent] : cpu) {
      counters_[id] += std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::duration<double>(60.0 * percent / 100.0));
    }
    Status second = source_->Collect(minute + 60s, targets);
    ASSERT_TRUE(second) << second.error().ToString();
  }

 private:
  SimulatedClock clock_;
  std::map<std::string, std::chrono::nanoseconds> counters_;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<local::LocalMetricsSource> source_;
};

#ifdef MASKFLEET_METRICS_CONTRACT_CLOUDWATCH
// A CloudWatch source reading the moto test bed as the manager user, with its store on
// SQLite. The contract's workers ("a", "b") and minutes are the same in every test,
// and the bed is shared by the binary, so each environment works in a region of its
// own (moto keeps regions apart). EC2's CPUUtilization is put by the bed's admin, as
// EC2 would publish it.
class CloudWatchEnvironment : public Environment {
 public:
  CloudWatchEnvironment() : bed_(aws::testing::RequireMotoBed()) {
    static const char* const kRegions[] = {"us-east-2", "us-west-1",    "us-west-2",      "eu-west-1",
                                           "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-northeast-1"};
    static std::size_t environments = 0;
    region_ = kRegions[environments++ % std::size(kRegions)];
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    EXPECT_TRUE(scratch) << scratch.error().ToString();
    if (!scratch) return;
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    store_ = std::make_unique<MetricStore>(*db_);
    source_ = std::make_unique<cloudwatch::CloudWatchMetricsSource>(*store_, Client("manager"), options_);
  }
  MetricsSource& source() override { return *source_; }
  void MeasureCpu(sys_seconds minute, const std::map<std::string, double>& cpu) override {
    const std::time_t t = minute.time_since_epoch().count();
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    std::shared_ptr<aws::Client> admin = Client("admin");
    std::vector<CollectTarget> targets;
    for (const auto& [id, percent] : cpu) {
      auto put = admin->Query(aws::kCloudWatch, "PutMetricData",
                              {{"Namespace", "AWS/EC2"},
                               {"MetricData.member.1.MetricName", "CPUUtilization"},
                               {"MetricData.member.1.Dimensions.member.1.Name", "InstanceId"},
                               {"MetricData.member.1.Dimensions.member.1.Value", id},
                               {"MetricData.member.1.Timestamp", stamp},
                               {"MetricData.member.1.Value", std::to_string(percent)},
                               {"MetricData.member.1.Unit", "Percent"}},
                              aws::Idempotency::kIdempotent);
      ASSERT_TRUE(put) << put.error().ToString();
      targets.push_back({id, "10.0.0.1", 8081, WorkerPhase::kInService});
    }
    Status read = source_->Collect(MeasuredAt(minute), targets);
    ASSERT_TRUE(read) << read.error().ToString();
  }
  Clock::TimePoint MeasuredAt(sys_seconds minute) const override {
    return minute + 60s + options_.publication_delay;
  }

 private:
  std::shared_ptr<aws::Client> Client(const std::string& user) const {
    aws::ClientOptions options = bed_.OptionsFor(user);
    options.region = region_;
    return std::make_shared<aws::Client>(std::move(options));
  }

  aws::testing::MotoBed& bed_;
  std::string region_;
  const cloudwatch::CloudWatchMetricsSourceOptions options_;
  SimulatedClock clock_;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<cloudwatch::CloudWatchMetricsSource> source_;
};
#endif

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<Environment>()> make;
};

void PrintTo(const Implementation& implementation, std::ostream* os) { *os << implementation.name; }

class MetricsContractTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override { env_ = GetParam().make(); }
  MetricsSource& source() { return env_->source(); }
  std::unique_ptr<Environment> env_;
};

TEST_P(MetricsContractTest, AMeasuredMinuteIsAnsweredByEveryQuery) {
  env_->MeasureCpu(Minute(0), {{"a", 40}, {"b", 80}});
  const std::vector<std::string> ids{"b", "a", "ghost"};
  Result<std::vector<WorkerSeries>> series = source().Samples(ids, {Minute(-1), Minute(2)});
  ASSERT_TRUE(series) << series.error().ToString();
  ASSERT_EQ(series->size(), 3u);
  EXPECT_EQ((*series)[0].worker_id, "b");  // in the order asked
  EXPECT_EQ((*series)[1].worker_id, "a");
  EXPECT_EQ((*series)[2].worker_id, "ghost");
  for (const WorkerSeries& s : *series) {
    ASSERT_EQ(s.cpu_percent.size(), 3u) << s.worker_id;
    EXPECT_FALSE(s.cpu_percent[0]) << s.worker_id;  // not measured: no data, not 0
    EXPECT_FALSE(s.cpu_percent[2]) << s.worker_id;
    EXPECT_EQ(s.requests_per_minute.size(), 3u);
  }
  ASSERT_TRUE((*series)[0].cpu_percent[1]);
  EXPECT_NEAR(*(*series)[0].cpu_percent[1], 80, 1e-6);
  ASSERT_TRUE((*series)[1].cpu_percent[1]);
  EXPECT_NEAR(*(*series)[1].cpu_percent[1], 40, 1e-6);
  EXPECT_FALSE((*series)[2].cpu_percent[1]);

  Result<PoolCpu> both = source().AverageCpu(std::vector<std::string>{"a", "b"}, {Minute(0), Minute(1)});
  ASSERT_TRUE(both) << both.error().ToString();
  ASSERT_TRUE(both->average_percent);
  EXPECT_NEAR(*both->average_percent, 60, 1e-6);
  EXPECT_EQ(both->workers_with_data, 2);
  Result<PoolCpu> with_ghost = source().AverageCpu(std::vector<std::string>{"a", "ghost"},
                                                   {Minute(0), Minute(1)});
  ASSERT_TRUE(with_ghost);
  EXPECT_NEAR(with_ghost->average_percent.value_or(-1), 40, 1e-6);
  EXPECT_EQ(with_ghost->workers_without_data, std::vector<std::string>{"ghost"});

  Result<std::vector<std::string>> workers = source().WorkersWithData({Minute(-1), Minute(2)});
  ASSERT_TRUE(workers) << workers.error().ToString();
  EXPECT_EQ(*workers, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(source().WorkersWithData({Minute(1), Minute(3)}).value().empty());

  Result<std::vector<WorkerCpuPeriods>> recent = source().RecentCpu(
      std::vector<std::string>{"a", "ghost"}, Minute(-1), Minute(2), std::chrono::seconds(60));
  ASSERT_TRUE(recent) << recent.error().ToString();
  ASSERT_EQ(recent->size(), 2u);
  ASSERT_EQ((*recent)[0].periods.size(), 1u);
  EXPECT_EQ((*recent)[0].periods[0].start, Minute(0));
  EXPECT_NEAR((*recent)[0].periods[0].percent, 40, 1e-6);
  EXPECT_TRUE((*recent)[1].periods.empty());
}

TEST_P(MetricsContractTest, DataIsCompleteAtLeastUpToTheEndOfAMeasuredMinuteAndNeverAfterNow) {
  env_->MeasureCpu(Minute(0), {{"a", 50}});
  const Clock::TimePoint measured = env_->MeasuredAt(Minute(0));
  for (const Clock::TimePoint now : {measured, measured + 1s, measured + 4min}) {
    const Clock::TimePoint complete = source().CompleteUntil(now);
    EXPECT_LE(complete, now);
    EXPECT_GE(complete, Clock::TimePoint(Minute(1)));
  }
}

TEST_P(MetricsContractTest, CollectRecordsThePoolSizeOfItsMinute) {
  const std::vector<CollectTarget> pool{{"a", "127.0.0.1", 0, WorkerPhase::kInService},
                                        {"b", "127.0.0.1", 0, WorkerPhase::kStarting},
                                        {"c", "127.0.0.1", 0, WorkerPhase::kDraining},
                                        {"d", "127.0.0.1", 0, WorkerPhase::kInService}};
  // Workers that cannot be measured (no port, no counter) are no error.
  ASSERT_TRUE(source().Collect(Clock::TimePoint(Minute(3) + 10s), pool));
  Result<std::vector<std::optional<PoolSize>>> sizes = source().PoolSizes({Minute(2), Minute(4)});
  ASSERT_TRUE(sizes) << sizes.error().ToString();
  ASSERT_EQ(sizes->size(), 2u);
  EXPECT_FALSE((*sizes)[0]);
  ASSERT_TRUE((*sizes)[1]);
  EXPECT_EQ(*(*sizes)[1], (PoolSize{.in_service = 2, .starting = 1}));
}

TEST_P(MetricsContractTest, QueriesCoverAtMost24Hours) {
  const MinuteRange day{Minute(0), Minute(24 * 60)};
  const MinuteRange over{Minute(0), Minute(24 * 60 + 1)};
  const std::vector<std::string> ids{"a"};
  EXPECT_TRUE(source().Samples(ids, day));
  EXPECT_TRUE(source().AverageCpu(ids, day));
  EXPECT_TRUE(source().PoolSizes(day));
  EXPECT_TRUE(source().WorkersWithData(day));
  EXPECT_EQ(source().Samples(ids, over).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(source().AverageCpu(ids, over).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(source().PoolSizes(over).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(source().WorkersWithData(over).error().code, ErrorCode::kInvalidArgument);
}

#ifdef MASKFLEET_METRICS_CONTRACT_CLOUDWATCH
INSTANTIATE_TEST_SUITE_P(
    metrics, MetricsContractTest,
    ::testing::Values(Implementation{"cloudwatch", [] { return std::make_unique<CloudWatchEnvironment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });
#else
INSTANTIATE_TEST_SUITE_P(
    metrics, MetricsContractTest,
    ::testing::Values(Implementation{"fake", [] { return std::make_unique<FakeEnvironment>(); }},
                      Implementation{"local", [] { return std::make_unique<LocalEnvironment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });
#endif

}  // namespace
}  // namespace maskfleet::metrics
