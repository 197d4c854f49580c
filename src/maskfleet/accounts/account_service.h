// AccountService: who people are and what they may do.
//
// Logins (with growing delays per account and per address, counted in the database:
// sign_in_throttle.h), sessions in the database (so any worker serves any request), the
// specification's register and per-request credentials of /api/upload (Argon2id behind
// a verification cache, with bounded concurrency: auth/password_checker.h), password
// change and recovery by a single-use, expiring mailed link, and the administrator's
// user management. The HTTP layer only translates.
//
// Reset mails are sent by a thread of the service's own, off the request: a request
// for a reset costs the same, and answers the same, whether the account exists, has
// an address or not. Once a link is used, or the password changes, every link of the
// user is void.
//
// Thread safety: safe from many threads.
#ifndef MASKFLEET_ACCOUNTS_ACCOUNT_SERVICE_H_
#define MASKFLEET_ACCOUNTS_ACCOUNT_SERVICE_H_

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/auth/password_checker.h"
#include "maskfleet/auth/password_hash.h"
#include "maskfleet/auth/validation.h"
#include "maskfleet/common/bounded_executor.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/accounts/reset_token_store.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/accounts/sign_in_throttle.h"
#include "maskfleet/accounts/throttle_store.h"
#include "maskfleet/accounts/user_store.h"

namespace maskfleet::accounts {

struct AccountOptions {
  auth::PasswordHashOptions hashing;
  // Bounds on the Argon2id computations of requests (auth/password_checker.h).
  auth::PasswordCheckOptions password_checks;
  auth::PasswordRules password_rules;
  // How long a session lives without use; each use extends it. Default 7 days.
  std::chrono::seconds session_ttl = std::chrono::hours(24 * 7);
  // How long a reset link stays valid. Default 30 minutes.
  std::chrono::seconds reset_ttl = std::chrono::minutes(30);
  // Base of the links in mails, e.g. "https://masks.example.com". Required for resets.
  std::string public_url;
  // Whether POST /api/register may create users. Default true (the specification uses it).
  bool register_enabled = true;
  // Login and reset throttling (sign_in_throttle.h for the defaults).
  SignInThrottleOptions throttle;
};

struct LoggedIn {
  accounts::User user;
  std::string session_token;  // for the cookie; only its hash is stored
  std::string csrf_token;
};

class AccountService {
 public:
  // The references must outlive the service.
  AccountService(accounts::UserStore& users, accounts::SessionStore& sessions,
                 accounts::ResetTokenStore& resets, accounts::ThrottleStore& throttles, mail::Mailer& mailer,
                 Clock& clock, const AccountOptions& options);
  // Sends the reset mails still queued, then returns.
  ~AccountService();

  // Errors: kUnauthenticated (wrong username or password: the message does not say
  // which), kResourceExhausted while the account or the address waits (see
  // sign_in_throttle.h), with the error's retry_after set to the wait; kUnavailable
  // when the database is, or, with retry_after, when too many password checks are
  // running or waiting already.
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
  // Queues the mailing of a reset link, which goes out if the user exists and has an
  // email; succeeds either way (no account enumeration), in the same time. Errors:
  // kResourceExhausted while the name or `client_address` waits (sign_in_throttle.h);
  // kUnavailable when the mail queue is full or the database is unavailable.
  Status RequestPasswordReset(std::string_view username, std::string_view client_address);
  // Sets the password of the link's user; the link and every other of the user's links
  // are void afterwards. Errors: kInvalidArgument for an unknown, used or expired
  // token, or a bad password.
  Status ConfirmPasswordReset(std::string_view token, std::string_view new_password);
  // Whether a reset link can still be used, without using it. Errors: kInvalidArgument
  // for an unknown, used or expired token (ConfirmPasswordReset's message).
  Status CheckPasswordResetToken(std::string_view token);
  // Waits until the reset mails queued so far are sent (or failed); for tests.
  void FlushResetMail();

  const AccountOptions& options() const { return options_; }

 private:
  Result<std::string> Hash(std::string_view password);
  // Looks the user up and mails them a link; runs on mail_thread_.
  void SendResetMail(const std::string& username);

  accounts::UserStore& users_;
  accounts::SessionStore& sessions_;
  accounts::ResetTokenStore& resets_;
  mail::Mailer& mailer_;
  Clock& clock_;
  const AccountOptions options_;
  auth::PasswordChecker passwords_;
  SignInThrottle throttle_;
  BoundedExecutor mail_thread_;  // last: its destructor sends what is queued
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_ACCOUNT_SERVICE_H_
