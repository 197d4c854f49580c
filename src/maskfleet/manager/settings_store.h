// SettingsStore: the manager's named settings (table manager_settings, schema version 3),
// small strings that must outlive a manager restart and that no other table fits, such
// as the id of the administrator who has yet to change the generated initial password.
//
// Names are compared byte for byte on every back end. The store gives the values no
// meaning; each user of a name documents what it holds.
//
// Thread safety: safe to use from many threads and processes; it holds no state of its
// own. Set() is one statement, so two processes setting one name at once leave one of
// their values, never an error.
#ifndef MASKFLEET_MANAGER_SETTINGS_STORE_H_
#define MASKFLEET_MANAGER_SETTINGS_STORE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"

namespace maskfleet::manager {

// Bounds the store enforces (the schema's column sizes; MySQL's TEXT holds 65535 bytes).
inline constexpr std::size_t kMaxSettingNameLength = 100;
inline constexpr std::size_t kMaxSettingValueLength = 65535;

class SettingsStore {
 public:
  // `db` must outlive the store and have schema version 3 or later (Database::Open
  // migrates it).
  explicit SettingsStore(storage::Database& db) : db_(db) {}

  // The value of `name`, or nullopt when it is not set. Errors: kInvalidArgument (a name
  // that Set() would refuse), kUnavailable, kInternal.
  Result<std::optional<std::string>> Get(std::string_view name);

  // Sets `name` to `value`, replacing any earlier value. The empty string is a value
  // like any other (Erase() unsets). Errors: kInvalidArgument (a name that is empty or
  // longer than kMaxSettingNameLength, a value longer than kMaxSettingValueLength,
  // either not UTF-8 or holding a NUL byte: nothing is written), kUnavailable, kInternal.
  Status Set(std::string_view name, std::string_view value);

  // Unsets `name`; erasing a name that is not set succeeds. Errors: kInvalidArgument (as
  // Get()), kUnavailable, kInternal.
  Status Erase(std::string_view name);

 private:
  storage::Database& db_;
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_SETTINGS_STORE_H_
