#include "maskfleet/manager/manager_server.h"

#include <spdlog/spdlog.h>

#include "maskfleet/http/http_util.h"
#include "maskfleet/manager/routes.h"
#include "maskfleet/observability/logging.h"
#include "maskfleet/observability/request_id.h"

namespace maskfleet::manager {

namespace routes {

using httplib::Request;
using httplib::Response;

namespace {
thread_local std::string current_request_id;
}  // namespace

void Fail(Response& res, const Error& e) {
  http::RespondError(res, e, http::ErrorStyle::kApiV1, current_request_id);
}

bool Admin(const Deps& d, const Request& req, Response& res, bool changes_state) {
  Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, changes_state);
  if (!who) {
    Fail(res, who.error());
    return false;
  }
  if (d.services.initial_admin.MustChange(who->user.id)) {
    http::RespondJson(res, 403,
                      {{"success", false},
                       {"error",
                        {{"code", 403},
                         {"reason", "failed_precondition"},
                         {"message",
                          "change the generated initial password first "
                          "(POST /api/v1/password, or the account page)"}}}});
    return false;
  }
  return true;
}

}  // namespace routes

namespace {

// Polling routes the pages call every few seconds: not worth an access-log line each.
bool IsPolling(const httplib::Request& req) {
  return req.method == "GET" &&
         (req.path == "/api/v1/pool" || req.path == "/api/v1/metrics" || req.path == "/api/v1/decisions" ||
          req.path == "/api/v1/session" || req.path == "/healthz");
}

// The manager's sessions: administrators only; its JSON says whether the generated
// initial password must still be changed, and a change clears that.
http::AccountRouteOptions AccountRouteOptionsFor(InitialAdmin& initial_admin, bool secure_cookies) {
  http::AccountRouteOptions out;
  out.cookie_name = http::kManagerSessionCookie;
  out.secure_cookies = secure_cookies;
  out.admit = [](const accounts::User& user) -> Status {
    if (!user.is_admin)
      return MakeError(ErrorCode::kPermissionDenied, "the manager is for administrators only");
    return {};
  };
  out.describe = [&initial_admin](const accounts::User& user, nlohmann::json& json) {
    json["must_change_password"] = initial_admin.MustChange(user.id);
  };
  out.password_changed = [&initial_admin](const accounts::User& user) {
    return initial_admin.PasswordChanged(user.id);
  };
  out.fail = routes::Fail;
  return out;
}

}  // namespace

ManagerServer::ManagerServer(ManagerServices services, PoolFacts facts, ManagerServerOptions options)
    : s_(services),
      facts_(std::move(facts)),
      options_(std::move(options)),
      account_routes_(s_.accounts, AccountRouteOptionsFor(s_.initial_admin, options_.secure_cookies)),
      deps_(std::make_unique<routes::Deps>(routes::Deps{s_, facts_, options_, account_routes_})) {
  // uPlot sizes its elements through style attributes: 'unsafe-inline' for styles only.
  http::ApplyServerDefaults(http_, options_.http_threads, 64 * 1024,
                            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  RegisterRoutes();
}

ManagerServer::~ManagerServer() { Stop(); }

Result<int> ManagerServer::Start(const std::string& host, int port) {
  Result<int> bound = http::Bind(http_, host, port);
  if (bound) thread_ = http::Serve(http_);
  return bound;
}

void ManagerServer::Stop() {
  if (http_.is_running()) http_.stop();
  if (thread_.joinable()) thread_.join();
}

void ManagerServer::RegisterRoutes() {
  using httplib::Request;
  using httplib::Response;
  using routes::current_request_id;
  http_.set_pre_routing_handler([](const Request& req, Response& res) {
    current_request_id = observability::RequestIdFor(req.get_header_value("X-Request-Id"));
    res.set_header("X-Request-Id", current_request_id);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http_.set_logger([](const Request& req, const Response& res) {
    if (IsPolling(req) && res.status < 400) return;
    observability::LogAccess(*spdlog::default_logger(), {.method = req.method,
                                                         .target = req.target,
                                                         .status = res.status,
                                                         .bytes = res.body.size(),
                                                         .request_id = current_request_id,
                                                         .client_address = req.remote_addr});
  });
  http::AnswerExceptionsWith(http_, routes::Fail);
  http_.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    routes::Fail(res, http::ErrorForStatus(req, status));
    res.status = status;
  });

  http_.Get("/healthz", [](const Request&, Response& res) {
    http::RespondJson(res, 200, {{"status", "ok"}});
  });
  account_routes_.Register(http_);
  routes::RegisterPoolRoutes(http_, *deps_);
  routes::RegisterMetricsRoutes(http_, *deps_);
  routes::RegisterPolicyRoutes(http_, *deps_);
  routes::RegisterDataRoutes(http_, *deps_);
  routes::RegisterPageRoutes(http_, *deps_);
}

}  // namespace maskfleet::manager
