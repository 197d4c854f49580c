#include "maskfleet/manager/settings_store.h"
#include "maskfleet/storage/sql.h"

namespace maskfleet::manager {

using storage::Backend;
using storage::IsStorableText;
using storage::Prepare;

namespace {

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxSettingNameLength || !IsStorableText(name)) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "setting name must be 1 to " + std::to_string(kMaxSettingNameLength) + " bytes of UTF-8 without NUL");
  }
  return {};
}

std::string UpsertSql(Backend backend) {
  const std::string insert = "INSERT INTO manager_settings (name, value) VALUES (:n, :v)";
  if (backend == Backend::kMysql) return insert + " ON DUPLICATE KEY UPDATE value = VALUES(value)";
  return insert + " ON CONFLICT (name) DO UPDATE SET value = excluded.value";
}

}  // namespace

Result<std::optional<std::string>> SettingsStore::Get(std::string_view name) {
  if (auto st = CheckName(name); !st) return std::unexpected(st.error());
  std::optional<std::string> found;
  Status st = db_.Run("read manager setting", [&](soci::session& s) -> Status {
    std::string key(name);
    std::string value;
    soci::statement q = Prepare(s, "SELECT value FROM manager_settings WHERE name = :n",
                                [&](soci::statement& b) {
                                  b.exchange(soci::into(value));
                                  b.exchange(soci::use(key));
                                });
    if (q.execute(true)) found = std::move(value);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return found;
}

Status SettingsStore::Set(std::string_view name, std::string_view value) {
  if (auto st = CheckName(name); !st) return st;
  if (value.size() > kMaxSettingValueLength || !IsStorableText(value)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "value of setting '" + std::string(name) + "' must be at most " +
                         std::to_string(kMaxSettingValueLength) + " bytes of UTF-8 without NUL");
  }
  return db_.Run("write manager setting", [&](soci::session& s) -> Status {
    std::string key(name);
    std::string text(value);
    soci::statement q = Prepare(s, UpsertSql(db_.backend()), [&](soci::statement& b) {
      b.exchange(soci::use(key));
      b.exchange(soci::use(text));
    });
    q.execute(true);
    return {};
  });
}

Status SettingsStore::Erase(std::string_view name) {
  if (auto st = CheckName(name); !st) return st;
  return db_.Run("erase manager setting", [&](soci::session& s) -> Status {
    std::string key(name);
    soci::statement q = Prepare(s, "DELETE FROM manager_settings WHERE name = :n",
                                [&](soci::statement& b) { b.exchange(soci::use(key)); });
    q.execute(true);
    return {};
  });
}

}  // namespace maskfleet::manager
