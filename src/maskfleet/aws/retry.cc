#include "maskfleet/aws/retry.h"

#include <algorithm>

namespace maskfleet::aws {

std::chrono::milliseconds JitteredExponentialBackoff::NextBackOff() {
  // base * 2^attempt, computed without overflow: stop doubling once past max.
  std::chrono::milliseconds ceiling = base_;
  for (int i = 0; i < attempt_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  ++attempt_;
  if (ceiling.count() <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(random_.Next() % static_cast<std::uint64_t>(ceiling.count()));
}

}  // namespace maskfleet::aws
