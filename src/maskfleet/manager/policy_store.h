// PolicyStore: the auto-scaler's policy (table scaling_policy, schema version 3), which
// the manager's policy page saves and the auto-scaler's loop reads at every check, so
// that a changed policy applies at the next check and survives a restart.
//
// The table holds at most one row. Until a policy is saved, Load() answers the defaults
// of scaler::ScalingPolicy: they live in the code only, so a database whose policy was
// never saved follows the defaults of the program that reads it.
//
// Thread safety: safe to use from many threads and processes; it holds no state of its
// own. Save() is one statement, so a reader sees the old policy or the new one, never a
// mix of both.
#ifndef MASKFLEET_MANAGER_POLICY_STORE_H_
#define MASKFLEET_MANAGER_POLICY_STORE_H_

#include <chrono>
#include <limits>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/scaler/policy.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::manager {

// The longest duration a policy field can hold (the columns are 32-bit integers of
// seconds: about 68 years). scaler::Validate() sets no upper bound on durations.
inline constexpr std::chrono::seconds kMaxPolicyDuration{std::numeric_limits<int>::max()};

class PolicyStore {
 public:
  // `db` and `clock` must outlive the store; `db` has schema version 3 or later
  // (Database::Open migrates it). The clock stamps each save (column updated_at).
  PolicyStore(storage::Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // The saved policy, or scaler::ScalingPolicy{} when none was saved. The stored values
  // are returned as they are, without scaler::Validate(): a row that Save() wrote always
  // passes, unless a later program tightened the rules or a person edited the row, and
  // then the page should show what is stored and the decision answers it with a hold
  // that names the problem (scaler/decision.h). Errors: kUnavailable, kInternal.
  Result<scaler::ScalingPolicy> Load();

  // Replaces the saved policy. Errors: kInvalidArgument with scaler::Validate()'s
  // message, for the page to show as it is, or for a duration above kMaxPolicyDuration
  // (nothing is written either way); kUnavailable, kInternal.
  Status Save(const scaler::ScalingPolicy& policy);

 private:
  storage::Database& db_;
  Clock& clock_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_POLICY_STORE_H_
