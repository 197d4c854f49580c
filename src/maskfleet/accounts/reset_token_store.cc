#include "maskfleet/accounts/reset_token_store.h"

#include <string>

#include "maskfleet/accounts/session_store.h"
#include "maskfleet/storage/sql.h"

namespace maskfleet::accounts {

using storage::DeleteWithValue;
using storage::Prepare;
using storage::ToEpochSeconds;

Status ResetTokenStore::Create(std::string_view token_hash, std::int64_t user_id,
                               Clock::TimePoint expires_at) {
  if (token_hash.empty() || token_hash.size() > kMaxTokenHashLength) {
    return MakeError(ErrorCode::kInvalidArgument, "reset token hash is empty or too long");
  }
  return db_.RunInTransaction("create reset token", [&](soci::session& s) -> Status {
    long long uid = user_id;
    long long exists = 0;
    s << "SELECT COUNT(*) FROM users WHERE id = :id", soci::use(uid), soci::into(exists);
    if (exists == 0) {
      return MakeError(ErrorCode::kNotFound, "no user with id " + std::to_string(user_id));
    }
    std::string hash(token_hash);
    long long created = ToEpochSeconds(clock_.Now());
    long long expires = ToEpochSeconds(expires_at);
    s << "INSERT INTO password_reset_tokens (token_hash, user_id, created_at, expires_at)"
         " VALUES (:h, :u, :c, :e)",
        soci::use(hash), soci::use(uid), soci::use(created), soci::use(expires);
    return {};
  });
}

Result<std::int64_t> ResetTokenStore::Consume(std::string_view token_hash, Clock::TimePoint at) {
  long long user_id = 0;
  Status st = db_.RunInTransaction("consume reset token", [&](soci::session& s) -> Status {
    std::string hash(token_hash);
    long long now = ToEpochSeconds(at);
    // The conditional UPDATE is the atomic step: of two concurrent consumers only one
    // changes the row (the other waits for its lock, then finds used_at set).
    soci::statement update = Prepare(s,
                                     "UPDATE password_reset_tokens SET used_at = :t"
                                     " WHERE token_hash = :h AND used_at IS NULL AND expires_at > :t2",
                                     [&](soci::statement& q) {
                                       q.exchange(soci::use(now));
                                       q.exchange(soci::use(hash));
                                       q.exchange(soci::use(now));
                                     });
    update.execute(true);
    if (update.get_affected_rows() == 1) {
      s << "SELECT user_id FROM password_reset_tokens WHERE token_hash = :h", soci::use(hash),
          soci::into(user_id);
      // One link used voids the others: a link mailed earlier, or read by someone else,
      // cannot set the password again.
      s << "UPDATE password_reset_tokens SET used_at = :t WHERE user_id = :u AND used_at IS NULL",
          soci::use(now), soci::use(user_id);
      return {};
    }
    long long expires = 0;
    long long used = 0;
    soci::indicator used_ind = soci::i_null;
    soci::statement probe = Prepare(
        s, "SELECT expires_at, used_at FROM password_reset_tokens WHERE token_hash = :h",
        [&](soci::statement& q) {
          q.exchange(soci::into(expires));
          q.exchange(soci::into(used, used_ind));
          q.exchange(soci::use(hash));
        });
    if (!probe.execute(true)) return MakeError(ErrorCode::kNotFound, "unknown reset token");
    if (used_ind == soci::i_ok) return MakeError(ErrorCode::kNotFound, "reset token already used");
    return MakeError(ErrorCode::kNotFound, "reset token expired");
  });
  if (!st) return std::unexpected(st.error());
  return user_id;
}

Result<std::int64_t> ResetTokenStore::Check(std::string_view token_hash, Clock::TimePoint at) {
  long long user_id = 0;
  Status st = db_.Run("check reset token", [&](soci::session& s) -> Status {
    std::string hash(token_hash);
    long long expires = 0;
    long long used = 0;
    soci::indicator used_ind = soci::i_null;
    soci::statement probe = Prepare(
        s, "SELECT user_id, expires_at, used_at FROM password_reset_tokens WHERE token_hash = :h",
        [&](soci::statement& q) {
          q.exchange(soci::into(user_id));
          q.exchange(soci::into(expires));
          q.exchange(soci::into(used, used_ind));
          q.exchange(soci::use(hash));
        });
    if (!probe.execute(true)) return MakeError(ErrorCode::kNotFound, "unknown reset token");
    if (used_ind == soci::i_ok) return MakeError(ErrorCode::kNotFound, "reset token already used");
    if (expires <= ToEpochSeconds(at)) return MakeError(ErrorCode::kNotFound, "reset token expired");
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return user_id;
}

Result<std::int64_t> ResetTokenStore::DeleteExpired(Clock::TimePoint at) {
  return DeleteWithValue(db_, "delete expired reset tokens",
                         "DELETE FROM password_reset_tokens WHERE expires_at <= :v", ToEpochSeconds(at));
}

}  // namespace maskfleet::accounts
