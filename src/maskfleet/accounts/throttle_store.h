// ThrottleStore: counters against password guessing and reset-mail floods, kept in the
// database (table auth_throttle) so that every worker and the manager count together,
// and a restarted process forgets nothing.
//
// A counter is named by a scope ("login_account", "reset_address" ...) and a key (a
// digest: auth/login_delay.h; never a name or an address in clear). It holds how many
// hits it counted, when it was last hit, and a time `until` whose meaning is its
// user's (the end of a delay; how long an address stays known for an account).
//
// Thread safety: safe from many threads and processes. Hit() counts atomically: two
// hits at once, from anywhere, count two.
#ifndef MASKFLEET_ACCOUNTS_THROTTLE_STORE_H_
#define MASKFLEET_ACCOUNTS_THROTTLE_STORE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::accounts {

inline constexpr std::size_t kMaxThrottleScopeLength = 16;
inline constexpr std::size_t kMaxThrottleKeyLength = 64;

struct ThrottleKey {
  std::string scope;
  std::string key;
};

struct ThrottleCounter {
  std::int64_t hits = 0;      // 0: no such counter
  Clock::TimePoint until;     // the epoch when never set
  Clock::TimePoint last_hit;  // the epoch when never hit
};

class ThrottleStore {
 public:
  // `db` must outlive the store.
  explicit ThrottleStore(storage::Database& db) : db_(db) {}

  // Counts one hit at `now`; a counter last hit before `forget_before` starts again from
  // this hit. Returns the counter after the hit. Errors: kInvalidArgument (empty or
  // over-long scope or key), kUnavailable, kInternal.
  Result<ThrottleCounter> Hit(const ThrottleKey& key, Clock::TimePoint now, Clock::TimePoint forget_before);

  // Sets the counter's `until` (creating it with no hits if missing). Errors: as Hit.
  Status SetUntil(const ThrottleKey& key, Clock::TimePoint until, Clock::TimePoint now);

  // The counters of `keys`, in their order; a missing one is all zero. Errors:
  // kUnavailable, kInternal.
  Result<std::vector<ThrottleCounter>> Read(const std::vector<ThrottleKey>& keys);

  // Removes the counter. Errors: kUnavailable, kInternal.
  Status Forget(const ThrottleKey& key);

  // Deletes the counters last hit before `before` whose `until` has passed by then;
  // returns how many. Errors: kUnavailable, kInternal.
  Result<std::int64_t> DeleteStale(Clock::TimePoint before);

 private:
  storage::Database& db_;
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_THROTTLE_STORE_H_
