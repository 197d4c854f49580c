// AccountRoutes: the session and password routes that the worker and the manager both
// serve (docs/api.md, docs/manager.md), written once.
//
//   POST   /api/v1/session   log in (JSON username, password); sets the session cookie
//   GET    /api/v1/session   who is logged in, with the CSRF token
//   DELETE /api/v1/session   log out (CSRF)
//   POST   /api/v1/password  change one's password (CSRF); a fresh session
//
// Each app says who may hold a session (`admit`: the manager admits administrators
// only), what the session's JSON adds (`describe`), and what follows a password change.
//
// Thread safety: after construction, safe from the server's threads.
#ifndef MASKFLEET_HTTP_ACCOUNT_ROUTES_H_
#define MASKFLEET_HTTP_ACCOUNT_ROUTES_H_

#include <functional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/common/error.h"
#include "maskfleet/http/http_util.h"

namespace maskfleet::http {

struct AccountRouteOptions {
  // The session cookie's name: each app has its own (kSessionCookie, the worker's;
  // kManagerSessionCookie, the manager's). Default kSessionCookie.
  std::string cookie_name = kSessionCookie;
  // Set the Secure flag on the session cookie.
  bool secure_cookies = false;
  // The client address that login rate limits count by. Default: the peer's address.
  std::function<std::string(const httplib::Request&)> client_address;
  // Whether `user` may hold a session here; the error is the answer (a login that is
  // refused is logged out again). Default: everyone.
  std::function<Status(const accounts::User&)> admit;
  // Adds the app's fields to a session's JSON. Default: nothing.
  std::function<void(const accounts::User&, nlohmann::json&)> describe;
  // Runs after a password change, before the answer; an error is the answer.
  std::function<Status(const accounts::User&)> password_changed;
  // Writes an error answer (the server's style and request id). Required.
  std::function<void(httplib::Response&, const Error&)> fail;
  // Called first in every handler with the route's label (for metrics). Default: none.
  std::function<void(const char* route)> on_route;
};

// {"id", "username", "email", "is_admin", "created_at"}.
nlohmann::json UserJson(const accounts::User& user);

class AccountRoutes {
 public:
  // `accounts` must outlive the routes.
  AccountRoutes(accounts::AccountService& accounts, AccountRouteOptions options);

  // The caller's session, admitted; with `changes_state`, the request must carry the
  // CSRF token. Errors: SessionOf's, and `admit`'s.
  Result<accounts::SessionWithUser> Caller(const httplib::Request& req, bool changes_state) const;

  // Sets the session cookie for `token` (valid for the session's lifetime).
  void SetSessionCookie(httplib::Response& res, const std::string& token) const;

  // Adds the four routes to `server`.
  void Register(httplib::Server& server) const;

 private:
  nlohmann::json SessionJson(const accounts::User& user, const std::string& csrf_token) const;

  accounts::AccountService& accounts_;
  const AccountRouteOptions options_;
};

}  // namespace maskfleet::http

#endif  // MASKFLEET_HTTP_ACCOUNT_ROUTES_H_
