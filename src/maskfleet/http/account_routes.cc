#include "maskfleet/http/account_routes.h"

#include "maskfleet/http/http_util.h"

namespace maskfleet::http {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

Json UserJson(const accounts::User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email ? Json(*u.email) : Json(nullptr)},
          {"is_admin", u.is_admin},
          {"created_at", IsoTime(u.created_at)}};
}

AccountRoutes::AccountRoutes(accounts::AccountService& accounts, AccountRouteOptions options)
    : accounts_(accounts), options_(std::move(options)) {}

Result<accounts::SessionWithUser> AccountRoutes::Caller(const Request& req, bool changes_state) const {
  Result<accounts::SessionWithUser> who = SessionOf(accounts_, req, options_.cookie_name, changes_state);
  if (!who || !options_.admit) return who;
  if (Status admitted = options_.admit(who->user); !admitted) return std::unexpected(admitted.error());
  return who;
}

void AccountRoutes::SetSessionCookie(Response& res, const std::string& token) const {
  res.set_header("Set-Cookie",
                 SessionCookie(options_.cookie_name, token, accounts_.options().session_ttl.count(),
                               options_.secure_cookies));
}

Json AccountRoutes::SessionJson(const accounts::User& user, const std::string& csrf_token) const {
  Json out{{"user", UserJson(user)}, {"csrf_token", csrf_token}};
  if (options_.describe) options_.describe(user, out);
  return out;
}

void AccountRoutes::Register(httplib::Server& server) const {
  const auto named = [this](const char* route) {
    if (options_.on_route) options_.on_route(route);
  };
  const auto& fail = options_.fail;

  // The two POST routes take small JSON bodies, bounded whatever their framing.
  constexpr std::size_t kMaxBody = 64 * 1024;
  server.Post("/api/v1/session",
              BoundedBody(
                  kMaxBody,
                  [this, named, fail](const Request& req, Response& res) {
                    named("/api/v1/session");
                    Result<Json> body = ParseJsonObject(req);
                    if (!body) return fail(res, body.error());
                    Result<std::string> username = JsonString(*body, "username");
                    Result<std::string> password = JsonString(*body, "password");
                    if (!username) return fail(res, username.error());
                    if (!password) return fail(res, password.error());
                    const std::string client = options_.client_address ? options_.client_address(req)
                                                                       : req.remote_addr;
                    Result<accounts::LoggedIn> in = accounts_.Login(*username, *password, client);
                    if (!in) return fail(res, in.error());
                    if (options_.admit) {
                      if (Status admitted = options_.admit(in->user); !admitted) {
                        (void)accounts_.Logout(in->session_token);
                        return fail(res, admitted.error());
                      }
                    }
                    SetSessionCookie(res, in->session_token);
                    RespondJson(res, 200, SessionJson(in->user, in->csrf_token));
                  },
                  fail));
  server.Get("/api/v1/session", [this, named, fail](const Request& req, Response& res) {
    named("/api/v1/session");
    Result<accounts::SessionWithUser> who = Caller(req, false);
    if (!who) return fail(res, who.error());
    RespondJson(res, 200, SessionJson(who->user, who->session.csrf_token));
  });
  server.Delete("/api/v1/session", [this, named, fail](const Request& req, Response& res) {
    named("/api/v1/session");
    Result<accounts::SessionWithUser> who = Caller(req, true);
    if (!who) return fail(res, who.error());
    if (Status s = accounts_.Logout(*GetCookie(req, options_.cookie_name)); !s) return fail(res, s.error());
    res.set_header("Set-Cookie", SessionCookie(options_.cookie_name, "", 0, options_.secure_cookies));
    res.status = 204;
  });
  server.Post("/api/v1/password", BoundedBody(
                                      kMaxBody,
                                      [this, named, fail](const Request& req, Response& res) {
                                        named("/api/v1/password");
                                        Result<accounts::SessionWithUser> who = Caller(req, true);
                                        if (!who) return fail(res, who.error());
                                        Result<Json> body = ParseJsonObject(req);
                                        if (!body) return fail(res, body.error());
                                        Result<std::string> current_password = JsonString(*body,
                                                                                          "current_password");
                                        Result<std::string> new_password = JsonString(*body, "new_password");
                                        if (!current_password) return fail(res, current_password.error());
                                        if (!new_password) return fail(res, new_password.error());
                                        Result<accounts::LoggedIn> in = accounts_.ChangePassword(
                                            who->user, *current_password, *new_password);
                                        if (!in) return fail(res, in.error());
                                        if (options_.password_changed) {
                                          if (Status s = options_.password_changed(who->user); !s)
                                            return fail(res, s.error());
                                        }
                                        SetSessionCookie(res, in->session_token);
                                        RespondJson(res, 200, SessionJson(in->user, in->csrf_token));
                                      },
                                      fail));
}

}  // namespace maskfleet::http
