// SessionStore: login sessions (table sessions), shared by every worker so that any
// worker can serve any request behind the load balancer.
//
// A session is found by the hash of its token (the auth component hashes the cookie's
// token; the store never sees the token itself) and carries the CSRF token of the forms
// it serves, its creation and expiry times and when it was last seen. Expiry is decided
// against a time the caller passes in (from its Clock), never the database's clock.
//
// Thread safety: safe to use from many threads; it holds no state of its own.
#ifndef MASKFLEET_ACCOUNTS_SESSION_STORE_H_
#define MASKFLEET_ACCOUNTS_SESSION_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/accounts/user_store.h"

namespace maskfleet::accounts {

inline constexpr std::size_t kMaxTokenHashLength = 128;

struct Session {
  std::string token_hash;
  std::int64_t user_id = 0;
  std::string csrf_token;
  Clock::TimePoint created_at;
  Clock::TimePoint expires_at;
  Clock::TimePoint last_seen;
};

struct SessionWithUser {
  Session session;
  User user;
};

class SessionStore {
 public:
  // `db` and `clock` must outlive the store.
  SessionStore(storage::Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // Creates a session for `user_id`, created and last seen now, expiring `ttl` from now
  // (times in whole seconds). Errors: kInvalidArgument (empty or over-long hash or CSRF
  // token, ttl not positive), kNotFound (no such user), kUnavailable, kInternal (also
  // for a token hash already in use, which a random token never produces).
  Result<Session> Create(std::string_view token_hash, std::int64_t user_id, std::string_view csrf_token,
                         Clock::TimePoint::duration ttl);

  // The session with this token hash and its user, if it has not expired at `at`
  // (a session whose expires_at <= at has). Errors: kNotFound (unknown or expired),
  // kUnavailable, kInternal.
  Result<SessionWithUser> FindValid(std::string_view token_hash, Clock::TimePoint at);

  // Records that the session was seen at `at` and, when given, moves its expiry (a
  // sliding expiry). Errors: kNotFound, kUnavailable, kInternal.
  Status Touch(std::string_view token_hash, Clock::TimePoint at,
               std::optional<Clock::TimePoint> new_expires_at = std::nullopt);

  // Deletes the session (log out). Deleting one that does not exist succeeds.
  // Errors: kUnavailable, kInternal.
  Status Delete(std::string_view token_hash);

  // Deletes every session of a user (password changed); returns how many.
  // Errors: kUnavailable, kInternal.
  Result<std::int64_t> DeleteAllOfUser(std::int64_t user_id);

  // Deletes the sessions expired at `at`; returns how many. Errors: kUnavailable,
  // kInternal.
  Result<std::int64_t> DeleteExpired(Clock::TimePoint at);

 private:
  storage::Database& db_;
  Clock& clock_;
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_SESSION_STORE_H_
