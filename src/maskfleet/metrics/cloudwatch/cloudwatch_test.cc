// The CloudWatch metrics source and the workers' request-count publisher: against the
// moto test bed (authentication on: the worker publishes, the manager reads), and on
// recorded answers for what moto cannot show (batches of 250 workers, NextToken).
#include <gtest/gtest.h>

#include "maskfleet/aws/fake_transport.h"
#include "maskfleet/aws/testing/moto_bed.h"
#include "maskfleet/metrics/cloudwatch/cloudwatch_metrics_source.h"
#include "maskfleet/metrics/cloudwatch/cloudwatch_request_count_publisher.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::metrics::cloudwatch {
namespace {

using namespace std::chrono_literals;

class metrics_CloudWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = storage::testing::ScratchDatabase::Create("sqlite", "");
    ASSERT_TRUE(scratch) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    storage::DatabaseOptions options;
    options.url = scratch_->url();
    options.migrations = schema::Maskfleet();
    auto db = storage::Database::Open(options, RealClock());
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    store_ = std::make_unique<MetricStore>(*db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    scratch_.reset();
  }

  std::unique_ptr<storage::testing::ScratchDatabase> scratch_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<MetricStore> store_;
};

// Puts EC2's CPUUtilization for `instance` as EC2 itself would (as the bed's admin).
void PutCpu(aws::testing::MotoBed& bed, const std::string& instance, std::chrono::sys_seconds minute,
            double percent) {
  auto admin = bed.ClientFor("admin");
  const std::time_t t = minute.time_since_epoch().count();
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  auto put = admin->Query(aws::kCloudWatch, "PutMetricData",
                          {{"Namespace", "AWS/EC2"},
                           {"MetricData.member.1.MetricName", "CPUUtilization"},
                           {"MetricData.member.1.Dimensions.member.1.Name", "InstanceId"},
                           {"MetricData.member.1.Dimensions.member.1.Value", instance},
                           {"MetricData.member.1.Timestamp", stamp},
                           {"MetricData.member.1.Value", std::to_string(percent)},
                           {"MetricData.member.1.Unit", "Percent"}},
                          aws::Idempotency::kIdempotent);
  ASSERT_TRUE(put) << put.error().ToString();
}

constexpr char kLoadBalancer[] = "app/maskf-Entry/50dc6c495c0c9188";
constexpr char kTargetGroup[] = "targetgroup/maskf-Worke-ABC/0123456789abcdef";

std::string Stamp(std::chrono::sys_seconds at) {
  const std::time_t t = at.time_since_epoch().count();
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return stamp;
}

// Puts one of the ALB's metrics as the ALB itself would (as the bed's admin; moto makes
// none): `count` at `at`, with the dimension LoadBalancer, and TargetGroup for a target
// metric ("HTTPCode_Target_...").
void PutAlb(aws::testing::MotoBed& bed, const std::string& metric, std::chrono::sys_seconds at, double count,
            const std::string& load_balancer = kLoadBalancer) {
  auto admin = bed.ClientFor("admin");
  aws::Parameters params = {{"Namespace", "AWS/ApplicationELB"},
                            {"MetricData.member.1.MetricName", metric},
                            {"MetricData.member.1.Dimensions.member.1.Name", "LoadBalancer"},
                            {"MetricData.member.1.Dimensions.member.1.Value", load_balancer},
                            {"MetricData.member.1.Timestamp", Stamp(at)},
                            {"MetricData.member.1.Value", std::to_string(count)},
                            {"MetricData.member.1.Unit", "Count"}};
  if (metric.starts_with("HTTPCode_Target_")) {
    params.emplace_back("MetricData.member.1.Dimensions.member.2.Name", "TargetGroup");
    params.emplace_back("MetricData.member.1.Dimensions.member.2.Value", kTargetGroup);
  }
  auto put = admin->Query(aws::kCloudWatch, "PutMetricData", params, aws::Idempotency::kIdempotent);
  ASSERT_TRUE(put) << put.error().ToString();
}

TEST_F(metrics_CloudWatchTest, WorkerPublishesManagerReadsBothSeries) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  const auto now = RealClock().Now();
  const auto m1 = MinuteOf(now) - 3min, m2 = MinuteOf(now) - 2min;
  CloudWatchRequestCountPublisher publisher(std::shared_ptr<aws::Client>(bed.ClientFor("worker")),
                                            {.instance_id = "i-0000000000000aaa1"});
  ASSERT_TRUE(publisher.Publish(std::vector<RequestMinute>{{m1, 17}, {m2, 0}}));
  EXPECT_TRUE(publisher.Pending().empty());
  // Published again (a lost answer, a restart): the manager still reads 17, not 34.
  CloudWatchRequestCountPublisher again(std::shared_ptr<aws::Client>(bed.ClientFor("worker")),
                                        {.instance_id = "i-0000000000000aaa1"});
  ASSERT_TRUE(again.Publish(std::vector<RequestMinute>{{m1, 17}}));
  PutCpu(bed, "i-0000000000000aaa1", m1, 40.0);
  PutCpu(bed, "i-0000000000000aaa1", m2, 60.5);

  CloudWatchMetricsSource source(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("manager")));
  const std::vector<CollectTarget> workers{
      {.worker_id = "i-0000000000000aaa1", .phase = WorkerPhase::kInService},
      {.worker_id = "i-0000000000000bbb2", .phase = WorkerPhase::kStarting}};
  EXPECT_EQ(source.CompleteUntil(now), MinuteOf(now - 3min));  // nothing read: "now" less the delay
  ASSERT_TRUE(source.Collect(now, workers));
  // Later, without another read: complete only up to what the read could know.
  EXPECT_EQ(source.CompleteUntil(now + 10min), MinuteOf(now - 3min));
  const std::vector<std::string> ids{"i-0000000000000aaa1", "i-0000000000000bbb2"};
  const MinuteRange range{m1, m2 + 1min};
  auto series = source.Samples(ids, range);
  ASSERT_TRUE(series) << series.error().ToString();
  EXPECT_EQ((*series)[0].cpu_percent, (std::vector<std::optional<double>>{40.0, 60.5}));
  EXPECT_EQ((*series)[0].requests_per_minute, (std::vector<std::optional<double>>{17.0, 0.0}));
  // The worker with no data has none (never 0).
  EXPECT_EQ((*series)[1].cpu_percent, (std::vector<std::optional<double>>{std::nullopt, std::nullopt}));
  EXPECT_EQ(source.PoolSizes({MinuteOf(now), MinuteOf(now) + 1min}).value().at(0),
            (PoolSize{.in_service = 1, .starting = 1}));
  auto average = source.AverageCpu(ids, range);
  ASSERT_TRUE(average);
  EXPECT_DOUBLE_EQ(average->average_percent.value(), 50.25);
  EXPECT_EQ(average->workers_without_data, std::vector<std::string>{"i-0000000000000bbb2"});
}

// A worker that left the pool is read on while its last minutes may still change: its
// late CPU reaches the charts; a worker with nothing stored in the lookback is not read.
TEST_F(metrics_CloudWatchTest, DepartedWorkerIsReadUntilItsMinutesAreFinal) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  const auto now = RealClock().Now();
  const auto m1 = MinuteOf(now) - 3min, m2 = MinuteOf(now) - 2min;
  const std::string gone = "i-0000000000000ccc3", never = "i-0000000000000ddd4";
  PutCpu(bed, gone, m1, 30.0);
  CloudWatchMetricsSourceOptions options;
  options.read_every = 0s;
  CloudWatchMetricsSource source(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("manager")), options);
  const std::vector<CollectTarget> before{{.worker_id = gone, .phase = WorkerPhase::kInService}};
  ASSERT_TRUE(source.Collect(now, before));
  // It leaves; CloudWatch then receives its last minute, and a minute of a worker the
  // store never had.
  PutCpu(bed, gone, m2, 80.0);
  PutCpu(bed, never, m2, 10.0);
  ASSERT_TRUE(source.Collect(now + 1s, std::vector<CollectTarget>{}));
  const std::vector<std::string> ids{gone, never};
  auto series = source.Samples(ids, MinuteRange{m1, m2 + 1min});
  ASSERT_TRUE(series) << series.error().ToString();
  EXPECT_EQ((*series)[0].cpu_percent, (std::vector<std::optional<double>>{30.0, 80.0}));
  EXPECT_EQ((*series)[1].cpu_percent, (std::vector<std::optional<double>>{std::nullopt, std::nullopt}));
}

// High-resolution CPU (a test harness puts it every few seconds): periods shorter than a
// minute come straight from CloudWatch, whole periods only, and the data is complete up
// to `now` less the delay, at that resolution.
TEST_F(metrics_CloudWatchTest, ShortPeriodsAtHighResolution) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  const auto now = std::chrono::floor<std::chrono::seconds>(RealClock().Now());
  const std::int64_t step = 5;
  const std::int64_t aligned = now.time_since_epoch().count() / step * step;
  const std::chrono::sys_seconds p0{std::chrono::seconds(aligned - 20)};  // four periods of 5 s
  PutCpu(bed, "i-00000000000000hr1", p0, 10.0);
  PutCpu(bed, "i-00000000000000hr1", p0 + 5s, 20.0);
  PutCpu(bed, "i-00000000000000hr1", p0 + 12s, 30.0);  // inside the third period
  PutCpu(bed, "i-00000000000000hr1", p0 + 15s, 40.0);
  CloudWatchMetricsSourceOptions options;
  options.resolution = 5s;
  options.publication_delay = 2s;
  CloudWatchMetricsSource source(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("manager")), options);
  const std::vector<std::string> ids{"i-00000000000000hr1", "i-00000000000000hr2"};
  // [p0 + 1 s, p0 + 19 s): whole periods only, so those starting at p0 + 5 and p0 + 10.
  auto cpu = source.RecentCpu(ids, p0 + 1s, p0 + 19s, 5s);
  ASSERT_TRUE(cpu) << cpu.error().ToString();
  ASSERT_EQ(cpu->size(), 2u);
  ASSERT_EQ((*cpu)[0].periods.size(), 2u);
  EXPECT_EQ((*cpu)[0].periods[0].start, p0 + 5s);
  EXPECT_DOUBLE_EQ((*cpu)[0].periods[0].percent, 20.0);
  EXPECT_EQ((*cpu)[0].periods[1].start, p0 + 10s);
  EXPECT_DOUBLE_EQ((*cpu)[0].periods[1].percent, 30.0);
  EXPECT_TRUE((*cpu)[1].periods.empty());  // no data is no period, never 0
  // The whole span: all four.
  EXPECT_EQ(source.RecentCpu(ids, p0, p0 + 20s, 5s).value()[0].periods.size(), 4u);
  // A period that is not a multiple of the resolution, or a minute from the store.
  EXPECT_EQ(source.RecentCpu(ids, p0, p0 + 20s, 7s).error().code, ErrorCode::kUnimplemented);
  EXPECT_TRUE(source.RecentCpu(ids, p0 - 10min, p0, 60s).has_value());
  EXPECT_EQ(source.CompleteUntil(Clock::TimePoint(p0 + 20s)), p0 + 15s);  // 18 s, rounded down to 5
  EXPECT_EQ(source.CompleteUntil(Clock::TimePoint(p0 + 22s)), p0 + 20s);
  EXPECT_EQ(source.CompleteUntil(Clock::TimePoint(p0 + 21s)), p0 + 15s);  // 19 s: one under
}

// The ALB's counts, read with the workers' metrics (no request of their own) and kept in
// the store: served are the targets' answers below 500; offered adds the targets' 5xx,
// the ALB's own 5xx and the connections it refused. A minute without any of them has no
// count; another load balancer's, or the ALB's 4xx, count nothing.
TEST_F(metrics_CloudWatchTest, TheLoadBalancersCountsAreReadWithTheWorkersMetrics) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  const auto now = RealClock().Now();
  const auto m1 = MinuteOf(now) - 4min, m2 = MinuteOf(now) - 3min, m3 = MinuteOf(now) - 2min;
  PutAlb(bed, "HTTPCode_Target_2XX_Count", m1, 50);
  PutAlb(bed, "HTTPCode_Target_2XX_Count", m1 + 20s, 40);  // two data points: summed
  PutAlb(bed, "HTTPCode_Target_3XX_Count", m1, 4);
  PutAlb(bed, "HTTPCode_Target_4XX_Count", m1, 6);
  PutAlb(bed, "HTTPCode_Target_5XX_Count", m1, 30);  // workers' 503s
  PutAlb(bed, "HTTPCode_ELB_5XX_Count", m1, 60);     // no healthy target: the ALB's 503s
  PutAlb(bed, "RejectedConnectionCount", m1, 10);
  PutAlb(bed, "HTTPCode_ELB_4XX_Count", m1, 1000);  // malformed requests: not load
  PutAlb(bed, "HTTPCode_ELB_5XX_Count", m1, 500, "app/another/0000000000000000");
  PutAlb(bed, "HTTPCode_Target_2XX_Count", m3, 120);  // m2: nothing reported
  PutCpu(bed, "i-00000000000000lb1", m1, 100.0);

  CloudWatchMetricsSourceOptions options;
  options.load_balancer = kLoadBalancer;
  options.target_group = kTargetGroup;
  CloudWatchMetricsSource source(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("manager")), options);
  const std::vector<CollectTarget> workers{
      {.worker_id = "i-00000000000000lb1", .phase = WorkerPhase::kInService}};
  ASSERT_TRUE(source.Collect(now, workers));
  auto stored = store_->BalancerMinutes({m1, m3 + 1min});
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored,
            (std::vector<BalancerMinute>{{m1, 90 + 4 + 6 + 30 + 60 + 10, 90 + 4 + 6}, {m3, 120, 120}}));
  EXPECT_TRUE(store_->BalancerMinutes({m2, m3}).value().empty());  // nothing reported: no count, not 0
  // Per second, whole minutes of [begin, end) only.
  auto periods = source.RecentRequests(Clock::TimePoint(m1), Clock::TimePoint(m3 + 1min), 60s);
  ASSERT_TRUE(periods) << periods.error().ToString();
  EXPECT_EQ(*periods, (std::vector<RequestPeriod>{{Clock::TimePoint(m1), 200.0 / 60, 100.0 / 60},
                                                  {Clock::TimePoint(m3), 2, 2}}));
  EXPECT_EQ(source.RecentRequests(Clock::TimePoint(m1) + 1s, Clock::TimePoint(m3 + 1min), 60s).value().size(),
            1u);
  EXPECT_EQ(source.RecentRequests(Clock::TimePoint(m1), Clock::TimePoint(m3 + 1min), 30s).error().code,
            ErrorCode::kUnimplemented);
  // The CPU came in the same pass.
  EXPECT_EQ(
      source.Samples(std::vector<std::string>{"i-00000000000000lb1"}, {m1, m1 + 1min}).value()[0].cpu_percent,
      (std::vector<std::optional<double>>{100.0}));

  // Without the balancer's dimensions: no counts, whatever CloudWatch holds.
  CloudWatchMetricsSource without(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("manager")));
  auto none = without.RecentRequests(Clock::TimePoint(m1), Clock::TimePoint(m3 + 1min), 60s);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// With high-resolution data (the AWS-mode test's stand-in for the ALB puts its counts
// every few seconds), periods shorter than a minute come straight from CloudWatch.
TEST_F(metrics_CloudWatchTest, TheLoadBalancersCountsInShortPeriodsAtHighResolution) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  const auto now = std::chrono::floor<std::chrono::seconds>(RealClock().Now());
  const std::int64_t aligned = now.time_since_epoch().count() / 5 * 5;
  const std::chrono::sys_seconds p0{std::chrono::seconds(aligned - 20)};
  const std::string lb = "app/maskf-HighRes/1111111111111111";
  PutAlb(bed, "HTTPCode_Target_2XX_Count", p0, 10, lb);
  PutAlb(bed, "HTTPCode_Target_2XX_Count", p0 + 5s, 20, lb);
  PutAlb(bed, "HTTPCode_ELB_5XX_Count", p0 + 7s, 15, lb);
  CloudWatchMetricsSourceOptions options;
  options.resolution = 5s;
  options.load_balancer = lb;
  options.target_group = kTargetGroup;
  CloudWatchMetricsSource source(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("manager")), options);
  auto periods = source.RecentRequests(Clock::TimePoint(p0), Clock::TimePoint(p0 + 20s), 5s);
  ASSERT_TRUE(periods) << periods.error().ToString();
  EXPECT_EQ(*periods,
            (std::vector<RequestPeriod>{{Clock::TimePoint(p0), 2, 2}, {Clock::TimePoint(p0 + 5s), 7, 4}}));
  EXPECT_EQ(source.RecentRequests(Clock::TimePoint(p0), Clock::TimePoint(p0 + 20s), 7s).error().code,
            ErrorCode::kUnimplemented);
}

TEST(metrics_CloudWatchDimensionsTest, TheBalancersDimensionsComeFromTheirArns) {
  EXPECT_EQ(
      LoadBalancerDimension(
          "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/maskf-Entry/50dc6c495c0c9188")
          .value(),
      "app/maskf-Entry/50dc6c495c0c9188");
  EXPECT_EQ(
      TargetGroupDimension(
          "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/maskf-Worke-ABC/0123456789abcdef")
          .value(),
      "targetgroup/maskf-Worke-ABC/0123456789abcdef");
  for (const char* wrong :
       {"", "app/maskf-Entry/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/nlb/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/maskf-Entry/",
        "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/b/c",
        "arn:aws:s3:::loadbalancer/app/a/b", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/1"}) {
    EXPECT_EQ(LoadBalancerDimension(wrong).error().code, ErrorCode::kInvalidArgument) << wrong;
  }
  for (const char* wrong :
       {"", "targetgroup/tg/1", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg/",
        "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/tg",
        "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/b"}) {
    EXPECT_EQ(TargetGroupDimension(wrong).error().code, ErrorCode::kInvalidArgument) << wrong;
  }
}

TEST_F(metrics_CloudWatchTest, RefusedCallsAreReportedAndNothingIsLost) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  const auto now = RealClock().Now();
  // The manager may not publish: the minutes stay queued for the next pass.
  CloudWatchRequestCountPublisher publisher(std::shared_ptr<aws::Client>(bed.ClientFor("manager")),
                                            {.instance_id = "i-0000000000000ccc3", .max_pending_minutes = 2});
  const std::vector<RequestMinute> minutes{
      {MinuteOf(now) - 4min, 1}, {MinuteOf(now) - 3min, 2}, {MinuteOf(now) - 2min, 3}};
  auto refused = publisher.Publish(minutes);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(refused.error().message.find("PutMetricData"), std::string::npos) << refused.error().message;
  // At most max_pending_minutes kept, the newest.
  EXPECT_EQ(publisher.Pending(), (std::vector<RequestMinute>{minutes[1], minutes[2]}));
  // A minute that does not start a minute is refused before anything is queued.
  EXPECT_EQ(publisher.Publish(std::vector<RequestMinute>{{MinuteOf(now) + 1s, 1}}).error().code,
            ErrorCode::kInvalidArgument);
  // The same minutes again are not queued twice.
  EXPECT_FALSE(publisher.Publish(minutes));
  EXPECT_EQ(publisher.Pending().size(), 2u);

  // The worker may not read: the pool size is recorded all the same.
  CloudWatchMetricsSource source(*store_, std::shared_ptr<aws::Client>(bed.ClientFor("worker")));
  const std::vector<CollectTarget> workers{
      {.worker_id = "i-0000000000000ccc3", .phase = WorkerPhase::kInService}};
  auto collected = source.Collect(now, workers);
  ASSERT_FALSE(collected);
  EXPECT_EQ(collected.error().code, ErrorCode::kPermissionDenied) << collected.error().ToString();
  EXPECT_NE(collected.error().message.find("GetMetricData"), std::string::npos) << collected.error().message;
  EXPECT_EQ(source.PoolSizes({MinuteOf(now), MinuteOf(now) + 1min}).value().at(0),
            (PoolSize{.in_service = 1}));
}

std::shared_ptr<aws::Client> ScriptedClient(std::shared_ptr<aws::FakeTransport> transport) {
  return std::make_shared<aws::Client>(
      aws::ClientOptions{.region = "eu-west-1",
                         .credentials = std::make_shared<aws::StaticCredentialsProvider>(
                             aws::Credentials{.access_key_id = "AKID", .secret_access_key = "S"}),
                         .transport = std::move(transport),
                         .env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
                         .endpoints = {{"monitoring", "http://127.0.0.1:9"}}});
}

TEST_F(metrics_CloudWatchTest, ReadsInBatchesOf250WorkersAndFollowsNextToken) {
  auto transport = std::make_shared<aws::FakeTransport>();
  // Batch 1, page 1: worker 0's CPU, and a token; page 2: worker 249's requests.
  transport->Answer(200, R"(<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <GetMetricDataResult><MetricDataResults><member><Id>c0</Id><Label>CPUUtilization</Label>
  <Timestamps><member>2026-12-04T05:01:00Z</member><member>2026-12-04T05:00:00Z</member></Timestamps>
  <Values><member>12.5</member><member>10</member></Values><StatusCode>Complete</StatusCode></member></MetricDataResults>
  <NextToken>page-2</NextToken><Messages/></GetMetricDataResult>
  <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetMetricDataResponse>)");
  transport->Answer(200,
                    R"(<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>r249</Id>
  <Timestamps><member>2026-12-04T05:00:00Z</member></Timestamps><Values><member>7</member></Values>
  </member></MetricDataResults></GetMetricDataResult></GetMetricDataResponse>)");
  // Batch 2: worker 250 (its "c0"), with a value outside the range, which is dropped.
  transport->Answer(200, R"(<GetMetricDataResponse><GetMetricDataResult><MetricDataResults><member><Id>c0</Id>
  <Timestamps><member>2026-12-04T05:00:00Z</member><member>2026-12-04T05:09:00Z</member></Timestamps>
  <Values><member>99</member><member>1</member></Values></member></MetricDataResults></GetMetricDataResult>
  </GetMetricDataResponse>)");
  CloudWatchMetricsSource source(*store_, ScriptedClient(transport));
  std::vector<std::string> ids;
  for (int i = 0; i < 251; ++i) ids.push_back("i-" + std::to_string(1000 + i));
  const auto begin = std::chrono::sys_days(std::chrono::year(2026) / 12 / 4) + 5h;
  auto samples = source.Read(ids, {begin, begin + 5min});
  ASSERT_TRUE(samples) << samples.error().ToString();
  EXPECT_EQ(*samples, (std::vector<MetricSample>{{"i-1000", Metric::kCpuPercent, begin + 1min, 12.5},
                                                 {"i-1000", Metric::kCpuPercent, begin, 10},
                                                 {"i-1249", Metric::kRequestsPerMinute, begin, 7},
                                                 {"i-1250", Metric::kCpuPercent, begin, 99}}));
  const auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_NE(requests[0].body.find("MetricDataQueries.member.500.Id=r249&"), std::string::npos);
  EXPECT_EQ(requests[0].body.find("MetricDataQueries.member.501."), std::string::npos);
  EXPECT_EQ(requests[0].body.find("NextToken"), std::string::npos);
  EXPECT_NE(requests[1].body.find("&NextToken=page-2"), std::string::npos);
  EXPECT_NE(requests[2].body.find("Dimensions.member.1.Value=i-1250&"), std::string::npos);
  EXPECT_NE(requests[0].body.find("StartTime=2026-12-04T05%3A00%3A00Z&EndTime=2026-12-04T05%3A05%3A00Z"),
            std::string::npos)
      << requests[0].body.substr(requests[0].body.size() - 200);
}

TEST_F(metrics_CloudWatchTest, QueriesAreMetricStatsOf60SecondsWithoutMath) {
  const std::vector<std::string> ids{"i-1"};
  const auto begin = std::chrono::sys_days(std::chrono::year(2026) / 12 / 4) + 5h;
  const aws::Parameters params = MetricDataQueries(ids, {}, {begin, begin + 2min});
  auto value = [&params](const std::string& name) {
    for (const auto& [n, v] : params) {
      if (n == name) return v;
    }
    return std::string("<none>");
  };
  EXPECT_EQ(value("MetricDataQueries.member.1.MetricStat.Metric.Namespace"), "AWS/EC2");
  EXPECT_EQ(value("MetricDataQueries.member.1.MetricStat.Metric.MetricName"), "CPUUtilization");
  EXPECT_EQ(value("MetricDataQueries.member.1.MetricStat.Stat"), "Average");
  EXPECT_EQ(value("MetricDataQueries.member.2.MetricStat.Metric.Namespace"), "maskfleet");
  EXPECT_EQ(value("MetricDataQueries.member.2.MetricStat.Metric.MetricName"), "RequestsPerMinute");
  EXPECT_EQ(value("MetricDataQueries.member.2.MetricStat.Stat"), "Maximum");
  EXPECT_EQ(value("MetricDataQueries.member.2.MetricStat.Period"), "60");
  EXPECT_EQ(value("MetricDataQueries.member.1.Expression"), "<none>");
  EXPECT_EQ(value("MetricDataQueries.member.3.Id"), "<none>");  // no balancer asked for
}

TEST_F(metrics_CloudWatchTest, TheBalancersQueriesAreSumsOfItsSixMetrics) {
  const std::vector<std::string> ids{"i-1"};
  const auto begin = std::chrono::sys_days(std::chrono::year(2026) / 12 / 4) + 5h;
  CloudWatchMetricsSourceOptions options;
  options.load_balancer = kLoadBalancer;
  options.target_group = kTargetGroup;
  const aws::Parameters params = MetricDataQueries(ids, options, {begin, begin + 2min}, true);
  auto value = [&params](const std::string& name) {
    for (const auto& [n, v] : params) {
      if (n == name) return v;
    }
    return std::string("<none>");
  };
  const char* names[] = {"HTTPCode_Target_2XX_Count", "HTTPCode_Target_3XX_Count",
                         "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count",
                         "HTTPCode_ELB_5XX_Count",    "RejectedConnectionCount"};
  for (int i = 0; i < 6; ++i) {
    const std::string q = "MetricDataQueries.member." + std::to_string(3 + i) + ".";
    EXPECT_EQ(value(q + "Id"), "b" + std::to_string(i));
    EXPECT_EQ(value(q + "MetricStat.Metric.Namespace"), "AWS/ApplicationELB");
    EXPECT_EQ(value(q + "MetricStat.Metric.MetricName"), names[i]);
    EXPECT_EQ(value(q + "MetricStat.Stat"), "Sum");
    EXPECT_EQ(value(q + "MetricStat.Period"), "60");
    EXPECT_EQ(value(q + "MetricStat.Metric.Dimensions.member.1.Name"), "LoadBalancer");
    EXPECT_EQ(value(q + "MetricStat.Metric.Dimensions.member.1.Value"), kLoadBalancer);
    EXPECT_EQ(value(q + "MetricStat.Metric.Dimensions.member.2.Value"), i < 4 ? kTargetGroup : "<none>");
  }
  EXPECT_EQ(value("MetricDataQueries.member.9.Id"), "<none>");
}

// 247 workers and the balancer's six fill a request (500 queries); one more worker, and
// the six go in a request of their own.
TEST_F(metrics_CloudWatchTest, TheBalancersQueriesGoAloneWhenTheWorkersFillTheRequest) {
  auto transport = std::make_shared<aws::FakeTransport>();
  const char* empty = R"(<GetMetricDataResponse><GetMetricDataResult><MetricDataResults/></GetMetricDataResult>
  </GetMetricDataResponse>)";
  for (int i = 0; i < 3; ++i) transport->Answer(200, empty);
  CloudWatchMetricsSourceOptions options;
  options.load_balancer = kLoadBalancer;
  options.target_group = kTargetGroup;
  options.read_every = 0s;
  CloudWatchMetricsSource source(*store_, ScriptedClient(transport), options);
  std::vector<CollectTarget> workers;
  for (int i = 0; i < 248; ++i) workers.push_back({.worker_id = "i-" + std::to_string(1000 + i)});
  const auto now = Clock::TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 12 / 4) + 5h);
  ASSERT_TRUE(source.Collect(now, workers));
  auto requests = transport->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body.find("Id=b0"), std::string::npos);
  EXPECT_NE(requests[1].body.find("MetricDataQueries.member.1.Id=b0&"), std::string::npos);
  workers.pop_back();
  ASSERT_TRUE(source.Collect(now + 1s, workers));
  requests = transport->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_NE(requests[2].body.find("MetricDataQueries.member.495.Id=b0&"), std::string::npos);
  EXPECT_NE(requests[2].body.find("MetricDataQueries.member.500.Id=b5&"), std::string::npos);
}

}  // namespace
}  // namespace maskfleet::metrics::cloudwatch
