#include "maskfleet/pool/worker_pool.h"

namespace maskfleet::pool {

std::string_view WorkerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kStarting:
      return "starting";
    case WorkerState::kInService:
      return "in_service";
    case WorkerState::kDraining:
      return "draining";
    case WorkerState::kStopped:
      return "stopped";
    case WorkerState::kFailed:
      return "failed";
  }
  return "unknown";
}

}  // namespace maskfleet::pool
