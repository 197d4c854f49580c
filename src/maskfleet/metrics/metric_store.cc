#include "maskfleet/metrics/metric_store.h"

#include <cmath>
#include <utility>

// How a component's store runs SQL on the Database (storage's public way for stores).
#include "maskfleet/storage/sql.h"

namespace maskfleet::metrics {
namespace {

long long EpochSeconds(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }

bool Aligned(std::chrono::sys_seconds t) { return EpochSeconds(t) % 60 == 0; }

Status CheckRange(const MinuteRange& range) {
  if (range.size() > kMaxQueryMinutes) {
    return MakeError(ErrorCode::kInvalidArgument, "metric query over " + std::to_string(range.size()) +
                                                      " minutes; at most " +
                                                      std::to_string(kMaxQueryMinutes));
  }
  return {};
}

Status CheckSample(const MetricSample& sample) {
  if (sample.worker_id.empty() || sample.worker_id.size() > kMaxWorkerIdLength) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "worker id is empty or longer than " + std::to_string(kMaxWorkerIdLength) + " bytes");
  }
  if (!Aligned(sample.minute)) {
    return MakeError(ErrorCode::kInvalidArgument, "minute " + std::to_string(EpochSeconds(sample.minute)) +
                                                      " is not the start of a minute");
  }
  if (!std::isfinite(sample.value)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "metric value for worker " + sample.worker_id + " is not finite");
  }
  return {};
}

// The slot of `minute` in `range`, or -1 outside it.
long long SlotOf(const MinuteRange& range, long long minute) {
  const long long begin = EpochSeconds(range.begin);
  if (minute < begin || minute >= EpochSeconds(range.end) || (minute - begin) % 60 != 0) return -1;
  return (minute - begin) / 60;
}

std::string UpsertSql(storage::Backend backend) {
  const std::string insert =
      "INSERT INTO metric_samples (worker_id, metric, minute, value) VALUES (:w, :m, :t, :v)";
  if (backend == storage::Backend::kMysql) return insert + " ON DUPLICATE KEY UPDATE value = VALUES(value)";
  return insert + " ON CONFLICT (worker_id, metric, minute) DO UPDATE SET value = excluded.value";
}

std::string UpsertPoolSizeSql(storage::Backend backend) {
  const std::string insert =
      "INSERT INTO pool_size_samples (minute, workers_in_service, workers_starting)"
      " VALUES (:t, :i, :s)";
  if (backend == storage::Backend::kMysql) {
    return insert +
           " ON DUPLICATE KEY UPDATE workers_in_service = VALUES(workers_in_service),"
           " workers_starting = VALUES(workers_starting)";
  }
  return insert +
         " ON CONFLICT (minute) DO UPDATE SET workers_in_service = excluded.workers_in_service,"
         " workers_starting = excluded.workers_starting";
}

std::string UpsertBalancerSql(storage::Backend backend) {
  const std::string insert =
      "INSERT INTO balancer_request_samples (minute, offered, served) VALUES (:t, :o, :s)";
  if (backend == storage::Backend::kMysql) {
    return insert + " ON DUPLICATE KEY UPDATE offered = VALUES(offered), served = VALUES(served)";
  }
  return insert + " ON CONFLICT (minute) DO UPDATE SET offered = excluded.offered, served = excluded.served";
}

// Reads one worker's metric over `range` into `out` (sized range.size()).
void ReadSeries(soci::session& s, const std::string& worker_id, Metric metric, const MinuteRange& range,
                std::vector<std::optional<double>>& out) {
  std::string id = worker_id;
  std::string name(MetricName(metric));
  long long begin = EpochSeconds(range.begin);
  long long end = EpochSeconds(range.end);
  long long minute = 0;
  double value = 0;
  soci::statement st = (s.prepare << "SELECT minute, value FROM metric_samples"
                                     " WHERE worker_id = :w AND metric = :m AND minute >= :b AND minute < :e",
                        soci::into(minute), soci::into(value), soci::use(id), soci::use(name),
                        soci::use(begin), soci::use(end));
  st.execute();
  while (st.fetch()) {
    const long long slot = SlotOf(range, minute);
    if (slot >= 0) out[static_cast<std::size_t>(slot)] = value;
  }
}

}  // namespace

Status MetricStore::Upsert(std::span<const MetricSample> samples) {
  for (const MetricSample& sample : samples) {
    if (auto st = CheckSample(sample); !st) return st;
  }
  if (samples.empty()) return {};
  return db_.RunInTransaction("store metric samples", [&](soci::session& s) -> Status {
    std::string id, name;
    long long minute = 0;
    double value = 0;
    soci::statement st = (s.prepare << UpsertSql(db_.backend()), soci::use(id), soci::use(name),
                          soci::use(minute), soci::use(value));
    for (const MetricSample& sample : samples) {
      id = sample.worker_id;
      name = std::string(MetricName(sample.metric));
      minute = EpochSeconds(sample.minute);
      value = sample.value;
      st.execute(true);
    }
    return {};
  });
}

Status MetricStore::UpsertPoolSize(std::chrono::sys_seconds minute, PoolSize size) {
  if (!Aligned(minute)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "minute " + std::to_string(EpochSeconds(minute)) + " is not the start of a minute");
  }
  if (size.in_service < 0 || size.starting < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "negative pool size");
  }
  return db_.Run("store pool size", [&](soci::session& s) -> Status {
    long long t = EpochSeconds(minute);
    int in_service = size.in_service;
    int starting = size.starting;
    s << UpsertPoolSizeSql(db_.backend()), soci::use(t), soci::use(in_service), soci::use(starting);
    return {};
  });
}

Result<std::vector<std::optional<double>>> MetricStore::Series(const std::string& worker_id, Metric metric,
                                                               MinuteRange range) {
  if (auto st = CheckRange(range); !st) return std::unexpected(st.error());
  std::vector<std::optional<double>> out(range.size());
  Status st = db_.Run("read metric series", [&](soci::session& s) -> Status {
    ReadSeries(s, worker_id, metric, range, out);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::vector<WorkerSeries>> MetricStore::Samples(std::span<const std::string> worker_ids,
                                                       MinuteRange range) {
  if (auto st = CheckRange(range); !st) return std::unexpected(st.error());
  std::vector<WorkerSeries> out;
  out.reserve(worker_ids.size());
  for (const std::string& id : worker_ids) {
    out.push_back({id, std::vector<std::optional<double>>(range.size()),
                   std::vector<std::optional<double>>(range.size())});
  }
  // One connection for all of them: each query is a range scan of the primary key.
  Status st = db_.Run("read metric samples", [&](soci::session& s) -> Status {
    for (WorkerSeries& series : out) {
      ReadSeries(s, series.worker_id, Metric::kCpuPercent, range, series.cpu_percent);
      ReadSeries(s, series.worker_id, Metric::kRequestsPerMinute, range, series.requests_per_minute);
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<PoolCpu> MetricStore::AverageCpu(std::span<const std::string> worker_ids, MinuteRange range) {
  if (auto st = CheckRange(range); !st) return std::unexpected(st.error());
  std::vector<std::vector<std::optional<double>>> cpu(worker_ids.size(),
                                                      std::vector<std::optional<double>>(range.size()));
  Status st = db_.Run("read pool CPU", [&](soci::session& s) -> Status {
    for (std::size_t i = 0; i < worker_ids.size(); ++i) {
      ReadSeries(s, worker_ids[i], Metric::kCpuPercent, range, cpu[i]);
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());

  return AveragePoolCpu(worker_ids, cpu);
}

Status MetricStore::UpsertBalancerMinutes(std::span<const BalancerMinute> minutes) {
  for (const BalancerMinute& m : minutes) {
    if (!Aligned(m.minute)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "minute " + std::to_string(EpochSeconds(m.minute)) + " is not the start of a minute");
    }
    if (!std::isfinite(m.offered) || !std::isfinite(m.served) || m.offered < 0 || m.served < 0) {
      return MakeError(ErrorCode::kInvalidArgument, "balancer counts of minute " +
                                                        std::to_string(EpochSeconds(m.minute)) +
                                                        " are negative or not finite");
    }
  }
  if (minutes.empty()) return {};
  return db_.RunInTransaction("store balancer counts", [&](soci::session& s) -> Status {
    long long minute = 0;
    double offered = 0, served = 0;
    soci::statement st = (s.prepare << UpsertBalancerSql(db_.backend()), soci::use(minute),
                          soci::use(offered), soci::use(served));
    for (const BalancerMinute& m : minutes) {
      minute = EpochSeconds(m.minute);
      offered = m.offered;
      served = m.served;
      st.execute(true);
    }
    return {};
  });
}

Result<std::vector<BalancerMinute>> MetricStore::BalancerMinutes(MinuteRange range) {
  if (auto st = CheckRange(range); !st) return std::unexpected(st.error());
  std::vector<BalancerMinute> out;
  Status st = db_.Run("read balancer counts", [&](soci::session& s) -> Status {
    long long begin = EpochSeconds(range.begin);
    long long end = EpochSeconds(range.end);
    long long minute = 0;
    double offered = 0, served = 0;
    soci::statement q = (s.prepare << "SELECT minute, offered, served FROM balancer_request_samples"
                                      " WHERE minute >= :b AND minute < :e ORDER BY minute",
                         soci::into(minute), soci::into(offered), soci::into(served), soci::use(begin),
                         soci::use(end));
    q.execute();
    while (q.fetch()) {
      if (SlotOf(range, minute) < 0) continue;
      out.push_back({std::chrono::sys_seconds(std::chrono::seconds(minute)), offered, served});
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::vector<std::optional<PoolSize>>> MetricStore::PoolSizes(MinuteRange range) {
  if (auto st = CheckRange(range); !st) return std::unexpected(st.error());
  std::vector<std::optional<PoolSize>> out(range.size());
  Status st = db_.Run("read pool sizes", [&](soci::session& s) -> Status {
    long long begin = EpochSeconds(range.begin);
    long long end = EpochSeconds(range.end);
    long long minute = 0;
    int in_service = 0, starting = 0;
    soci::statement q =
        (s.prepare << "SELECT minute, workers_in_service, workers_starting FROM pool_size_samples"
                      " WHERE minute >= :b AND minute < :e",
         soci::into(minute), soci::into(in_service), soci::into(starting), soci::use(begin), soci::use(end));
    q.execute();
    while (q.fetch()) {
      const long long slot = SlotOf(range, minute);
      if (slot >= 0) out[static_cast<std::size_t>(slot)] = PoolSize{in_service, starting};
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::vector<std::string>> MetricStore::WorkersWithSamples(MinuteRange range) {
  if (Status st = CheckRange(range); !st) return std::unexpected(st.error());
  std::vector<std::string> ids;
  Status st = db_.Run("list workers with metrics", [&](soci::session& s) -> Status {
    long long begin = EpochSeconds(range.begin);
    long long end = EpochSeconds(range.end);
    std::string id;
    soci::statement select = (s.prepare << "SELECT DISTINCT worker_id FROM metric_samples "
                                           "WHERE minute >= :b AND minute < :e ORDER BY worker_id",
                              soci::use(begin), soci::use(end), soci::into(id));
    select.execute();
    while (select.fetch()) ids.push_back(id);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return ids;
}

Result<std::optional<std::chrono::sys_seconds>> MetricStore::LatestMinute(const std::string& worker_id,
                                                                          Metric metric) {
  std::optional<std::chrono::sys_seconds> latest;
  Status st = db_.Run("read latest metric minute", [&](soci::session& s) -> Status {
    std::string id = worker_id;
    std::string name(MetricName(metric));
    long long minute = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT MAX(minute) FROM metric_samples WHERE worker_id = :w AND metric = :m", soci::use(id),
        soci::use(name), soci::into(minute, ind);
    if (ind == soci::i_ok) latest = std::chrono::sys_seconds(std::chrono::seconds(minute));
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return latest;
}

Result<std::int64_t> MetricStore::DeleteBefore(std::chrono::sys_seconds cutoff) {
  long long deleted = 0;
  Status st = db_.RunInTransaction("delete old metrics", [&](soci::session& s) -> Status {
    long long t = EpochSeconds(cutoff);
    soci::statement samples = (s.prepare << "DELETE FROM metric_samples WHERE minute < :t", soci::use(t));
    samples.execute(true);
    deleted += samples.get_affected_rows();
    soci::statement sizes = (s.prepare << "DELETE FROM pool_size_samples WHERE minute < :t", soci::use(t));
    sizes.execute(true);
    deleted += sizes.get_affected_rows();
    soci::statement counts = (s.prepare << "DELETE FROM balancer_request_samples WHERE minute < :t",
                              soci::use(t));
    counts.execute(true);
    deleted += counts.get_affected_rows();
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return deleted;
}

Result<std::vector<WorkerSeries>> StoredMetricsSource::Samples(std::span<const std::string> worker_ids,
                                                               MinuteRange range) {
  return store_.Samples(worker_ids, range);
}

Result<PoolCpu> StoredMetricsSource::AverageCpu(std::span<const std::string> worker_ids, MinuteRange range) {
  return store_.AverageCpu(worker_ids, range);
}

Result<std::vector<std::optional<PoolSize>>> StoredMetricsSource::PoolSizes(MinuteRange range) {
  return store_.PoolSizes(range);
}

Result<std::vector<std::string>> StoredMetricsSource::WorkersWithData(MinuteRange range) {
  return store_.WorkersWithSamples(range);
}

Result<std::vector<RequestPeriod>> StoredMetricsSource::RecentRequests(Clock::TimePoint begin,
                                                                       Clock::TimePoint end,
                                                                       std::chrono::seconds period) {
  if (period != std::chrono::minutes(1)) {
    return MakeError(ErrorCode::kUnimplemented, "the stored balancer counts are per minute, not per " +
                                                    std::to_string(period.count()) + " s");
  }
  // Whole minutes inside [begin, end) only.
  const MinuteRange range{MinuteOf(begin + std::chrono::seconds(59)), MinuteOf(end)};
  if (range.size() == 0) return std::vector<RequestPeriod>{};
  Result<std::vector<BalancerMinute>> minutes = store_.BalancerMinutes(range);
  if (!minutes) return std::unexpected(minutes.error());
  std::vector<RequestPeriod> out;
  for (const BalancerMinute& m : *minutes) out.push_back({m.minute, m.offered / 60, m.served / 60});
  return out;
}

}  // namespace maskfleet::metrics
