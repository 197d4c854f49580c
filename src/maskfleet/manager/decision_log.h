// DecisionLog: the auto-scaler's decisions (table scaling_decisions, schema version 3),
// one row per check, for the manager's decision log page and GET /api/v1/decisions.
//
// A record keeps what the check saw and did: its time (whole seconds), the pool's average
// CPU (absent when the check had no figure), the pool's size before and after, the action
// ("grow", "shrink" or "hold", as scaler::ActionName spells them) and the reason in words.
// Records are never changed; DeleteOlderThan() is the retention.
//
// Thread safety: safe to use from many threads and processes; it holds no state of its
// own.
#ifndef MASKFLEET_MANAGER_DECISION_LOG_H_
#define MASKFLEET_MANAGER_DECISION_LOG_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::manager {

// A longer reason is cut to this many bytes (at a character boundary).
inline constexpr std::size_t kMaxDecisionReasonLength = 1000;
// The most records Recent() returns at once.
inline constexpr int kMaxDecisionsListed = 500;

struct DecisionRecord {
  // When the check decided; stored rounded down to the second.
  Clock::TimePoint time;
  // The average CPU of the workers in service, in % of their allotment; nullopt when
  // the check had none (missing or stale metrics, paused).
  std::optional<double> average_cpu;
  int size_before = 0;
  int size_after = 0;
  // "grow", "shrink" or "hold".
  std::string action;
  std::string reason;

  bool operator==(const DecisionRecord&) const = default;
};

class DecisionLog {
 public:
  // `db` must outlive the log and have schema version 3 or later (Database::Open
  // migrates it).
  explicit DecisionLog(storage::Database& db) : db_(db) {}

  // Stores `record`, its reason cut to kMaxDecisionReasonLength bytes. Errors:
  // kInvalidArgument (an action other than grow, shrink or hold; a negative size; an
  // average that is not a finite number; a reason that is not UTF-8 or holds a NUL
  // byte: nothing is stored), kUnavailable, kInternal.
  Status Append(const DecisionRecord& record);

  // The `limit` latest records, newest first (records of the same second in the reverse
  // order of their Append()). Errors: kInvalidArgument (limit outside
  // 1..kMaxDecisionsListed), kUnavailable, kInternal.
  Result<std::vector<DecisionRecord>> Recent(int limit);

  // Deletes the records older than `cutoff` (time < cutoff, compared in whole seconds);
  // returns how many. Errors: kUnavailable, kInternal.
  Result<std::int64_t> DeleteOlderThan(Clock::TimePoint cutoff);

 private:
  storage::Database& db_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_DECISION_LOG_H_
