// Epoch seconds <-> Clock::TimePoint, the one way times are stored (reached through sql.h).
#ifndef MASKFLEET_STORAGE_TIME_UTIL_H_
#define MASKFLEET_STORAGE_TIME_UTIL_H_

#include <chrono>

#include "maskfleet/common/clock.h"

namespace maskfleet::storage {

// Whole seconds since 1970-01-01 UTC, rounded down.
inline long long ToEpochSeconds(Clock::TimePoint t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

inline Clock::TimePoint FromEpochSeconds(long long s) { return Clock::TimePoint(std::chrono::seconds(s)); }

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_TIME_UTIL_H_
