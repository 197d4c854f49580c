#include "maskfleet/accounts/session_store.h"

#include <chrono>
#include <utility>

#include "maskfleet/storage/sql.h"

namespace maskfleet::accounts {

using storage::DeleteWithValue;
using storage::FromEpochSeconds;
using storage::Prepare;
using storage::ToEpochSeconds;

namespace {

Status CheckToken(std::string_view value, std::string_view what) {
  if (value.empty() || value.size() > kMaxTokenHashLength) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is empty or too long");
  }
  return {};
}

}  // namespace

Result<Session> SessionStore::Create(std::string_view token_hash, std::int64_t user_id,
                                     std::string_view csrf_token, Clock::TimePoint::duration ttl) {
  if (auto st = CheckToken(token_hash, "session token hash"); !st) return std::unexpected(st.error());
  if (auto st = CheckToken(csrf_token, "CSRF token"); !st) return std::unexpected(st.error());
  if (ttl < std::chrono::seconds(1)) {
    return MakeError(ErrorCode::kInvalidArgument, "session lifetime must be at least 1 s");
  }
  Session session;
  session.token_hash = std::string(token_hash);
  session.user_id = user_id;
  session.csrf_token = std::string(csrf_token);
  session.created_at = FromEpochSeconds(ToEpochSeconds(clock_.Now()));
  session.last_seen = session.created_at;
  session.expires_at = FromEpochSeconds(ToEpochSeconds(clock_.Now() + ttl));

  Status st = db_.RunInTransaction("create session", [&](soci::session& s) -> Status {
    long long uid = user_id;
    long long exists = 0;
    s << "SELECT COUNT(*) FROM users WHERE id = :id", soci::use(uid), soci::into(exists);
    if (exists == 0) {
      return MakeError(ErrorCode::kNotFound, "no user with id " + std::to_string(user_id));
    }
    long long created = ToEpochSeconds(session.created_at);
    long long expires = ToEpochSeconds(session.expires_at);
    s << "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen) "
         "VALUES (:h, :u, :c, :t, :e, :s)",
        soci::use(session.token_hash), soci::use(uid), soci::use(session.csrf_token), soci::use(created),
        soci::use(expires), soci::use(created);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return session;
}

Result<SessionWithUser> SessionStore::FindValid(std::string_view token_hash, Clock::TimePoint at) {
  std::optional<SessionWithUser> found;
  Status st = db_.Run("find session", [&](soci::session& s) -> Status {
    std::string hash(token_hash);
    long long now = ToEpochSeconds(at);
    long long user_id = 0, created = 0, expires = 0, seen = 0, user_created = 0;
    std::string csrf, username, email, password_hash;
    soci::indicator email_ind = soci::i_null;
    int is_admin = 0;
    soci::statement stmt = Prepare(s,
                                   "SELECT s.user_id, s.csrf_token, s.created_at, s.expires_at, s.last_seen,"
                                   " u.username, u.email, u.password_hash, u.is_admin, u.created_at"
                                   " FROM sessions s JOIN users u ON u.id = s.user_id"
                                   " WHERE s.token_hash = :h AND s.expires_at > :now",
                                   [&](soci::statement& q) {
                                     q.exchange(soci::into(user_id));
                                     q.exchange(soci::into(csrf));
                                     q.exchange(soci::into(created));
                                     q.exchange(soci::into(expires));
                                     q.exchange(soci::into(seen));
                                     q.exchange(soci::into(username));
                                     q.exchange(soci::into(email, email_ind));
                                     q.exchange(soci::into(password_hash));
                                     q.exchange(soci::into(is_admin));
                                     q.exchange(soci::into(user_created));
                                     q.exchange(soci::use(hash));
                                     q.exchange(soci::use(now));
                                   });
    if (!stmt.execute(true)) return {};
    SessionWithUser out;
    out.session = Session{
        hash, user_id, csrf, FromEpochSeconds(created), FromEpochSeconds(expires), FromEpochSeconds(seen)};
    out.user.id = user_id;
    out.user.username = username;
    if (email_ind == soci::i_ok) out.user.email = email;
    out.user.password_hash = password_hash;
    out.user.is_admin = is_admin != 0;
    out.user.created_at = FromEpochSeconds(user_created);
    found = std::move(out);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  if (!found) return MakeError(ErrorCode::kNotFound, "no valid session");
  return std::move(*found);
}

Status SessionStore::Touch(std::string_view token_hash, Clock::TimePoint at,
                           std::optional<Clock::TimePoint> new_expires_at) {
  return db_.Run("touch session", [&](soci::session& s) -> Status {
    std::string hash(token_hash);
    long long seen = ToEpochSeconds(at);
    // COALESCE keeps one statement for both cases: a NULL new expiry keeps the old one.
    long long expires = new_expires_at ? ToEpochSeconds(*new_expires_at) : 0;
    soci::indicator expires_ind = new_expires_at ? soci::i_ok : soci::i_null;
    soci::statement stmt = Prepare(s,
                                   "UPDATE sessions SET last_seen = :s, expires_at = COALESCE(:e, expires_at)"
                                   " WHERE token_hash = :h",
                                   [&](soci::statement& q) {
                                     q.exchange(soci::use(seen));
                                     q.exchange(soci::use(expires, expires_ind));
                                     q.exchange(soci::use(hash));
                                   });
    stmt.execute(true);
    if (stmt.get_affected_rows() == 0) return MakeError(ErrorCode::kNotFound, "no such session");
    return {};
  });
}

Status SessionStore::Delete(std::string_view token_hash) {
  return db_.Run("delete session", [&](soci::session& s) -> Status {
    std::string hash(token_hash);
    s << "DELETE FROM sessions WHERE token_hash = :h", soci::use(hash);
    return {};
  });
}

Result<std::int64_t> SessionStore::DeleteAllOfUser(std::int64_t user_id) {
  return DeleteWithValue(db_, "delete sessions of user", "DELETE FROM sessions WHERE user_id = :v", user_id);
}

Result<std::int64_t> SessionStore::DeleteExpired(Clock::TimePoint at) {
  return DeleteWithValue(db_, "delete expired sessions", "DELETE FROM sessions WHERE expires_at <= :v",
                         ToEpochSeconds(at));
}

}  // namespace maskfleet::accounts
