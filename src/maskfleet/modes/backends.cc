#include "maskfleet/modes/backends.h"

#include "maskfleet/modes/aws/aws_mode.h"
#include "maskfleet/modes/local/local_mode.h"

namespace maskfleet::modes {
namespace {

std::unexpected<Error> UnknownMode(const std::string& mode) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "deployment.mode '" + mode + "' is not one this program runs");
}

}  // namespace

Result<worker::WorkerBackends> MakeWorkerBackends(const worker::WorkerConfig& config, Clock& clock) {
  if (config.mode == "local") return local::MakeWorkerBackends(config, clock);
  if (config.mode == "aws") return aws::MakeWorkerBackends(config, clock);
  return UnknownMode(config.mode);
}

Result<manager::ManagerBackends> MakeManagerBackends(const manager::ManagerConfig& config,
                                                     const std::filesystem::path& binary, Clock& clock) {
  if (config.shared.mode == "local") return local::MakeManagerBackends(config, binary, clock);
  if (config.shared.mode == "aws") return aws::MakeManagerBackends(config, binary, clock);
  return UnknownMode(config.shared.mode);
}

}  // namespace maskfleet::modes
