// InitialAdmin: the first administrator of a fresh install, when nobody configured
// one. On the first start with no administrator in the database, the manager creates
// the user "admin" with a random password, writes the password to a file only its
// owner can read, and prints it once; that administrator must change it before the
// manager does anything else for them. The mark "must change" lives in the database
// (manager_settings), so it survives a restart; the file goes once it is changed.
//
// Never a built-in password: every install gets its own random one.
//
// Thread safety: MustChange() and PasswordChanged() from any thread; EnsureExists()
// once at start.
#ifndef MASKFLEET_MANAGER_INITIAL_ADMIN_H_
#define MASKFLEET_MANAGER_INITIAL_ADMIN_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/manager/settings_store.h"
#include "maskfleet/accounts/user_store.h"
#include "maskfleet/accounts/account_service.h"

namespace maskfleet::manager {

inline constexpr char kInitialAdminName[] = "admin";

class InitialAdmin {
 public:
  // The references must outlive this object.
  InitialAdmin(accounts::UserStore& users, SettingsStore& settings, accounts::AccountService& accounts,
               std::filesystem::path password_file);

  // Creates the initial administrator when there is no administrator at all, and
  // returns its password (the caller prints it once); nullopt when an administrator
  // exists. Also loads the "must change" mark of an earlier start. Errors: the stores';
  // kUnavailable when the file cannot be written (no user is left behind then).
  Result<std::optional<std::string>> EnsureExists();

  // Whether `user_id` still has to change the generated password.
  bool MustChange(std::int64_t user_id) const { return pending_ != 0 && pending_ == user_id; }

  // `user_id` changed its password: clears the mark and deletes the file when it was
  // the initial administrator. Errors: the settings store's.
  Status PasswordChanged(std::int64_t user_id);

  const std::filesystem::path& password_file() const { return password_file_; }

 private:
  accounts::UserStore& users_;
  SettingsStore& settings_;
  accounts::AccountService& accounts_;
  const std::filesystem::path password_file_;
  std::atomic<std::int64_t> pending_{0};  // the user who must change; 0: none
};

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_INITIAL_ADMIN_H_
