#include "maskfleet/metrics/cloudwatch/cloudwatch_metrics_source.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <map>
#include <ctime>
#include <functional>

#include "maskfleet/aws/credentials.h"

namespace maskfleet::metrics::cloudwatch {
namespace {

// 500 queries a GetMetricData request: two per worker, and the balancer's six in the
// last request when they fit there, else in one of their own.
constexpr std::size_t kMaxQueries = 500;
constexpr std::size_t kWorkersPerRequest = kMaxQueries / 2;

// The balancer's metrics (the header explains the choice), queried as "b<index>".
struct BalancerMetric {
  const char* name;
  bool per_target_group;  // dimensions LoadBalancer and TargetGroup, else LoadBalancer alone
  bool served;            // counted as served (and offered), else offered only
};
constexpr BalancerMetric kBalancerMetrics[] = {
    {"HTTPCode_Target_2XX_Count", true, true}, {"HTTPCode_Target_3XX_Count", true, true},
    {"HTTPCode_Target_4XX_Count", true, true}, {"HTTPCode_Target_5XX_Count", true, false},
    {"HTTPCode_ELB_5XX_Count", false, false},  {"RejectedConnectionCount", false, false},
};
constexpr std::size_t kBalancerQueries = std::size(kBalancerMetrics);

// Adds the balancer's queries, numbered from n + 1.
void AddBalancerQueries(aws::Parameters& params, std::size_t& n,
                        const CloudWatchMetricsSourceOptions& options, std::chrono::seconds period) {
  for (std::size_t i = 0; i < kBalancerQueries; ++i) {
    const std::string q = "MetricDataQueries.member." + std::to_string(++n) + ".";
    params.emplace_back(q + "Id", "b" + std::to_string(i));
    params.emplace_back(q + "MetricStat.Metric.Namespace", "AWS/ApplicationELB");
    params.emplace_back(q + "MetricStat.Metric.MetricName", kBalancerMetrics[i].name);
    params.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Name", "LoadBalancer");
    params.emplace_back(q + "MetricStat.Metric.Dimensions.member.1.Value", options.load_balancer);
    if (kBalancerMetrics[i].per_target_group) {
      params.emplace_back(q + "MetricStat.Metric.Dimensions.member.2.Name", "TargetGroup");
      params.emplace_back(q + "MetricStat.Metric.Dimensions.member.2.Value", options.target_group);
    }
    params.emplace_back(q + "MetricStat.Period", std::to_string(period.count()));
    params.emplace_back(q + "MetricStat.Stat", "Sum");
    params.emplace_back(q + "ReturnData", "true");
  }
}

// The balancer's counts per period start: the six sums, then offered and served.
class BalancerSums {
 public:
  void Add(std::chrono::sys_seconds start, std::size_t metric, double value) {
    sums_[start][metric] += value;
  }
  // Each period with any data, oldest first, in requests per `period`.
  template <typename Take>
  void ForEach(Take take) const {
    for (const auto& [start, sums] : sums_) {
      double offered = 0, served = 0;
      for (std::size_t i = 0; i < kBalancerQueries; ++i) {
        offered += sums[i];
        if (kBalancerMetrics[i].served) served += sums[i];
      }
      take(start, offered, served);
    }
  }

 private:
  std::map<std::chrono::sys_seconds, std::array<double, kBalancerQueries>> sums_;
};

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
// requests, 'b' the balancer), the worker's index in the batch (for 'b', the metric's
// in kBalancerMetrics: the id's number) and the time.
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
      if (id.size() < 2 || (id[0] != 'c' && id[0] != 'r' && id[0] != 'b')) continue;
      const std::size_t index = std::strtoul(id.c_str() + 1, nullptr, 10);
      if (index >= (id[0] == 'b' ? kBalancerQueries : batch_size)) continue;
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

// The whole periods of `period` seconds within [begin, end), aligned to multiples of it
// since the epoch, as Unix seconds [from, to): what a high-resolution read asks for.
// Errors: kUnimplemented when `period` is not a multiple of the data's `resolution`.
struct AlignedRange {
  std::int64_t from = 0;
  std::int64_t to = 0;
};

Result<AlignedRange> HighResolutionRange(std::string_view what, Clock::TimePoint begin, Clock::TimePoint end,
                                         std::chrono::seconds period, std::chrono::seconds resolution) {
  if (resolution.count() <= 0 || period.count() % resolution.count() != 0) {
    return MakeError(ErrorCode::kUnimplemented, "cloudwatch: " + std::string(what) + " periods of " +
                                                    std::to_string(period.count()) + " s from data every " +
                                                    std::to_string(resolution.count()) + " s");
  }
  const std::int64_t step = period.count();
  const std::int64_t from = (std::chrono::ceil<std::chrono::seconds>(begin).time_since_epoch().count() +
                             step - 1) /
                            step * step;
  const std::int64_t to = std::chrono::floor<std::chrono::seconds>(end).time_since_epoch().count() / step *
                          step;
  return AlignedRange{from, to};
}

void AddTimeRange(aws::Parameters& params, const AlignedRange& range) {
  params.emplace_back("StartTime",
                      aws::FormatIso8601(std::chrono::sys_seconds(std::chrono::seconds(range.from))));
  params.emplace_back("EndTime",
                      aws::FormatIso8601(std::chrono::sys_seconds(std::chrono::seconds(range.to))));
  params.emplace_back("ScanBy", "TimestampAscending");
}

}  // namespace

Result<std::string> LoadBalancerDimension(std::string_view arn) {
  const std::string_view marker = ":loadbalancer/app/";
  const std::size_t at = arn.find(marker);
  if (!arn.starts_with("arn:") || arn.find(":elasticloadbalancing:") == std::string_view::npos ||
      at == std::string_view::npos || std::count(arn.begin() + static_cast<long>(at), arn.end(), '/') != 3 ||
      arn.ends_with('/')) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(arn) +
                         "' is not an Application Load Balancer's ARN "
                         "(arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>)");
  }
  return std::string(arn.substr(at + std::string_view(":loadbalancer/").size()));
}

Result<std::string> TargetGroupDimension(std::string_view arn) {
  const std::string_view marker = ":targetgroup/";
  const std::size_t at = arn.find(marker);
  if (!arn.starts_with("arn:") || arn.find(":elasticloadbalancing:") == std::string_view::npos ||
      at == std::string_view::npos || std::count(arn.begin() + static_cast<long>(at), arn.end(), '/') != 2 ||
      arn.ends_with('/')) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(arn) +
                         "' is not a target group's ARN "
                         "(arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>)");
  }
  return std::string(arn.substr(at + 1));
}

aws::Parameters MetricDataQueries(std::span<const std::string> worker_ids,
                                  const CloudWatchMetricsSourceOptions& options, MinuteRange range,
                                  bool balancer) {
  aws::Parameters params;
  std::size_t n = 0;
  for (std::size_t i = 0; i < worker_ids.size(); ++i) {
    AddQuery(params, ++n, "c" + std::to_string(i), "AWS/EC2", "CPUUtilization", worker_ids[i], "Average");
    AddQuery(params, ++n, "r" + std::to_string(i), options.request_namespace, options.request_metric,
             worker_ids[i], "Maximum");
  }
  if (balancer) AddBalancerQueries(params, n, options, std::chrono::minutes(1));
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
  Result<ReadResult> read = ReadAll(worker_ids, range);
  if (!read) return std::unexpected(read.error());
  return std::move(read->samples);
}

Result<CloudWatchMetricsSource::ReadResult> CloudWatchMetricsSource::ReadAll(
    std::span<const std::string> worker_ids, MinuteRange range) {
  if (range.size() > kMaxQueryMinutes) {
    return MakeError(ErrorCode::kInvalidArgument, "cloudwatch: a range of at most 24 hours");
  }
  ReadResult result;
  if (range.size() == 0) return result;
  BalancerSums balancer;
  bool balancer_pending = ReadsBalancer();
  for (std::size_t first = 0; first < worker_ids.size() || balancer_pending; first += kWorkersPerRequest) {
    const auto batch = first < worker_ids.size()
                           ? worker_ids.subspan(first,
                                                std::min(kWorkersPerRequest, worker_ids.size() - first))
                           : std::span<const std::string>();
    // The balancer's queries ride in the last batch when they fit (one alone when there
    // is no worker).
    const bool last = first + batch.size() >= worker_ids.size();
    const bool with_balancer = balancer_pending && last && 2 * batch.size() + kBalancerQueries <= kMaxQueries;
    const aws::Parameters queries = MetricDataQueries(batch, options_, range, with_balancer);
    if (with_balancer) balancer_pending = false;
    Status read = ReadPages(*client_, queries, batch.size(), [&](const DataPoint& point) {
      const auto minute = MinuteOf(point.at);
      if (minute < range.begin || minute >= range.end) return;
      if (point.kind == 'b') {
        balancer.Add(minute, point.index, point.value);
        return;
      }
      result.samples.push_back(MetricSample{
          batch[point.index], point.kind == 'c' ? Metric::kCpuPercent : Metric::kRequestsPerMinute, minute,
          point.value});
    });
    if (!read) return std::unexpected(read.error());
    if (batch.empty()) break;
  }
  balancer.ForEach([&](std::chrono::sys_seconds minute, double offered, double served) {
    result.balancer.push_back({minute, offered, served});
  });
  return result;
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
  auto read = ReadAll(ids, range);
  if (!read) return std::unexpected(read.error().WithContext("collect metrics"));
  if (Status st = store().Upsert(read->samples); !st)
    return std::unexpected(st.error().WithContext("collect metrics"));
  if (Status st = store().UpsertBalancerMinutes(read->balancer); !st)
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
  Result<AlignedRange> range = HighResolutionRange("CPU", begin, end, period, resolution);
  if (!range) return std::unexpected(range.error());
  const auto [from, to] = *range;
  std::vector<WorkerCpuPeriods> out;
  for (const std::string& id : worker_ids) out.push_back({id, {}});
  if (to <= from || worker_ids.empty()) return out;
  for (std::size_t first = 0; first < worker_ids.size(); first += kMaxQueries) {
    const auto batch = worker_ids.subspan(first, std::min(kMaxQueries, worker_ids.size() - first));
    aws::Parameters params;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      AddQuery(params, i + 1, "c" + std::to_string(i), "AWS/EC2", "CPUUtilization", batch[i], "Average",
               period);
    }
    AddTimeRange(params, *range);
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

Result<std::vector<RequestPeriod>> CloudWatchMetricsSource::RecentRequests(Clock::TimePoint begin,
                                                                           Clock::TimePoint end,
                                                                           std::chrono::seconds period) {
  if (!ReadsBalancer()) return std::vector<RequestPeriod>{};
  const std::chrono::seconds resolution = options_.resolution;
  if (resolution >= std::chrono::minutes(1) || period >= std::chrono::minutes(1)) {
    return StoredMetricsSource::RecentRequests(begin, end, period);
  }
  Result<AlignedRange> range = HighResolutionRange("request", begin, end, period, resolution);
  if (!range) return std::unexpected(range.error());
  const auto [from, to] = *range;
  std::vector<RequestPeriod> out;
  if (to <= from) return out;
  aws::Parameters params;
  std::size_t n = 0;
  AddBalancerQueries(params, n, options_, period);
  AddTimeRange(params, *range);
  BalancerSums sums;
  Status read = ReadPages(*client_, params, 0, [&](const DataPoint& point) {
    const std::int64_t t = std::chrono::floor<std::chrono::seconds>(point.at).time_since_epoch().count();
    if (point.kind != 'b' || t < from || t >= to) return;
    sums.Add(std::chrono::sys_seconds(std::chrono::seconds(t)), point.index, point.value);
  });
  if (!read) return std::unexpected(read.error());
  const double seconds = static_cast<double>(period.count());
  sums.ForEach([&](std::chrono::sys_seconds start, double offered, double served) {
    out.push_back({Clock::TimePoint(start), offered / seconds, served / seconds});
  });
  return out;
}

}  // namespace maskfleet::metrics::cloudwatch
