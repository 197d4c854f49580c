#include "maskfleet/accounts/throttle_store.h"

#include <optional>

#include "maskfleet/storage/sql.h"

namespace maskfleet::accounts {
namespace {

using storage::Prepare;

// Times are epoch milliseconds: delays start at one second and must not round away.
long long Ms(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Clock::TimePoint FromMs(long long ms) {
  return Clock::TimePoint(
      std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::milliseconds(ms)));
}

Status CheckKey(const ThrottleKey& key) {
  if (key.scope.empty() || key.scope.size() > kMaxThrottleScopeLength || key.key.empty() ||
      key.key.size() > kMaxThrottleKeyLength) {
    return MakeError(ErrorCode::kInvalidArgument, "throttle: empty or too long scope or key");
  }
  return {};
}

// The counter on `s`, if any.
std::optional<ThrottleCounter> Select(soci::session& s, const ThrottleKey& key) {
  long long hits = 0, until = 0, last_hit = 0;
  soci::statement st = Prepare(
      s, "SELECT hits, until_at, last_hit_at FROM auth_throttle WHERE scope = :s AND key_hash = :k",
      [&](soci::statement& q) {
        q.exchange(soci::into(hits));
        q.exchange(soci::into(until));
        q.exchange(soci::into(last_hit));
        q.exchange(soci::use(key.scope));
        q.exchange(soci::use(key.key));
      });
  if (!st.execute(true)) return std::nullopt;
  return ThrottleCounter{hits, FromMs(until), FromMs(last_hit)};
}

// Inserts the counter, or does nothing if another process just did (the caller then
// updates it). Returns whether this call inserted it.
bool InsertIfMissing(soci::session& s, const ThrottleKey& key, long long hits, long long until,
                     long long last_hit) {
  if (Select(s, key)) return false;
  s << "INSERT INTO auth_throttle (scope, key_hash, hits, until_at, last_hit_at) VALUES (:s, :k, :h, :u, :l)",
      soci::use(key.scope), soci::use(key.key), soci::use(hits), soci::use(until), soci::use(last_hit);
  return true;
}

}  // namespace

Result<ThrottleCounter> ThrottleStore::Hit(const ThrottleKey& key, Clock::TimePoint now,
                                           Clock::TimePoint forget_before) {
  if (Status valid = CheckKey(key); !valid) return std::unexpected(valid.error());
  const long long now_ms = Ms(now);
  const long long forget_ms = Ms(forget_before);
  std::optional<ThrottleCounter> after;
  const auto hit = [&](soci::session& s) -> Status {
    // One UPDATE is the atomic step: the row's lock orders concurrent hits on every back
    // end. hits is assigned before last_hit_at, so MySQL (which assigns left to right)
    // compares the old time too.
    soci::statement update = Prepare(
        s,
        "UPDATE auth_throttle SET hits = CASE WHEN last_hit_at < :f THEN 1 ELSE hits + 1 END,"
        " last_hit_at = :n WHERE scope = :s AND key_hash = :k",
        [&](soci::statement& q) {
          q.exchange(soci::use(forget_ms));
          q.exchange(soci::use(now_ms));
          q.exchange(soci::use(key.scope));
          q.exchange(soci::use(key.key));
        });
    update.execute(true);
    if (update.get_affected_rows() == 0) {
      if (InsertIfMissing(s, key, 1, 0, now_ms)) {
        after = ThrottleCounter{1, FromMs(0), now};
        return {};
      }
      // Another process inserted it since the UPDATE: count this hit on its row.
      update.execute(true);
    }
    after = Select(s, key);
    if (!after) return MakeError(ErrorCode::kUnavailable, "throttle counter vanished; try again");
    return {};
  };
  Status st = db_.RunInTransaction("count a throttle hit", hit);
  // Two first hits at once: both found no row, one insert lost on the primary key. The
  // row is there now, so the second try updates it.
  if (!st) st = db_.RunInTransaction("count a throttle hit", hit);
  if (!st) return std::unexpected(st.error());
  return *after;
}

Status ThrottleStore::SetUntil(const ThrottleKey& key, Clock::TimePoint until, Clock::TimePoint now) {
  if (Status valid = CheckKey(key); !valid) return valid;
  const long long until_ms = Ms(until);
  const long long now_ms = Ms(now);
  const auto set = [&](soci::session& s) -> Status {
    soci::statement update = Prepare(
        s, "UPDATE auth_throttle SET until_at = :u WHERE scope = :s AND key_hash = :k",
        [&](soci::statement& q) {
          q.exchange(soci::use(until_ms));
          q.exchange(soci::use(key.scope));
          q.exchange(soci::use(key.key));
        });
    update.execute(true);
    // MySQL counts changed rows: an until that is already set changes none, and the
    // insert below then finds the row and does nothing.
    if (update.get_affected_rows() == 0) (void)InsertIfMissing(s, key, 0, until_ms, now_ms);
    return {};
  };
  Status st = db_.RunInTransaction("set a throttle", set);
  if (!st) st = db_.RunInTransaction("set a throttle", set);
  return st;
}

Result<std::vector<ThrottleCounter>> ThrottleStore::Read(const std::vector<ThrottleKey>& keys) {
  std::vector<ThrottleCounter> out;
  Status st = db_.Run("read throttles", [&](soci::session& s) -> Status {
    out.clear();
    for (const ThrottleKey& key : keys) out.push_back(Select(s, key).value_or(ThrottleCounter{}));
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Status ThrottleStore::Forget(const ThrottleKey& key) {
  return db_.Run("forget a throttle", [&](soci::session& s) -> Status {
    s << "DELETE FROM auth_throttle WHERE scope = :s AND key_hash = :k", soci::use(key.scope),
        soci::use(key.key);
    return {};
  });
}

Result<std::int64_t> ThrottleStore::DeleteStale(Clock::TimePoint before) {
  long long before_ms = Ms(before);
  long long deleted = 0;
  Status st = db_.Run("delete stale throttles", [&](soci::session& s) -> Status {
    soci::statement stmt = Prepare(s, "DELETE FROM auth_throttle WHERE last_hit_at < :b AND until_at < :b2",
                                   [&](soci::statement& q) {
                                     q.exchange(soci::use(before_ms));
                                     q.exchange(soci::use(before_ms));
                                   });
    stmt.execute(true);
    deleted = stmt.get_affected_rows();
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return deleted;
}

}  // namespace maskfleet::accounts
