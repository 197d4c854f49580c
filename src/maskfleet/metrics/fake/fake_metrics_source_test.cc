#include "maskfleet/metrics/fake/fake_metrics_source.h"

#include <gtest/gtest.h>

namespace maskfleet::metrics {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Values = std::vector<std::optional<double>>;

const Clock::TimePoint kMinute0(seconds(1'700'000'040));

TEST(metrics_FakeMetricsSourceTest, AnswersWhatWasSetWithGaps) {
  FakeMetricsSource fake;
  fake.Set("w1", Metric::kCpuPercent, kMinute0 + seconds(30), 40);  // rounded to minute 0
  fake.Set("w1", Metric::kCpuPercent, kMinute0 + minutes(1), 60);
  fake.Set("w2", Metric::kRequestsPerMinute, kMinute0, 0);
  const std::vector<std::string> ids = {"w1", "w2"};
  auto samples = fake.Samples(ids, MakeRange(kMinute0, kMinute0 + minutes(3)));
  ASSERT_TRUE(samples);
  EXPECT_EQ((*samples)[0].cpu_percent, (Values{40.0, 60.0, std::nullopt}));
  EXPECT_EQ((*samples)[1].requests_per_minute, (Values{0.0, std::nullopt, std::nullopt}));
  auto pool = fake.AverageCpu(ids, LastCompleteMinutes(kMinute0 + minutes(2), 2));
  ASSERT_TRUE(pool);
  EXPECT_DOUBLE_EQ(pool->average_percent.value_or(-1), 50.0);
  EXPECT_EQ(pool->workers_without_data, std::vector<std::string>{"w2"});
}

TEST(metrics_FakeMetricsSourceTest, RecordsCollectsAndPoolSizesAndFailsOnRequest) {
  FakeMetricsSource fake;
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", 1, WorkerPhase::kInService},
                                              {"w2", "127.0.0.1", 2, WorkerPhase::kStarting}};
  ASSERT_TRUE(fake.Collect(kMinute0, workers));
  ASSERT_EQ(fake.collect_calls().size(), 1u);
  EXPECT_EQ(fake.collect_calls()[0].workers.size(), 2u);
  auto sizes = fake.PoolSizes(MakeRange(kMinute0, kMinute0 + minutes(1)));
  ASSERT_TRUE(sizes);
  EXPECT_EQ((*sizes)[0], (PoolSize{1, 1}));

  fake.FailNext({ErrorCode::kUnavailable, "database down"});
  auto failed = fake.PoolSizes(MakeRange(kMinute0, kMinute0 + minutes(1)));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(fake.PoolSizes(MakeRange(kMinute0, kMinute0 + minutes(1))));
}

}  // namespace
}  // namespace maskfleet::metrics
