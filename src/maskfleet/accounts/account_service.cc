#include "maskfleet/accounts/account_service.h"

#include <spdlog/spdlog.h>

#include "maskfleet/auth/token.h"

namespace maskfleet::accounts {
namespace {

std::unexpected<Error> WrongCredentials() {
  return MakeError(ErrorCode::kUnauthenticated, "wrong username or password");
}

}  // namespace

AccountService::AccountService(accounts::UserStore& users, accounts::SessionStore& sessions,
                               accounts::ResetTokenStore& resets, accounts::ThrottleStore& throttles,
                               mail::Mailer& mailer, Clock& clock, const AccountOptions& options)
    : users_(users),
      sessions_(sessions),
      resets_(resets),
      mailer_(mailer),
      clock_(clock),
      options_(options),
      passwords_(clock, options.hashing, options.password_checks),
      throttle_(throttles, clock, options.throttle),
      mail_thread_({.threads = 1, .max_queued = 100, .name = "reset-mail"}) {}

AccountService::~AccountService() { mail_thread_.Shutdown(); }

Result<std::string> AccountService::Hash(std::string_view password) {
  if (Status valid = auth::ValidatePassword(password, options_.password_rules); !valid) {
    return std::unexpected(valid.error());
  }
  return passwords_.Hash(password);
}

Result<accounts::User> AccountService::CheckCredentials(std::string_view username, std::string_view password,
                                                        std::string_view client_address) {
  Result<LoginCheck> check = throttle_.CheckLogin(username, client_address);
  if (!check) return std::unexpected(check.error());
  if (!check->allowed()) {
    return MakeRetryableError(
        ErrorCode::kResourceExhausted,
        std::string(check->reason == LoginCheck::Reason::kAccount
                        ? "too many failed logins for this account"
                        : "too many failed logins from this address") +
            "; try again in " + std::to_string(std::chrono::ceil<std::chrono::seconds>(check->wait).count()) +
            " s",
        check->wait);
  }
  const auto failed = [&]() -> std::unexpected<Error> {
    if (Status counted = throttle_.RecordLoginFailure(username, client_address); !counted) {
      spdlog::warn("could not count a failed login: {}", counted.error().ToString());
    }
    return WrongCredentials();
  };
  Result<accounts::User> user = users_.FindByName(username);
  if (!user) {
    if (user.error().code != ErrorCode::kNotFound) return std::unexpected(user.error());
    // Check anyway, so that a missing user costs the same time as a wrong password.
    Result<bool> absent = passwords_.VerifyAbsent(username, password);
    if (!absent) return std::unexpected(absent.error());
    return failed();
  }
  Result<bool> ok = passwords_.Verify(username, password, user->password_hash);
  if (!ok) return std::unexpected(ok.error());
  if (!*ok) return failed();
  if (Status known = throttle_.RecordLoginSuccess(username, client_address, *check); !known) {
    spdlog::warn("could not remember a login's address: {}", known.error().ToString());
  }
  return user;
}

Result<LoggedIn> AccountService::Login(std::string_view username, std::string_view password,
                                       std::string_view client_address) {
  Result<accounts::User> user = CheckCredentials(username, password, client_address);
  if (!user) return std::unexpected(user.error());
  LoggedIn out{*user, auth::NewToken(), auth::NewToken()};
  Result<accounts::Session> session = sessions_.Create(auth::TokenHash(out.session_token), user->id,
                                                       out.csrf_token, options_.session_ttl);
  if (!session) return std::unexpected(session.error());
  spdlog::info("login user={}", user->username);
  return out;
}

Result<accounts::SessionWithUser> AccountService::ResolveSession(std::string_view session_token) {
  if (!auth::IsWellFormedToken(session_token)) {
    return MakeError(ErrorCode::kUnauthenticated, "not logged in");
  }
  const std::string hash = auth::TokenHash(session_token);
  const Clock::TimePoint now = clock_.Now();
  Result<accounts::SessionWithUser> found = sessions_.FindValid(hash, now);
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kUnauthenticated, "not logged in, or the session expired");
    }
    return std::unexpected(found.error());
  }
  // Sliding expiry, written at most once a minute per session.
  if (now - found->session.last_seen > std::chrono::minutes(1)) {
    (void)sessions_.Touch(hash, now, now + options_.session_ttl);
  }
  return found;
}

Status AccountService::Logout(std::string_view session_token) {
  if (!auth::IsWellFormedToken(session_token)) return {};
  return sessions_.Delete(auth::TokenHash(session_token));
}

Result<accounts::User> AccountService::Register(std::string_view username, std::string_view password) {
  if (!options_.register_enabled) {
    return MakeError(ErrorCode::kPermissionDenied, "registration is switched off on this server");
  }
  return CreateUser(username, password, std::nullopt, false);
}

Result<accounts::User> AccountService::CreateUser(std::string_view username, std::string_view password,
                                                  std::optional<std::string> email, bool is_admin) {
  if (Status valid = auth::ValidateUsername(username); !valid) return std::unexpected(valid.error());
  if (email && !email->empty()) {
    if (Status valid = auth::ValidateEmail(*email); !valid) return std::unexpected(valid.error());
  } else {
    email.reset();
  }
  Result<std::string> hash = Hash(password);
  if (!hash) return std::unexpected(hash.error());
  Result<accounts::User> user = users_.Create(
      {std::string(username), std::move(email), std::move(*hash), is_admin});
  if (user) spdlog::info("user created user={} admin={}", user->username, is_admin);
  return user;
}

Result<std::vector<std::string>> AccountService::DeleteUser(std::int64_t acting_user_id,
                                                            std::int64_t user_id) {
  if (acting_user_id == user_id) {
    return MakeError(ErrorCode::kFailedPrecondition, "you cannot delete your own account");
  }
  Result<accounts::User> user = users_.FindById(user_id);
  if (!user) return std::unexpected(user.error());
  if (user->is_admin) {
    Result<std::int64_t> admins = users_.CountAdmins();
    if (!admins) return std::unexpected(admins.error());
    if (*admins <= 1) {
      return MakeError(ErrorCode::kFailedPrecondition, "the last administrator cannot be deleted");
    }
  }
  Result<std::vector<std::string>> keys = users_.Delete(user_id);
  if (keys) spdlog::info("user deleted user={}", user->username);
  return keys;
}

Result<std::vector<accounts::User>> AccountService::ListUsers() { return users_.List(); }

Result<LoggedIn> AccountService::ChangePassword(const accounts::User& user, std::string_view current_password,
                                                std::string_view new_password) {
  Result<bool> ok = auth::VerifyPassword(current_password, user.password_hash);
  if (!ok) return std::unexpected(ok.error());
  if (!*ok) return MakeError(ErrorCode::kUnauthenticated, "the current password is wrong");
  Result<std::string> hash = Hash(new_password);
  if (!hash) return std::unexpected(hash.error());
  if (Status set = users_.SetPasswordHash(user.id, *hash); !set) return std::unexpected(set.error());
  // Every session ends, wherever it was opened; the caller gets a fresh one.
  Result<std::int64_t> ended = sessions_.DeleteAllOfUser(user.id);
  if (!ended) return std::unexpected(ended.error());
  LoggedIn out{user, auth::NewToken(), auth::NewToken()};
  out.user.password_hash = *hash;
  Result<accounts::Session> session = sessions_.Create(auth::TokenHash(out.session_token), user.id,
                                                       out.csrf_token, options_.session_ttl);
  if (!session) return std::unexpected(session.error());
  spdlog::info("password changed user={}", user.username);
  return out;
}

Status AccountService::RequestPasswordReset(std::string_view username, std::string_view client_address) {
  // Only what costs the same for every name runs here; the lookup, the token and the
  // mail run on the mail thread.
  if (Status counted = throttle_.CountResetRequest(username, client_address); !counted) return counted;
  Status queued = mail_thread_.Post([this, name = std::string(username)] { SendResetMail(name); });
  if (!queued) {
    return MakeError(ErrorCode::kUnavailable,
                     "too many reset mails are waiting to go out; try again in a minute");
  }
  return {};
}

void AccountService::FlushResetMail() {
  if (auto done = mail_thread_.Submit([] {}); done) done->wait();
}

void AccountService::SendResetMail(const std::string& username) {
  Result<accounts::User> user = users_.FindByName(username);
  if (!user) {
    if (user.error().code != ErrorCode::kNotFound) {
      spdlog::warn("password reset: cannot look the user up: {}", user.error().ToString());
    }
    return;
  }
  if (!user->email) {
    spdlog::info("password reset asked for user={} without email; nothing sent", user->username);
    return;
  }
  const std::string token = auth::NewToken();
  if (Status s = resets_.Create(auth::TokenHash(token), user->id, clock_.Now() + options_.reset_ttl); !s) {
    spdlog::warn("password reset: cannot store the link of user={}: {}", user->username,
                 s.error().ToString());
    return;
  }
  mail::Message message;
  message.to = *user->email;
  message.subject = "Reset your maskfleet password";
  message.text_body = "Someone (hopefully you) asked to reset the password of the maskfleet account '" +
                      user->username + "'.\n\nTo choose a new password, open this link within " +
                      std::to_string(options_.reset_ttl.count() / 60) + " minutes:\n\n" +
                      options_.public_url + "/reset?token=" + token +
                      "\n\nThe link works once. If you did not ask for it, ignore this mail: your "
                      "password stays as it is.\n";
  if (Status sent = mailer_.Send(message); !sent) {
    spdlog::warn("password reset: cannot mail user={}: {}", user->username, sent.error().ToString());
  }
}

namespace {

// One answer for an unknown, used or expired link (the reason is the store's, for the log).
Error ResetLinkError(const Error& error) {
  if (error.code != ErrorCode::kNotFound) return error;
  return Error{ErrorCode::kInvalidArgument,
               "this reset link is unknown, already used or expired; ask for a new one"};
}

}  // namespace

Result<accounts::User> AccountService::ChangeEmail(const accounts::User& user,
                                                   std::string_view current_password,
                                                   std::string_view email) {
  Result<bool> right = auth::VerifyPassword(current_password, user.password_hash);
  if (!right) return std::unexpected(right.error());
  if (!*right) return MakeError(ErrorCode::kUnauthenticated, "the current password is wrong");
  std::optional<std::string> address;
  if (!email.empty()) {
    if (Status valid = auth::ValidateEmail(email); !valid) return std::unexpected(valid.error());
    address = std::string(email);
  }
  if (Status set = users_.SetEmail(user.id, address); !set) return std::unexpected(set.error());
  spdlog::info("e-mail address {} user_id={}", address ? "set" : "removed", user.id);
  return users_.FindById(user.id);
}

Status AccountService::CheckPasswordResetToken(std::string_view token) {
  if (!auth::IsWellFormedToken(token)) {
    return MakeError(ErrorCode::kInvalidArgument, "this reset link is not valid");
  }
  Result<std::int64_t> user_id = resets_.Check(auth::TokenHash(token), clock_.Now());
  if (!user_id) return std::unexpected(ResetLinkError(user_id.error()));
  return {};
}

Status AccountService::ConfirmPasswordReset(std::string_view token, std::string_view new_password) {
  if (Status valid = auth::ValidatePassword(new_password, options_.password_rules); !valid) {
    return valid;
  }
  if (!auth::IsWellFormedToken(token)) {
    return MakeError(ErrorCode::kInvalidArgument, "this reset link is not valid");
  }
  Result<std::int64_t> user_id = resets_.Consume(auth::TokenHash(token), clock_.Now());
  if (!user_id) return std::unexpected(ResetLinkError(user_id.error()));
  Result<std::string> hash = auth::HashPassword(new_password, options_.hashing);
  if (!hash) return std::unexpected(hash.error());
  if (Status set = users_.SetPasswordHash(*user_id, *hash); !set) return set;
  Result<std::int64_t> ended = sessions_.DeleteAllOfUser(*user_id);
  if (!ended) return std::unexpected(ended.error());
  spdlog::info("password reset done user_id={}", *user_id);
  return {};
}

}  // namespace maskfleet::accounts
