// Accounts on the worker: the session and password routes both apps share
// (http/account_routes.h), password recovery, and the administrators' user management.
#include "maskfleet/http/http_util.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker::routes {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

void RegisterAccountRoutes(httplib::Server& server, const Deps& d) {
  d.account_routes.Register(server);

  server.Post(
      "/api/v1/password-reset",
      Bounded(
          d, Route("/api/v1/password-reset", [&d](const Request& req, Response& res) {
            Result<Json> body = http::ParseJsonObject(req);
            if (!body) return FailV1(res, body.error());
            Result<std::string> username = http::JsonString(*body, "username");
            if (!username) return FailV1(res, username.error());
            if (Status s = d.accounts.RequestPasswordReset(*username,
                                                           ClientAddress(req, d.options.trust_forwarded_for));
                !s) {
              return FailV1(res, s.error());
            }
            http::RespondJson(
                res, 202,
                {{"success", true},
                 {"message", "If the account exists and has an email address, a reset link is on its way."}});
          })));
  server.Post("/api/v1/password-reset/confirm",
              Bounded(d, Route("/api/v1/password-reset/confirm", [&d](const Request& req, Response& res) {
                        Result<Json> body = http::ParseJsonObject(req);
                        if (!body) return FailV1(res, body.error());
                        Result<std::string> token = http::JsonString(*body, "token");
                        Result<std::string> new_password = http::JsonString(*body, "new_password");
                        if (!token) return FailV1(res, token.error());
                        if (!new_password) return FailV1(res, new_password.error());
                        if (Status s = d.accounts.ConfirmPasswordReset(*token, *new_password); !s)
                          return FailV1(res, s.error());
                        res.status = 204;
                      })));

  // A reset page checks its link when it opens, so that a used one is refused before a
  // new password is typed; the link stays usable.
  server.Post("/api/v1/password-reset/check",
              Route("/api/v1/password-reset/check", [&d](const Request& req, Response& res) {
                Result<Json> body = http::ParseJsonObject(req);
                if (!body) return FailV1(res, body.error());
                Result<std::string> token = http::JsonString(*body, "token");
                if (!token) return FailV1(res, token.error());
                if (Status s = d.accounts.CheckPasswordResetToken(*token); !s) return FailV1(res, s.error());
                res.status = 204;
              }));

  // The caller's own e-mail address, where reset links go: set, changed or removed ("").
  server.Put("/api/v1/account/email", Route("/api/v1/account/email", [&d](const Request& req, Response& res) {
               Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, true);
               if (!who) return FailV1(res, who.error());
               Result<Json> body = http::ParseJsonObject(req);
               if (!body) return FailV1(res, body.error());
               Result<std::string> email = http::JsonString(*body, "email");
               Result<std::string> current_password = http::JsonString(*body, "current_password");
               if (!email) return FailV1(res, email.error());
               if (!current_password) return FailV1(res, current_password.error());
               Result<accounts::User> user = d.accounts.ChangeEmail(who->user, *current_password, *email);
               if (!user) return FailV1(res, user.error());
               http::RespondJson(res, 200, http::UserJson(*user));
             }));

  // ---- Users (administrators) ---------------------------------------------------------
  const auto admin = [&d](const Request& req, bool changes_state) -> Result<accounts::SessionWithUser> {
    Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, changes_state);
    if (who && !who->user.is_admin) {
      return MakeError(ErrorCode::kPermissionDenied, "only administrators manage users");
    }
    return who;
  };
  server.Get("/api/v1/users", Route("/api/v1/users", [&d, admin](const Request& req, Response& res) {
               Result<accounts::SessionWithUser> who = admin(req, false);
               if (!who) return FailV1(res, who.error());
               Result<std::vector<accounts::User>> users = d.accounts.ListUsers();
               if (!users) return FailV1(res, users.error());
               Json list = Json::array();
               for (const accounts::User& u : *users) list.push_back(http::UserJson(u));
               http::RespondJson(res, 200, {{"users", std::move(list)}});
             }));
  server.Post("/api/v1/users",
              Bounded(d, Route("/api/v1/users", [&d, admin](const Request& req, Response& res) {
                        Result<accounts::SessionWithUser> who = admin(req, true);
                        if (!who) return FailV1(res, who.error());
                        Result<Json> body = http::ParseJsonObject(req);
                        if (!body) return FailV1(res, body.error());
                        Result<std::string> username = http::JsonString(*body, "username");
                        Result<std::string> password = http::JsonString(*body, "password");
                        Result<std::string> email = http::JsonString(*body, "email", /*optional=*/true);
                        if (!username) return FailV1(res, username.error());
                        if (!password) return FailV1(res, password.error());
                        if (!email) return FailV1(res, email.error());
                        const auto is_admin = body->find("is_admin");
                        if (is_admin != body->end() && !is_admin->is_boolean()) {
                          return FailV1(res, {ErrorCode::kInvalidArgument, "is_admin must be true or false"});
                        }
                        Result<accounts::User> user = d.accounts.CreateUser(
                            *username, *password, email->empty() ? std::nullopt : std::optional(*email),
                            is_admin != body->end() && is_admin->get<bool>());
                        if (!user) return FailV1(res, user.error());
                        http::RespondJson(res, 201, http::UserJson(*user));
                      })));
  server.Delete(R"(/api/v1/users/(\d+))",
                Route("/api/v1/users/{id}", [&d, admin](const Request& req, Response& res) {
                  Result<accounts::SessionWithUser> who = admin(req, true);
                  if (!who) return FailV1(res, who.error());
                  Result<std::int64_t> id = PathId(req);
                  if (!id) return FailV1(res, id.error());
                  Result<std::vector<std::string>> keys = d.accounts.DeleteUser(who->user.id, *id);
                  if (!keys) return FailV1(res, keys.error());
                  d.photos.DeleteObjects(*keys);
                  res.status = 204;
                }));
}

}  // namespace maskfleet::worker::routes
