// ResetTokenStore: single-use, expiring password-reset tokens (table
// password_reset_tokens). Only the token's hash is stored; the token itself travels in
// the e-mailed link.
//
// Thread safety: safe to use from many threads and processes; Consume() is atomic, so
// two requests with the same link cannot both succeed.
#ifndef MASKFLEET_ACCOUNTS_RESET_TOKEN_STORE_H_
#define MASKFLEET_ACCOUNTS_RESET_TOKEN_STORE_H_

#include <cstdint>
#include <string_view>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::accounts {

class ResetTokenStore {
 public:
  // `db` and `clock` must outlive the store.
  ResetTokenStore(storage::Database& db, Clock& clock) : db_(db), clock_(clock) {}

  // Stores a token for `user_id`, created now and valid until `expires_at`.
  // Errors: kInvalidArgument (empty or over-long hash), kNotFound (no such user),
  // kUnavailable, kInternal.
  Status Create(std::string_view token_hash, std::int64_t user_id, Clock::TimePoint expires_at);

  // Marks the token used at `at`, with every other unused token of its user, and returns
  // its user, if it exists, is unused and has not expired at `at`. Errors: kNotFound (unknown, already used
  // or expired: the message says which, the caller shows one answer for all three), kUnavailable, kInternal.
  Result<std::int64_t> Consume(std::string_view token_hash, Clock::TimePoint at);

  // The token's user, if it exists, is unused and has not expired at `at`, without
  // using it (a reset page checks its link when it opens). Errors as Consume.
  Result<std::int64_t> Check(std::string_view token_hash, Clock::TimePoint at);

  // Deletes the tokens expired at `at`; returns how many. Errors: kUnavailable, kInternal.
  Result<std::int64_t> DeleteExpired(Clock::TimePoint at);

 private:
  storage::Database& db_;
  Clock& clock_;
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_RESET_TOKEN_STORE_H_
