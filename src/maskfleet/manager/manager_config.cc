#include "maskfleet/manager/manager_config.h"

#include <optional>
#include <type_traits>

namespace maskfleet::manager {

Result<ManagerConfig> ManagerConfig::Load(config::ConfigSource& source) {
  ManagerConfig c;
  Result<worker::WorkerConfig> worker = worker::WorkerConfig::Read(source);
  if (!worker) return std::unexpected(worker.error());
  c.worker = std::move(*worker);

  std::optional<Error> first_error;
  const auto take = [&first_error](auto& field, auto result) {
    if (!result) {
      if (!first_error) first_error = result.error();
      return;
    }
    field = static_cast<std::remove_reference_t<decltype(field)>>(*result);
  };
  take(c.host, source.String("manager", "host", c.host));
  take(c.port, source.Int("manager", "port", c.port, 0, 65535));
  take(c.lb_host, source.String("manager", "lb_host", c.lb_host));
  take(c.lb_port, source.Int("manager", "lb_port", c.lb_port, 0, 65535));
  take(c.lb_public_url, source.String("manager", "lb_public_url", c.lb_public_url));
  take(c.worker_cpu, source.Double("manager", "worker_cpu", c.worker_cpu, 0.01, 64));
  take(c.cpu_limit, source.String("manager", "cpu_limit", c.cpu_limit));
  take(c.haproxy, source.String("manager", "haproxy", c.haproxy));
  take(c.collect_seconds, source.Int("manager", "collect_seconds", c.collect_seconds, 1, 60));
  take(c.scaler_sample_seconds,
       source.Int("manager", "scaler_sample_seconds", c.scaler_sample_seconds, 1, 3600));
  if (first_error) return std::unexpected(*first_error);
  if (c.cpu_limit != "auto" && c.cpu_limit != "cgroup" && c.cpu_limit != "governor" &&
      c.cpu_limit != "none") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "manager.cpu_limit must be auto, cgroup, governor or none, not '" + c.cpu_limit + "'");
  }
  if (c.scaler_sample_seconds < c.collect_seconds) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "manager.scaler_sample_seconds (" + std::to_string(c.scaler_sample_seconds) +
                         ") must be at least manager.collect_seconds (" + std::to_string(c.collect_seconds) +
                         "): a sample needs a measurement in it");
  }
  if (Status s = source.RejectUnknownKeys(); !s) return std::unexpected(s.error());
  c.config_file = source.path();
  return c;
}

}  // namespace maskfleet::manager
