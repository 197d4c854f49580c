#include "maskfleet/metrics/cloudwatch/cloudwatch_metrics_source.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <functional>

#include "maskfleet/aws/credentials.h"

namespace maskfleet::metrics::cloudwatch {
namespace {

// 500 queries a GetMetricData request, two per worker.
constexpr std::size_t kWorkersPerRequest = 250;

void AddQuery(aws::Parameters& params, std::size_t n, const std::string& id, const std::string& space,
              const std::string& metric, const std::string& instance, const char* stat,
              std::chrono::seconds period = std::chrono::seconds(60)) {
  const std::string q = "MetricDataQueries.member." + std::to_string(n) + ".";
  params.emplace_back(q + "Id", id);
  params.emplace_back(q + "MetricStat.Metric.Namespace", space);
  params.emplace_back(q + "MetricStat.Metric.MetricName", metric);
  params.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Name", "InstanceId");
  params.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Value", instance);
  params.emplace_back(q + "MetricStat.Period", std::to_string(period.count()));
  params.emplace_back(q + "MetricStat.Stat", stat);
  params.emplace_back(q + "ReturnData", "true");
}

// One value of a GetMetricData answer: the letter of its query's id ('c' CPU, 'r'
// requests), the worker's index in the batch (the id's number) and the time.
struct DataPoint {
  char kind;
  std::size_t index;
  std::chrono::system_clock::time_point at;
  double value;
};

// Sends `queries` to GetMetricData page by page (NextToken) and hands `take` every
// finite value of a query whose id names a worker under `batch_size`. Errors: the
// client's.
Status ReadPages(aws::Client& client, const aws::Parameters& queries, std::size_t batch_size,
                 const std::function<void(const DataPoint&)>& take) {
  std::string next_token;
  do {
    aws::Parameters page = queries;
    if (!next_token.empty()) page.emplace_back("NextToken", next_token);
    auto answer = client.Query(aws::kCloudWatch, "GetMetricData", page, aws::Idempotency::kIdempotent);
    if (!answer) return std::unexpected(aws::ToError(answer.error()));
    const pugi::xml_node result = answer->root().child("GetMetricDataResult");
    for (pugi::xml_node series : result.child("MetricDataResults").children("member")) {
      const std::string id = series.child_value("Id");
      if (id.size() < 2 || (id[0] != 'c' && id[0] != 'r')) continue;
      const std::size_t index = std::strtoul(id.c_str() + 1, nullptr, 10);
      if (index >= batch_size) continue;
      auto timestamp = series.child("Timestamps").children("member").begin();
      auto value = series.child("Values").children("member").begin();
      for (; timestamp != series.child("Timestamps").children("member").end() &&
             value != series.child("Values").children("member").end();
           ++timestamp, ++value) {
        auto at = aws::ParseIso8601(timestamp->child_value());
        const double number = value->text().as_double(NAN);
        if (!at || !std::isfinite(number)) continue;
        take({id[0], index, *at, number});
      }
    }
    next_token = result.child_value("NextToken");
  } while (!next_token.empty());
  return {};
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
  params.emplace_back("StartTime", aws::FormatIso8601(range.begin));
  params.emplace_back("EndTime", aws::FormatIso8601(range.end));
  params.emplace_back("ScanBy", "TimestampAscending");
  return params;
}

CloudWatchMetricsSource::CloudWatchMetricsSource(MetricStore& store, std::shared_ptr<aws::Client> client,
                                                 CloudWatchMetricsSourceOptions options)
    : StoredMetricsSource(store), client_(std::move(client)), options_(std::move(options)) {}

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
    Status read = ReadPages(*client_, queries, batch.size(), [&](const DataPoint& point) {
      const auto minute = MinuteOf(point.at);
      if (minute < range.begin || minute >= range.end) return;
      samples.push_back(MetricSample{batch[point.index],
                                     point.kind == 'c' ? Metric::kCpuPercent : Metric::kRequestsPerMinute,
                                     minute, point.value});
    });
    if (!read) return std::unexpected(read.error());
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
  if (Status st = store().UpsertPoolSize(MinuteOf(now), size); !st) {
    return std::unexpected(st.error().WithContext("collect metrics"));
  }
  if (!last_retention_ || now - *last_retention_ >= std::chrono::minutes(10)) {
    if (store().DeleteBefore(MinuteOf(now - options_.retention))) last_retention_ = now;
  }
  if (last_read_ && now - *last_read_ < options_.read_every) return {};
  std::vector<std::string> ids;
  for (const CollectTarget& w : workers) ids.push_back(w.worker_id);
  const MinuteRange range{MinuteOf(now) - options_.lookback, MinuteOf(now)};
  // A worker that left the pool within the lookback still has minutes CloudWatch has not
  // finished: read it on until they are.
  Result<std::vector<std::string>> departed = store().WorkersWithSamples(range);
  if (!departed) return std::unexpected(departed.error().WithContext("collect metrics"));
  for (std::string& id : *departed) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  auto samples = Read(ids, range);
  if (!samples) return std::unexpected(samples.error().WithContext("collect metrics"));
  if (Status st = store().Upsert(*samples); !st)
    return std::unexpected(st.error().WithContext("collect metrics"));
  last_read_ = now;
  last_read_ticks_ = now.time_since_epoch().count();
  return {};
}

Clock::TimePoint CloudWatchMetricsSource::CompleteUntil(Clock::TimePoint now) {
  if (options_.resolution < std::chrono::minutes(1)) {
    const auto at = std::chrono::floor<std::chrono::seconds>(now - options_.publication_delay);
    const auto step = std::max<std::int64_t>(1, options_.resolution.count());
    return Clock::TimePoint(std::chrono::seconds(at.time_since_epoch().count() / step * step));
  }
  const auto ticks = last_read_ticks_.load();
  const Clock::TimePoint read = ticks == 0
                                    ? now
                                    : std::min(now, Clock::TimePoint(Clock::TimePoint::duration(ticks)));
  return MinuteOf(read - options_.publication_delay);
}

Result<std::vector<WorkerCpuPeriods>> CloudWatchMetricsSource::RecentCpu(
    std::span<const std::string> worker_ids, Clock::TimePoint begin, Clock::TimePoint end,
    std::chrono::seconds period) {
  const std::chrono::seconds resolution = options_.resolution;
  if (resolution >= std::chrono::minutes(1) || period >= std::chrono::minutes(1)) {
    return MetricsSource::RecentCpu(worker_ids, begin, end, period);
  }
  if (resolution.count() <= 0 || period.count() % resolution.count() != 0) {
    return MakeError(ErrorCode::kUnimplemented, "cloudwatch: CPU periods of " +
                                                    std::to_string(period.count()) + " s from data every " +
                                                    std::to_string(resolution.count()) + " s");
  }
  // Whole periods only, aligned to multiples of `period` since the epoch.
  const std::int64_t step = period.count();
  const std::int64_t from = (std::chrono::ceil<std::chrono::seconds>(begin).time_since_epoch().count() +
                             step - 1) /
                            step * step;
  const std::int64_t to = std::chrono::floor<std::chrono::seconds>(end).time_since_epoch().count() / step *
                          step;
  std::vector<WorkerCpuPeriods> out;
  for (const std::string& id : worker_ids) out.push_back({id, {}});
  if (to <= from || worker_ids.empty()) return out;
  for (std::size_t first = 0; first < worker_ids.size(); first += 2 * kWorkersPerRequest) {
    const auto batch = worker_ids.subspan(first, std::min(2 * kWorkersPerRequest, worker_ids.size() - first));
    aws::Parameters params;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      AddQuery(params, i + 1, "c" + std::to_string(i), "AWS/EC2", "CPUUtilization", batch[i], "Average",
               period);
    }
    params.emplace_back("StartTime",
                        aws::FormatIso8601(std::chrono::sys_seconds(std::chrono::seconds(from))));
    params.emplace_back("EndTime", aws::FormatIso8601(std::chrono::sys_seconds(std::chrono::seconds(to))));
    params.emplace_back("ScanBy", "TimestampAscending");
    Status read = ReadPages(*client_, params, batch.size(), [&](const DataPoint& point) {
      const std::int64_t t = std::chrono::floor<std::chrono::seconds>(point.at).time_since_epoch().count();
      if (point.kind != 'c' || t < from || t >= to) return;
      out[first + point.index].periods.push_back({Clock::TimePoint(std::chrono::seconds(t)), point.value});
    });
    if (!read) return std::unexpected(read.error());
  }
  for (WorkerCpuPeriods& w : out) {
    std::sort(w.periods.begin(), w.periods.end(),
              [](const CpuPeriod& a, const CpuPeriod& b) { return a.start < b.start; });
  }
  return out;
}

}  // namespace maskfleet::metrics::cloudwatch
