// How an app sets its accounts up from the shared settings: the Argon2id cost, the
// AccountService's options, and the first administrator named in [admin].
#ifndef MASKFLEET_ACCOUNTS_SETUP_H_
#define MASKFLEET_ACCOUNTS_SETUP_H_

#include <string>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/accounts/user_store.h"
#include "maskfleet/auth/password_hash.h"
#include "maskfleet/common/error.h"
#include "maskfleet/config/shared_config.h"

namespace maskfleet::accounts {

// Argon2id cost by name: "interactive" (libsodium's, ~64 MiB), "moderate"
// (~256 MiB) or "minimum" (for tests only).
auth::PasswordHashOptions HashingByName(const std::string& name);

// The options of [auth] and [worker] session_days and public_url; `register_enabled`
// is the app's (the manager never registers).
AccountOptions AccountOptionsFrom(const config::SharedConfig& config, bool register_enabled);

// Creates the administrator of [admin] when the database has no administrator yet.
// Errors: kInvalidArgument (a name without a password), the stores'.
Status EnsureFirstAdmin(const config::SharedConfig& config, UserStore& users, AccountService& accounts);

// Logs a warning for each account whose name clashes by case with an older one's
// (UserStore::NameClashes), saying what that means and what to do. Errors: the store's.
Status ReportNameClashes(UserStore& users);

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_SETUP_H_
