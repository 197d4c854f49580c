#include "maskfleet/manager/manager_server.h"

#include <algorithm>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "maskfleet/observability/logging.h"
#include "maskfleet/observability/request_id.h"
#include "maskfleet/worker/http_util.h"

namespace maskfleet::manager {
namespace {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;
using worker::IsoTime;

thread_local std::string current_request_id;

void Fail(Response& res, const Error& e) {
  worker::RespondError(res, e, worker::ErrorStyle::kApiV1, current_request_id);
}

Json UserJson(const storage::User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email ? Json(*u.email) : Json(nullptr)},
          {"is_admin", u.is_admin},
          {"created_at", IsoTime(u.created_at)}};
}

Json BalancerJson(const std::optional<lb::ServerStatus>& s) {
  if (!s) return nullptr;
  return {{"state", lb::ServerStateName(s->state)},
          {"healthy", s->healthy},
          {"check", s->check_status},
          {"check_detail", s->check_detail},
          {"active_connections", s->active_connections}};
}

Json WorkerJson(const WorkerView& w) {
  Json details = Json::object();
  for (const auto& [key, value] : w.info.details) details[key] = value;
  return {{"id", w.info.id},
          {"address", w.info.address},
          {"port", w.info.port},
          {"state", pool::WorkerStateName(w.info.state)},
          {"launched_at", IsoTime(w.info.launched_at)},
          {"state_since", IsoTime(w.info.state_since)},
          {"reason", w.info.reason},
          {"details", std::move(details)},
          {"balancer", BalancerJson(w.balancer)}};
}

Json PolicyJson(const scaler::ScalingPolicy& p) {
  return {{"grow_threshold", p.grow_threshold},
          {"shrink_threshold", p.shrink_threshold},
          {"expand_ratio", p.expand_ratio},
          {"shrink_ratio", p.shrink_ratio},
          {"min_workers", p.min_workers},
          {"max_workers", p.max_workers},
          {"check_interval_seconds", p.check_interval.count()},
          {"window_seconds", p.window.count()},
          {"shrink_stabilisation_seconds", p.shrink_stabilisation.count()},
          {"paused", p.paused}};
}

// The whole policy object; every field is required, so that a client that forgot one
// does not silently reset it to its default.
Result<scaler::ScalingPolicy> PolicyFromJson(const Json& body) {
  scaler::ScalingPolicy p;
  const auto number = [&body](const char* field, double& out) -> Status {
    if (!body.contains(field) || !body[field].is_number()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " must be a number");
    }
    out = body[field].get<double>();
    return {};
  };
  const auto whole = [&body](const char* field, auto& out) -> Status {
    if (!body.contains(field) || !body[field].is_number_integer()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " must be a whole number");
    }
    const std::int64_t v = body[field].get<std::int64_t>();
    if (v < -1'000'000'000 || v > 1'000'000'000) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " is out of range");
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    return {};
  };
  std::int64_t check = 0, window = 0, stabilisation = 0;
  for (Status s : {number("grow_threshold", p.grow_threshold), number("shrink_threshold", p.shrink_threshold),
                   number("expand_ratio", p.expand_ratio), number("shrink_ratio", p.shrink_ratio),
                   whole("min_workers", p.min_workers), whole("max_workers", p.max_workers),
                   whole("check_interval_seconds", check), whole("window_seconds", window),
                   whole("shrink_stabilisation_seconds", stabilisation)}) {
    if (!s) return std::unexpected(s.error());
  }
  if (!body.contains("paused") || !body["paused"].is_boolean()) {
    return MakeError(ErrorCode::kInvalidArgument, "paused must be true or false");
  }
  p.paused = body["paused"].get<bool>();
  p.check_interval = std::chrono::seconds(check);
  p.window = std::chrono::seconds(window);
  p.shrink_stabilisation = std::chrono::seconds(stabilisation);
  if (Status valid = scaler::Validate(p); !valid) return std::unexpected(valid.error());
  return p;
}

Json OptionalSeries(const std::vector<std::optional<double>>& values) {
  Json out = Json::array();
  for (const std::optional<double>& v : values) out.push_back(v ? Json(*v) : Json(nullptr));
  return out;
}

// Polling routes the pages call every few seconds: not worth an access-log line each.
bool IsPolling(const Request& req) {
  return req.method == "GET" && (req.path == "/api/v1/pool" || req.path == "/api/v1/metrics" ||
                                 req.path == "/api/v1/decisions" || req.path == "/api/v1/session" ||
                                 req.path == "/healthz");
}

}  // namespace

ManagerServer::ManagerServer(ManagerServices services, PoolFacts facts, ManagerServerOptions options)
    : s_(services), facts_(std::move(facts)), options_(std::move(options)) {
  // uPlot sizes its elements through style attributes: 'unsafe-inline' for styles only.
  worker::ApplyServerDefaults(http_, options_.http_threads, 64 * 1024,
                              "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                              "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  RegisterRoutes();
}

ManagerServer::~ManagerServer() { Stop(); }

Result<int> ManagerServer::Start(const std::string& host, int port) {
  Result<int> bound = worker::Bind(http_, host, port);
  if (bound) thread_ = std::thread([this] { http_.listen_after_bind(); });
  return bound;
}

void ManagerServer::Stop() {
  if (http_.is_running()) http_.stop();
  if (thread_.joinable()) thread_.join();
}

void ManagerServer::RegisterRoutes() {
  http_.set_pre_routing_handler([](const Request& req, Response& res) {
    current_request_id = observability::RequestIdFor(req.get_header_value("X-Request-Id"));
    res.set_header("X-Request-Id", current_request_id);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http_.set_logger([](const Request& req, const Response& res) {
    if (IsPolling(req) && res.status < 400) return;
    observability::LogAccess(*spdlog::default_logger(),
                             {.method = req.method,
                              .target = req.target,
                              .status = res.status,
                              .bytes = res.body.size(),
                              .request_id = current_request_id,
                              .client_address = req.remote_addr});
  });
  worker::AnswerExceptionsWith(http_, Fail);
  http_.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    Fail(res, worker::ErrorForStatus(req, status));
    res.status = status;
  });

  // The logged-in caller. State changes must carry the session's CSRF token.
  const auto session = [this](const Request& req, bool changes_state) -> Result<storage::SessionWithUser> {
    Result<storage::SessionWithUser> who = worker::SessionOf(s_.accounts, req, changes_state);
    if (!who) return who;
    if (!who->user.is_admin) {
      return MakeError(ErrorCode::kPermissionDenied, "the manager is for administrators only");
    }
    return who;
  };
  // An administrator who may use the manager: also past the initial password change.
  // On failure the answer is already written.
  const auto admin = [this, session](const Request& req, Response& res, bool changes_state) -> bool {
    Result<storage::SessionWithUser> who = session(req, changes_state);
    if (!who) {
      Fail(res, who.error());
      return false;
    }
    if (s_.initial_admin.MustChange(who->user.id)) {
      worker::RespondJson(res, 403,
                          {{"success", false},
                           {"error", {{"code", 403},
                                      {"reason", "failed_precondition"},
                                      {"message", "change the generated initial password first "
                                                  "(POST /api/v1/password, or the account page)"}}}});
      return false;
    }
    return true;
  };
  const auto session_json = [this](const storage::User& user, const std::string& csrf) {
    return Json{{"user", UserJson(user)},
                {"csrf_token", csrf},
                {"must_change_password", s_.initial_admin.MustChange(user.id)}};
  };
  const auto set_cookie = [this](Response& res, const std::string& token) {
    res.set_header("Set-Cookie", worker::SessionCookie(token, s_.accounts.options().session_ttl.count(),
                                                       options_.secure_cookies));
  };

  http_.Get("/healthz", [](const Request&, Response& res) {
    worker::RespondJson(res, 200, {{"status", "ok"}});
  });

  // ---- Session -------------------------------------------------------------------------
  http_.Post("/api/v1/session", [this, session_json, set_cookie](const Request& req, Response& res) {
    Result<Json> body = worker::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    Result<std::string> username = worker::JsonString(*body, "username");
    Result<std::string> password = worker::JsonString(*body, "password");
    if (!username) return Fail(res, username.error());
    if (!password) return Fail(res, password.error());
    std::chrono::seconds retry_after{0};
    Result<worker::LoggedIn> in = s_.accounts.Login(*username, *password, req.remote_addr, &retry_after);
    if (!in) {
      if (retry_after.count() > 0) res.set_header("Retry-After", std::to_string(retry_after.count()));
      return Fail(res, in.error());
    }
    if (!in->user.is_admin) {
      (void)s_.accounts.Logout(in->session_token);
      return Fail(res, {ErrorCode::kPermissionDenied, "the manager is for administrators only"});
    }
    set_cookie(res, in->session_token);
    worker::RespondJson(res, 200, session_json(in->user, in->csrf_token));
  });
  http_.Get("/api/v1/session", [session, session_json](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = session(req, false);
    if (!who) return Fail(res, who.error());
    worker::RespondJson(res, 200, session_json(who->user, who->session.csrf_token));
  });
  http_.Delete("/api/v1/session", [this, session](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = session(req, true);
    if (!who) return Fail(res, who.error());
    if (Status s = s_.accounts.Logout(*worker::GetCookie(req, worker::kSessionCookie)); !s) {
      return Fail(res, s.error());
    }
    res.set_header("Set-Cookie", worker::SessionCookie("", 0, options_.secure_cookies));
    res.status = 204;
  });
  http_.Post("/api/v1/password", [this, session, session_json, set_cookie](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = session(req, true);
    if (!who) return Fail(res, who.error());
    Result<Json> body = worker::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    Result<std::string> current_password = worker::JsonString(*body, "current_password");
    Result<std::string> new_password = worker::JsonString(*body, "new_password");
    if (!current_password) return Fail(res, current_password.error());
    if (!new_password) return Fail(res, new_password.error());
    Result<worker::LoggedIn> in = s_.accounts.ChangePassword(who->user, *current_password, *new_password);
    if (!in) return Fail(res, in.error());
    if (Status s = s_.initial_admin.PasswordChanged(who->user.id); !s) return Fail(res, s.error());
    set_cookie(res, in->session_token);
    worker::RespondJson(res, 200, session_json(in->user, in->csrf_token));
  });

  // ---- Pool ----------------------------------------------------------------------------
  http_.Get("/api/v1/pool", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, false)) return;
    const PoolView view = s_.controller.View();
    Json workers = Json::array();
    for (const WorkerView& w : view.workers) workers.push_back(WorkerJson(w));
    worker::RespondJson(
        res, 200,
        {{"desired_size", view.desired_size},
         {"counts", {{"starting", view.starting}, {"in_service", view.in_service}, {"draining", view.draining}}},
         {"load_balancer", {{"kind", facts_.balancer_kind}, {"entry_url", facts_.entry_url}}},
         {"cpu_limit", {{"mechanism", facts_.cpu_limit},
                        {"allotment_cpus", facts_.allotment_cpus},
                        {"note", facts_.cpu_limit_note}}},
         {"bounds", {{"min", s_.controller.min_size()}, {"max", s_.controller.max_size()}}},
         {"workers", std::move(workers)}});
  });
  const auto resized = [](Response& res, Result<int> size) {
    if (!size) return Fail(res, size.error());
    worker::RespondJson(res, 202, {{"desired_size", *size}});
  };
  http_.Post("/api/v1/pool/grow", [this, admin, resized](const Request& req, Response& res) {
    if (!admin(req, res, true)) return;
    resized(res, s_.controller.Grow());
  });
  http_.Post("/api/v1/pool/shrink", [this, admin, resized](const Request& req, Response& res) {
    if (!admin(req, res, true)) return;
    resized(res, s_.controller.Shrink());
  });
  http_.Put("/api/v1/pool/size", [this, admin, resized](const Request& req, Response& res) {
    if (!admin(req, res, true)) return;
    Result<Json> body = worker::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    if (!body->contains("size") || !(*body)["size"].is_number_integer()) {
      return Fail(res, {ErrorCode::kInvalidArgument, "size must be a whole number"});
    }
    const std::int64_t size = (*body)["size"].get<std::int64_t>();
    resized(res, s_.controller.SetDesiredSize(static_cast<int>(std::clamp<std::int64_t>(size, -1, 1000))));
  });

  // ---- Metrics -------------------------------------------------------------------------
  http_.Get("/api/v1/metrics", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, false)) return;
    Result<std::int64_t> minutes = worker::IntParam(req, "minutes", 30, 1, 360);
    if (!minutes) return Fail(res, minutes.error());
    const metrics::MinuteRange range = metrics::MinutesUpTo(s_.clock.Now(), static_cast<int>(*minutes));
    // The pool's workers, then those of an earlier run with data in the range (the
    // pool forgets them at a restart; their charts stay).
    std::vector<std::string> ids;
    for (const WorkerView& w : s_.controller.View().workers) ids.push_back(w.info.id);
    Result<std::vector<std::string>> with_data = s_.metrics.WorkersWithData(range);
    if (!with_data) return Fail(res, with_data.error());
    for (std::string& id : *with_data) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
    Result<std::vector<metrics::WorkerSeries>> series = s_.metrics.Samples(ids, range);
    if (!series) return Fail(res, series.error());
    Result<std::vector<std::optional<metrics::PoolSize>>> sizes = s_.metrics.PoolSizes(range);
    if (!sizes) return Fail(res, sizes.error());

    Json minute_starts = Json::array();
    for (std::size_t i = 0; i < range.size(); ++i) minute_starts.push_back(range.minute(i).time_since_epoch().count());
    Json in_service = Json::array();
    Json starting = Json::array();
    for (const std::optional<metrics::PoolSize>& size : *sizes) {
      in_service.push_back(size ? Json(size->in_service) : Json(nullptr));
      starting.push_back(size ? Json(size->starting) : Json(nullptr));
    }
    Json workers = Json::array();
    for (const metrics::WorkerSeries& s : *series) {
      workers.push_back({{"id", s.worker_id},
                         {"cpu_percent", OptionalSeries(s.cpu_percent)},
                         {"requests_per_minute", OptionalSeries(s.requests_per_minute)}});
    }
    worker::RespondJson(res, 200,
                        {{"minutes", std::move(minute_starts)},
                         {"pool_size", {{"in_service", std::move(in_service)}, {"starting", std::move(starting)}}},
                         {"workers", std::move(workers)}});
  });

  // ---- Policy and decisions ---------------------------------------------------------------
  http_.Get("/api/v1/policy", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, false)) return;
    Result<scaler::ScalingPolicy> policy = s_.policies.Load();
    if (!policy) return Fail(res, policy.error());
    worker::RespondJson(res, 200, PolicyJson(*policy));
  });
  http_.Put("/api/v1/policy", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, true)) return;
    Result<Json> body = worker::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    Result<scaler::ScalingPolicy> policy = PolicyFromJson(*body);
    if (!policy) return Fail(res, policy.error());
    if (Status s = s_.policies.Save(*policy); !s) return Fail(res, s.error());
    spdlog::info("auto-scaling policy changed: {}", PolicyJson(*policy).dump());
    worker::RespondJson(res, 200, PolicyJson(*policy));
  });
  http_.Get("/api/v1/decisions", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, false)) return;
    Result<std::int64_t> limit = worker::IntParam(req, "limit", 50, 1, 500);
    if (!limit) return Fail(res, limit.error());
    Result<std::vector<storage::DecisionRecord>> records = s_.decisions.Recent(static_cast<int>(*limit));
    if (!records) return Fail(res, records.error());
    Json out = Json::array();
    for (const storage::DecisionRecord& d : *records) {
      out.push_back({{"time", IsoTime(d.time)},
                     {"average_cpu", d.average_cpu ? Json(*d.average_cpu) : Json(nullptr)},
                     {"size_before", d.size_before},
                     {"size_after", d.size_after},
                     {"action", d.action},
                     {"reason", d.reason}});
    }
    worker::RespondJson(res, 200, {{"decisions", std::move(out)}});
  });

  // ---- Data and the manager ----------------------------------------------------------------
  http_.Post("/api/v1/data/delete", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, true)) return;
    Result<Json> body = worker::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    Result<std::string> confirm = worker::JsonString(*body, "confirm", true);
    if (!confirm) return Fail(res, confirm.error());
    if (*confirm != "delete all data") {
      return Fail(res, {ErrorCode::kInvalidArgument,
                        "to delete every image and stored object, send {\"confirm\": \"delete all data\"}"});
    }
    Result<std::vector<std::string>> keys = s_.images.DeleteAll();
    if (!keys) return Fail(res, keys.error());
    // The rows are gone; their objects follow. An object that cannot be deleted now is
    // unreachable (no row names it) and is logged for a person to look at.
    std::size_t objects_deleted = 0;
    for (const std::string& key : *keys) {
      if (Status s = s_.objects.Delete(key); s) {
        ++objects_deleted;
      } else {
        spdlog::error("delete all data: cannot delete object {}: {}", key, s.error().message);
      }
    }
    // Every image row names exactly three objects: original, annotated, thumbnail.
    const std::size_t images_deleted = keys->size() / 3;
    spdlog::warn("delete all data: {} images and {} objects deleted", images_deleted, objects_deleted);
    worker::RespondJson(res, 200, {{"images_deleted", images_deleted}, {"objects_deleted", objects_deleted}});
  });
  http_.Post("/api/v1/manager/stop", [this, admin](const Request& req, Response& res) {
    if (!admin(req, res, true)) return;
    spdlog::warn("stop requested from the UI");
    worker::RespondJson(res, 202, {{"stopping", true}});
    if (options_.request_stop) options_.request_stop();
  });

  // ---- Pages and static files ------------------------------------------------------------
  const auto page = [this, session](std::string file, bool needs_login) {
    return [this, session, file = std::move(file), needs_login](const Request& req, Response& res) {
      if (needs_login && !session(req, false)) {
        res.set_redirect(worker::LoginRedirect(req.path), 303);
        return;
      }
      if (Status shown = worker::RespondPage(res, options_.web_dir, file); !shown) Fail(res, shown.error());
    };
  };
  http_.Get("/", page("manager-pool", true));
  http_.Get("/policy", page("manager-policy", true));
  http_.Get("/account", page("manager-account", true));
  http_.Get("/login", page("manager-login", false));
  if (!options_.web_dir.empty()) {
    http_.set_mount_point("/static", (options_.web_dir / "static").string());
  }
}

}  // namespace maskfleet::manager
