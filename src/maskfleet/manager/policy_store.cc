#include "maskfleet/manager/policy_store.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "maskfleet/storage/sql.h"

namespace maskfleet::manager {

using storage::Backend;
using storage::Prepare;
using storage::ToEpochSeconds;

namespace {

// The columns that Save() writes, in the order it binds them; each placeholder is the
// column's name.
constexpr std::array<std::string_view, 11> kColumns = {"grow_threshold",
                                                       "shrink_threshold",
                                                       "expand_ratio",
                                                       "shrink_ratio",
                                                       "min_workers",
                                                       "max_workers",
                                                       "check_interval_seconds",
                                                       "window_seconds",
                                                       "shrink_stabilisation_seconds",
                                                       "paused",
                                                       "updated_at"};

std::string UpsertSql(Backend backend) {
  std::string names = "id";
  std::string values = "1";
  std::string updates;
  for (std::string_view column : kColumns) {
    const std::string c(column);
    names += ", " + c;
    values += ", :" + c;
    if (!updates.empty()) updates += ", ";
    updates += backend == Backend::kMysql ? c + " = VALUES(" + c + ")" : c + " = excluded." + c;
  }
  const std::string insert = "INSERT INTO scaling_policy (" + names + ") VALUES (" + values + ")";
  if (backend == Backend::kMysql) return insert + " ON DUPLICATE KEY UPDATE " + updates;
  return insert + " ON CONFLICT (id) DO UPDATE SET " + updates;
}

Status CheckDuration(std::chrono::seconds value, std::string_view what) {
  if (value > kMaxPolicyDuration) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " (" + std::to_string(value.count()) +
                                                      " s) must be at most " +
                                                      std::to_string(kMaxPolicyDuration.count()) + " s");
  }
  return {};
}

}  // namespace

Result<scaler::ScalingPolicy> PolicyStore::Load() {
  std::optional<scaler::ScalingPolicy> stored;
  Status st = db_.Run("load scaling policy", [&](soci::session& s) -> Status {
    scaler::ScalingPolicy p;
    int check_interval = 0, window = 0, stabilisation = 0, paused = 0;
    soci::statement q = Prepare(
        s,
        "SELECT grow_threshold, shrink_threshold, expand_ratio, shrink_ratio, min_workers,"
        " max_workers, check_interval_seconds, window_seconds, shrink_stabilisation_seconds,"
        " paused FROM scaling_policy WHERE id = 1",
        [&](soci::statement& b) {
          b.exchange(soci::into(p.grow_threshold));
          b.exchange(soci::into(p.shrink_threshold));
          b.exchange(soci::into(p.expand_ratio));
          b.exchange(soci::into(p.shrink_ratio));
          b.exchange(soci::into(p.min_workers));
          b.exchange(soci::into(p.max_workers));
          b.exchange(soci::into(check_interval));
          b.exchange(soci::into(window));
          b.exchange(soci::into(stabilisation));
          b.exchange(soci::into(paused));
        });
    if (!q.execute(true)) return {};
    p.check_interval = std::chrono::seconds(check_interval);
    p.window = std::chrono::seconds(window);
    p.shrink_stabilisation = std::chrono::seconds(stabilisation);
    p.paused = paused != 0;
    stored = p;
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return stored.value_or(scaler::ScalingPolicy{});
}

Status PolicyStore::Save(const scaler::ScalingPolicy& policy) {
  if (auto st = scaler::Validate(policy); !st) return st;
  if (auto st = CheckDuration(policy.check_interval, "check interval"); !st) return st;
  if (auto st = CheckDuration(policy.window, "averaging window"); !st) return st;
  if (auto st = CheckDuration(policy.shrink_stabilisation, "shrink stabilisation"); !st) return st;

  return db_.Run("save scaling policy", [&](soci::session& s) -> Status {
    double grow = policy.grow_threshold, shrink = policy.shrink_threshold;
    double expand = policy.expand_ratio, shrink_ratio = policy.shrink_ratio;
    int min_workers = policy.min_workers, max_workers = policy.max_workers;
    int check_interval = static_cast<int>(policy.check_interval.count());
    int window = static_cast<int>(policy.window.count());
    int stabilisation = static_cast<int>(policy.shrink_stabilisation.count());
    int paused = policy.paused ? 1 : 0;
    long long updated_at = ToEpochSeconds(clock_.Now());
    soci::statement q = Prepare(s, UpsertSql(db_.backend()), [&](soci::statement& b) {
      b.exchange(soci::use(grow));
      b.exchange(soci::use(shrink));
      b.exchange(soci::use(expand));
      b.exchange(soci::use(shrink_ratio));
      b.exchange(soci::use(min_workers));
      b.exchange(soci::use(max_workers));
      b.exchange(soci::use(check_interval));
      b.exchange(soci::use(window));
      b.exchange(soci::use(stabilisation));
      b.exchange(soci::use(paused));
      b.exchange(soci::use(updated_at));
    });
    q.execute(true);
    return {};
  });
}

}  // namespace maskfleet::manager
