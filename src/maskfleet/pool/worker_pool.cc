#include "maskfleet/pool/worker_pool.h"

namespace maskfleet::pool {

std::string_view WorkerStateName(WorkerState state) {
  switch (state) {
    case WorkerState::kStarting: return "starting";
    case WorkerState::kInService: return "in_service";
    case WorkerState::kDraining: return "draining";
    case WorkerState::kStopped: return "stopped";
    case WorkerState::kFailed: return "failed";
  }
  return "unknown";
}

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength) {
    return MakeError(ErrorCode::kInvalidArgument, "a launch's idempotency key must have 1 to " +
                                                      std::to_string(kMaxIdempotencyKeyLength) +
                                                      " characters; got " + std::to_string(key.size()));
  }
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "a launch's idempotency key may hold letters, digits and . _ : - only");
    }
  }
  return {};
}

}  // namespace maskfleet::pool
