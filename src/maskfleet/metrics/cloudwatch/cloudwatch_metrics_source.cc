#include "maskfleet/metrics/cloudwatch/cloudwatch_metrics_source.h"

#include <cmath>
#include <ctime>

#include "maskfleet/aws/credentials.h"

namespace maskfleet::metrics::cloudwatch {
namespace {

// 500 queries a GetMetricData request, two per worker.
constexpr std::size_t kWorkersPerRequest = 250;

std::string Iso8601(std::chrono::sys_seconds t) {
  const std::time_t seconds = t.time_since_epoch().count();
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

void AddQuery(aws::Parameters& params, std::size_t n, const std::string& id, const std::string& space,
              const std::string& metric, const std::string& instance, const char* stat) {
  const std::string q = "MetricDataQueries.member." + std::to_string(n) + ".";
  params.emplace_back(q + "Id", id);
  params.emplace_back(q + "MetricStat.Metric.Namespace", space);
  params.emplace_back(q + "MetricStat.Metric.MetricName", metric);
  params.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Name", "InstanceId");
  params.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Value", instance);
  params.emplace_back(q + "MetricStat.Period", "60");
  params.emplace_back(q + "MetricStat.Stat", stat);
  params.emplace_back(q + "ReturnData", "true");
}

}  // namespace

aws::Parameters MetricDataQueries(std::span<const std::string> worker_ids,
                                  const CloudWatchMetricsSourceOptions& options, MinuteRange range) {
  aws::Parameters params;
  std::size_t n = 0;
  for (std::size_t i = 0; i < worker_ids.size(); ++i) {
    AddQuery(params, ++n, "c" + std::to_string(i), "AWS/EC2", "CPUUtilization", worker_ids[i], "Average");
    AddQuery(params, ++n, "r" + std::to_string(i), options.request_namespace, options.request_metric,
             worker_ids[i], "Maximum");
  }
  params.emplace_back("StartTime", Iso8601(range.begin));
  params.emplace_back("EndTime", Iso8601(range.end));
  params.emplace_back("ScanBy", "TimestampAscending");
  return params;
}

CloudWatchMetricsSource::CloudWatchMetricsSource(MetricStore& store, std::shared_ptr<aws::Client> client,
                                                 CloudWatchMetricsSourceOptions options)
    : store_(store), client_(std::move(client)), options_(std::move(options)) {}

Result<std::vector<MetricSample>> CloudWatchMetricsSource::Read(std::span<const std::string> worker_ids,
                                                                MinuteRange range) {
  if (range.size() > kMaxQueryMinutes) {
    return MakeError(ErrorCode::kInvalidArgument, "cloudwatch: a range of at most 24 hours");
  }
  std::vector<MetricSample> samples;
  if (range.size() == 0) return samples;
  for (std::size_t first = 0; first < worker_ids.size(); first += kWorkersPerRequest) {
    const auto batch = worker_ids.subspan(first, std::min(kWorkersPerRequest, worker_ids.size() - first));
    const aws::Parameters queries = MetricDataQueries(batch, options_, range);
    std::string next_token;
    do {
      aws::Parameters params = queries;
      if (!next_token.empty()) params.emplace_back("NextToken", next_token);
      auto answer = client_->Query(aws::kCloudWatch, "GetMetricData", params, aws::Idempotency::kIdempotent);
      if (!answer) return std::unexpected(aws::ToError(answer.error()));
      const pugi::xml_node result = answer->root().child("GetMetricDataResult");
      for (pugi::xml_node series : result.child("MetricDataResults").children("member")) {
        const std::string id = series.child_value("Id");
        if (id.size() < 2 || (id[0] != 'c' && id[0] != 'r')) continue;
        const std::size_t index = std::strtoul(id.c_str() + 1, nullptr, 10);
        if (index >= batch.size()) continue;
        auto timestamp = series.child("Timestamps").children("member").begin();
        auto value = series.child("Values").children("member").begin();
        for (; timestamp != series.child("Timestamps").children("member").end() &&
               value != series.child("Values").children("member").end();
             ++timestamp, ++value) {
          auto at = aws::ParseIso8601(timestamp->child_value());
          const double number = value->text().as_double(NAN);
          if (!at || !std::isfinite(number)) continue;
          const auto minute = MinuteOf(*at);
          if (minute < range.begin || minute >= range.end) continue;
          samples.push_back(MetricSample{batch[index],
                                         id[0] == 'c' ? Metric::kCpuPercent : Metric::kRequestsPerMinute,
                                         minute, number});
        }
      }
      next_token = result.child_value("NextToken");
    } while (!next_token.empty());
  }
  return samples;
}

Status CloudWatchMetricsSource::Collect(Clock::TimePoint now, std::span<const CollectTarget> workers) {
  std::lock_guard lock(collect_mu_);
  PoolSize size;
  for (const CollectTarget& w : workers) {
    if (w.phase == WorkerPhase::kInService) ++size.in_service;
    if (w.phase == WorkerPhase::kStarting) ++size.starting;
  }
  if (Status st = store_.UpsertPoolSize(MinuteOf(now), size); !st) {
    return std::unexpected(st.error().WithContext("collect metrics"));
  }
  if (!last_retention_ || now - *last_retention_ >= std::chrono::minutes(10)) {
    if (store_.DeleteBefore(MinuteOf(now - options_.retention))) last_retention_ = now;
  }
  if (last_read_ && now - *last_read_ < options_.read_every) return {};
  std::vector<std::string> ids;
  for (const CollectTarget& w : workers) ids.push_back(w.worker_id);
  const MinuteRange range{MinuteOf(now) - options_.lookback, MinuteOf(now)};
  auto samples = Read(ids, range);
  if (!samples) return std::unexpected(samples.error().WithContext("collect metrics"));
  if (Status st = store_.Upsert(*samples); !st) return std::unexpected(st.error().WithContext("collect metrics"));
  last_read_ = now;
  last_read_ticks_ = now.time_since_epoch().count();
  return {};
}

Clock::TimePoint CloudWatchMetricsSource::CompleteUntil(Clock::TimePoint now) {
  const auto ticks = last_read_ticks_.load();
  const Clock::TimePoint read = ticks == 0 ? now : std::min(now, Clock::TimePoint(Clock::TimePoint::duration(ticks)));
  return MinuteOf(read - options_.publication_delay);
}

Result<std::vector<WorkerSeries>> CloudWatchMetricsSource::Samples(std::span<const std::string> worker_ids,
                                                                   MinuteRange range) {
  return store_.Samples(worker_ids, range);
}

Result<PoolCpu> CloudWatchMetricsSource::AverageCpu(std::span<const std::string> worker_ids,
                                                    MinuteRange range) {
  return store_.AverageCpu(worker_ids, range);
}

Result<std::vector<std::optional<PoolSize>>> CloudWatchMetricsSource::PoolSizes(MinuteRange range) {
  return store_.PoolSizes(range);
}

Result<std::vector<std::string>> CloudWatchMetricsSource::WorkersWithData(MinuteRange range) {
  return store_.WorkersWithSamples(range);
}

}  // namespace maskfleet::metrics::cloudwatch
