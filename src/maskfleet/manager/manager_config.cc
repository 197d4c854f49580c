#include "maskfleet/manager/manager_config.h"

#include <optional>
#include <type_traits>

#include "maskfleet/worker/worker_config.h"

namespace maskfleet::manager {

Result<ManagerConfig> ManagerConfig::Load(config::ConfigSource& source) {
  ManagerConfig c;
  // The workers' settings are read to check them (the workers start with this file); the
  // manager keeps the shared part.
  Result<worker::WorkerConfig> workers = worker::WorkerConfig::Read(source);
  if (!workers) return std::unexpected(workers.error());
  c.shared = static_cast<const config::SharedConfig&>(*workers);
  c.worker_port = workers->port;
  c.worker_url_fetches = workers->url_fetches;

  config::SettingsReader reader;
  reader.Take(c.host, source.String("manager", "host", c.host));
  reader.Take(c.port, source.Int("manager", "port", c.port, 0, 65535));
  reader.Take(c.lb_host, source.String("manager", "lb_host", c.lb_host));
  reader.Take(c.lb_port, source.Int("manager", "lb_port", c.lb_port, 0, 65535));
  reader.Take(c.lb_public_url, source.String("manager", "lb_public_url", c.lb_public_url));
  reader.Take(c.worker_cpu, source.Double("manager", "worker_cpu", c.worker_cpu, 0.01, 64));
  reader.Take(c.cpu_limit, source.String("manager", "cpu_limit", c.cpu_limit));
  reader.Take(c.haproxy, source.String("manager", "haproxy", c.haproxy));
  reader.Take(c.collect_seconds, source.Int("manager", "collect_seconds", c.collect_seconds, 1, 60));
  reader.Take(c.scaler_sample_seconds,
              source.Int("manager", "scaler_sample_seconds", c.scaler_sample_seconds, 1, 3600));
  reader.Take(c.orphan_grace_seconds,
              source.Int("manager", "orphan_grace_seconds", c.orphan_grace_seconds, 1, 7 * 24 * 3600));
  reader.Take(c.orphan_sweep_seconds,
              source.Int("manager", "orphan_sweep_seconds", c.orphan_sweep_seconds, 1, 3600));
  if (Status read = reader.status(); !read) return std::unexpected(read.error());
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

Status ManagerConfig::Prepare() {
  std::error_code ec;
  shared.data_dir = std::filesystem::absolute(shared.data_dir, ec);
  std::filesystem::create_directories(shared.data_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot create the data folder " + shared.data_dir.string() + ": " + ec.message());
  }
  std::filesystem::permissions(shared.data_dir, std::filesystem::perms::owner_all, ec);
  shared.FillDefaults();
  return {};
}

}  // namespace maskfleet::manager
