// The local mode: everything on one machine. See local_mode.cc, the one file where it
// is put together.
#ifndef MASKFLEET_MODES_LOCAL_LOCAL_MODE_H_
#define MASKFLEET_MODES_LOCAL_LOCAL_MODE_H_

#include <filesystem>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/manager/manager_backends.h"
#include "maskfleet/manager/manager_config.h"
#include "maskfleet/worker/worker_backends.h"
#include "maskfleet/worker/worker_config.h"

namespace maskfleet::modes::local {

// As modes::MakeWorkerBackends (backends.h), for the local mode.
Result<worker::WorkerBackends> MakeWorkerBackends(const worker::WorkerConfig& config, Clock& clock);

// As modes::MakeManagerBackends (backends.h), for the local mode.
Result<manager::ManagerBackends> MakeManagerBackends(const manager::ManagerConfig& config,
                                                     const std::filesystem::path& binary, Clock& clock);

}  // namespace maskfleet::modes::local

#endif  // MASKFLEET_MODES_LOCAL_LOCAL_MODE_H_
