#include "maskfleet/metrics/schema.h"

#include <string>
#include <vector>

namespace maskfleet::metrics {
namespace {

// Version 2: the metrics (metric_store.h): one row per worker, metric
// and minute (epoch seconds of the minute's start), and the pool's size per minute.
// Worker ids are the pools' ("w7", an EC2 instance id), compared byte for byte. No
// foreign key: workers are not rows, and their metrics outlive them for the charts.
std::vector<std::string> MetricSamples(storage::Backend backend) {
  const storage::Dialect d = storage::DialectOf(backend);
  const std::string tail(d.table_tail);
  return {
      "CREATE TABLE metric_samples ("
      "  worker_id " +
          d.ExactText(64) +
          " NOT NULL,"
          "  metric VARCHAR(32) NOT NULL,"
          "  minute BIGINT NOT NULL,"
          "  value DOUBLE PRECISION NOT NULL,"
          "  PRIMARY KEY (worker_id, metric, minute),"
          "  CONSTRAINT metric_samples_metric_check"
          "    CHECK (metric IN ('cpu_percent', 'requests_per_minute'))"
          ")" +
          tail,
      // Retention deletes by minute alone.
      "CREATE INDEX metric_samples_minute ON metric_samples (minute)",

      "CREATE TABLE pool_size_samples ("
      "  minute BIGINT NOT NULL PRIMARY KEY,"
      // Not "starting": a reserved word in MySQL.
      "  workers_in_service INTEGER NOT NULL,"
      "  workers_starting INTEGER NOT NULL"
      ")" +
          tail,
  };
}

// Version 5: the load balancer's counts per minute (metric_store.h, BalancerMinute):
// requests received and requests a worker answered, in requests per minute.
std::vector<std::string> BalancerRequestSamples(storage::Backend backend) {
  return {
      "CREATE TABLE balancer_request_samples ("
      "  minute BIGINT NOT NULL PRIMARY KEY,"
      "  offered DOUBLE PRECISION NOT NULL,"
      "  served DOUBLE PRECISION NOT NULL"
      ")" +
          std::string(storage::DialectOf(backend).table_tail),
  };
}

}  // namespace

void RegisterMigrations(storage::MigrationRegistry& registry) {
  registry.Register(2, "metric samples, pool size samples", &MetricSamples);
  registry.Register(5, "balancer request samples", &BalancerRequestSamples);
}

}  // namespace maskfleet::metrics
