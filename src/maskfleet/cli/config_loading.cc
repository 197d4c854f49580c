#include "maskfleet/cli/config_loading.h"

namespace maskfleet::cli {

Result<config::ConfigSource> OpenConfigSource(const std::string& config_file) {
  if (config_file.empty()) return config::ConfigSource();
  return config::ConfigSource::FromFile(config_file);
}

Result<worker::WorkerConfig> LoadWorkerConfig(const std::string& config_file) {
  Result<config::ConfigSource> source = OpenConfigSource(config_file);
  if (!source) return std::unexpected(source.error());
  return worker::WorkerConfig::Load(*source);
}

}  // namespace maskfleet::cli
