#ifndef MASKFLEET_CLI_CONFIG_LOADING_H_
#define MASKFLEET_CLI_CONFIG_LOADING_H_

#include <string>

#include "maskfleet/config/config_source.h"
#include "maskfleet/worker/worker_config.h"

namespace maskfleet::cli {

// Settings from `config_file` and the environment; an empty name means the
// environment only. Errors: the file's (missing, not TOML), ready to print.
Result<config::ConfigSource> OpenConfigSource(const std::string& config_file);

// The worker's settings from `config_file` (may be empty: defaults and the
// environment only). Errors: the file's or a setting's, ready to print.
Result<worker::WorkerConfig> LoadWorkerConfig(const std::string& config_file);

}  // namespace maskfleet::cli

#endif  // MASKFLEET_CLI_CONFIG_LOADING_H_
