// AccountService: who people are and what they may do.
//
// Logins (with the per-account and per-address rate limits), sessions in the
// database (so any worker serves any request), the specification's register and
// per-request credentials of /api/upload (Argon2id behind a verification cache),
// password change and recovery by a single-use, expiring mailed link, and the
// administrator's user management. The HTTP layer only translates.
//
// Thread safety: safe from many threads.
#ifndef MASKFLEET_ACCOUNTS_ACCOUNT_SERVICE_H_
#define MASKFLEET_ACCOUNTS_ACCOUNT_SERVICE_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/auth/credential_cache.h"
#include "maskfleet/auth/password_hash.h"
#include "maskfleet/auth/rate_limiter.h"
#include "maskfleet/auth/validation.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/accounts/reset_token_store.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/accounts/user_store.h"

namespace maskfleet::accounts {

struct AccountOptions {
  auth::PasswordHashOptions hashing;
  auth::PasswordRules password_rules;
  // How long a session lives without use; each use extends it. Default 7 days.
  std::chrono::seconds session_ttl = std::chrono::hours(24 * 7);
  // How long a reset link stays valid. Default 30 minutes.
  std::chrono::seconds reset_ttl = std::chrono::minutes(30);
  // Base of the links in mails, e.g. "https://masks.example.com". Required for resets.
  std::string public_url;
  // Whether POST /api/register may create users. Default true (the specification uses it).
  bool register_enabled = true;
};

struct LoggedIn {
  accounts::User user;
  std::string session_token;  // for the cookie; only its hash is stored
  std::string csrf_token;
};

class AccountService {
 public:
  AccountService(accounts::UserStore& users, accounts::SessionStore& sessions,
                 accounts::ResetTokenStore& resets, mail::Mailer& mailer, Clock& clock,
                 const AccountOptions& options);

  // Errors: kUnauthenticated (wrong username or password: the message does not say
  // which), kResourceExhausted when rate-limited, with the error's retry_after set to
  // the wait (whole seconds).
  Result<accounts::User> CheckCredentials(std::string_view username, std::string_view password,
                                         std::string_view client_address);
  // CheckCredentials, then a new session.
  Result<LoggedIn> Login(std::string_view username, std::string_view password,
                         std::string_view client_address);
  // The session's user, extending the session. Errors: kUnauthenticated.
  Result<accounts::SessionWithUser> ResolveSession(std::string_view session_token);
  Status Logout(std::string_view session_token);

  // An ordinary user, by the testing API. Errors: kPermissionDenied when switched
  // off, kInvalidArgument, kAlreadyExists.
  Result<accounts::User> Register(std::string_view username, std::string_view password);
  // By an administrator (the caller checks that). Errors as Register, and a bad email.
  Result<accounts::User> CreateUser(std::string_view username, std::string_view password,
                                   std::optional<std::string> email, bool is_admin);
  // Errors: kFailedPrecondition for the last administrator or `acting_user_id` itself.
  // Returns the object keys of the user's photos, for the caller to delete.
  Result<std::vector<std::string>> DeleteUser(std::int64_t acting_user_id, std::int64_t user_id);
  Result<std::vector<accounts::User>> ListUsers();

  // Errors: kUnauthenticated for a wrong current password, kInvalidArgument for a
  // new one that breaks the rules. Ends all of the user's sessions and opens a new
  // one for the caller.
  Result<LoggedIn> ChangePassword(const accounts::User& user, std::string_view current_password,
                                  std::string_view new_password);
  // Sets or changes the user's e-mail address (the one reset links go to); an empty
  // `email` removes it. The current password is asked for, as for a password change.
  // Returns the user as stored. Errors: kUnauthenticated for a wrong current password,
  // kInvalidArgument for an address that is not one.
  Result<accounts::User> ChangeEmail(const accounts::User& user, std::string_view current_password,
                                     std::string_view email);
  // Mails a reset link if the user exists and has an email; succeeds either way
  // (no account enumeration). Errors: only kUnavailable/kInternal from the stores.
  Status RequestPasswordReset(std::string_view username);
  // Errors: kInvalidArgument for an unknown, used or expired token, or a bad password.
  Status ConfirmPasswordReset(std::string_view token, std::string_view new_password);
  // Whether a reset link can still be used, without using it. Errors: kInvalidArgument
  // for an unknown, used or expired token (ConfirmPasswordReset's message).
  Status CheckPasswordResetToken(std::string_view token);

  const AccountOptions& options() const { return options_; }

 private:
  Result<std::string> Hash(std::string_view password);

  accounts::UserStore& users_;
  accounts::SessionStore& sessions_;
  accounts::ResetTokenStore& resets_;
  mail::Mailer& mailer_;
  Clock& clock_;
  const AccountOptions options_;
  auth::CredentialCache credentials_;
  auth::LoginRateLimiter limiter_;
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_ACCOUNT_SERVICE_H_
