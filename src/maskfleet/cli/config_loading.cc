#include "maskfleet/cli/config_loading.h"

namespace maskfleet::cli {

Result<worker::WorkerConfig> LoadWorkerConfig(const std::string& config_file) {
  if (config_file.empty()) {
    config::ConfigSource source;
    return worker::WorkerConfig::Load(source);
  }
  Result<config::ConfigSource> source = config::ConfigSource::FromFile(config_file);
  if (!source) return std::unexpected(source.error());
  return worker::WorkerConfig::Load(*source);
}

}  // namespace maskfleet::cli
