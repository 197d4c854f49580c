#include "maskfleet/worker/worker_server.h"

#include <charconv>
#include <chrono>

#include <spdlog/spdlog.h>

#include "maskfleet/observability/logging.h"
#include "maskfleet/observability/metrics.h"
#include "maskfleet/observability/request_id.h"
#include "maskfleet/worker/http_util.h"

namespace maskfleet::worker {
namespace {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

// What the pre-routing handler learns about a request, for the handlers and the
// logger, which run on the same server thread.
struct RequestContext {
  std::string id;
  std::string route = "unmatched";
  std::chrono::steady_clock::time_point start;
};
thread_local RequestContext current;

void FailV1(Response& res, const Error& e) { RespondError(res, e, ErrorStyle::kApiV1, current.id); }
void FailSpec(Response& res, const Error& e) {
  RespondError(res, e, ErrorStyle::kSpecification, current.id);
}

Json UserJson(const storage::User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email ? Json(*u.email) : Json(nullptr)},
          {"is_admin", u.is_admin},
          {"created_at", IsoTime(u.created_at)}};
}

Json FaceJson(const storage::Face& f) {
  return {{"x", f.x}, {"y", f.y}, {"w", f.w}, {"h", f.h}, {"masked", f.masked}, {"confidence", f.confidence}};
}

Json ImageJson(const storage::ImageRecord& image, std::int64_t faces, std::int64_t masked) {
  const std::string base = "/api/v1/images/" + std::to_string(image.id);
  return {{"id", image.id},
          {"created_at", IsoTime(image.created_at)},
          {"source", image.source == storage::ImageSource::kUrl ? "url" : "upload"},
          {"source_name", image.source_name},
          {"format", image.format},
          {"width", image.width},
          {"height", image.height},
          {"num_faces", faces},
          {"num_masked", masked},
          {"num_unmasked", faces - masked},
          {"category", storage::ImageCategoryName(CategoryOf(faces, masked))},
          {"urls", {{"original", base + "/original"}, {"annotated", base + "/annotated"}, {"thumbnail", base + "/thumbnail"}}}};
}

Json DetailJson(const storage::ImageDetail& detail) {
  std::int64_t masked = 0;
  Json faces = Json::array();
  for (const storage::Face& f : detail.faces) {
    masked += f.masked ? 1 : 0;
    faces.push_back(FaceJson(f));
  }
  Json out = ImageJson(detail.image, static_cast<std::int64_t>(detail.faces.size()), masked);
  out["faces"] = std::move(faces);
  return out;
}

std::span<const std::uint8_t> Bytes(const httplib::MultipartFormData& file) {
  return {reinterpret_cast<const std::uint8_t*>(file.content.data()), file.content.size()};
}

std::optional<storage::ImageCategory> ParseCategory(std::string_view name) {
  for (auto c : {storage::ImageCategory::kNoFaces, storage::ImageCategory::kAllMasked,
                 storage::ImageCategory::kNoneMasked, storage::ImageCategory::kSomeMasked}) {
    if (storage::ImageCategoryName(c) == name) return c;
  }
  return std::nullopt;
}

Result<std::int64_t> PathId(const Request& req) {
  std::int64_t id = 0;
  const std::string text = req.matches[1];
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return MakeError(ErrorCode::kNotFound, "no such resource");
  }
  return id;
}

}  // namespace

WorkerServer::WorkerServer(AccountService& accounts, PhotoService& photos,
                           storage::ImageStore& images, objectstore::ObjectStore& objects,
                           const net::UrlFetcher& fetcher, ServerHooks hooks, ServerOptions options)
    : accounts_(accounts),
      photos_(photos),
      images_(images),
      objects_(objects),
      fetcher_(fetcher),
      hooks_(std::move(hooks)),
      options_(std::move(options)) {
  // Multipart overhead on top of the largest photo.
  ApplyServerDefaults(http_, options_.http_threads,
                      static_cast<std::size_t>(photos_.options().max_photo_bytes) + 64 * 1024,
                      "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                      "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  RegisterRoutes();
}

WorkerServer::~WorkerServer() { Stop(); }

Result<int> WorkerServer::Start(const std::string& host, int port) {
  Result<int> bound = Bind(http_, host, port);
  if (!bound) return bound;
  name_ = options_.name.empty() ? host + ":" + std::to_string(*bound) : options_.name;
  thread_ = std::thread([this] { http_.listen_after_bind(); });
  return bound;
}

void WorkerServer::Stop() {
  if (http_.is_running()) http_.stop();
  if (thread_.joinable()) thread_.join();
}

void WorkerServer::RegisterRoutes() {
  http_.set_pre_routing_handler([this](const Request& req, Response& res) {
    current = RequestContext{observability::RequestIdFor(req.get_header_value("X-Request-Id")),
                             "unmatched", std::chrono::steady_clock::now()};
    res.set_header("X-Request-Id", current.id);
    res.set_header("X-Maskfleet-Worker", name_);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http_.set_logger([this](const Request& req, const Response& res) {
    const auto taken = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - current.start);
    if (hooks_.observe) hooks_.observe(current.route, req.method, res.status, taken);
    observability::LogAccess(*spdlog::default_logger(),
                             {.method = req.method,
                              .target = req.target,
                              .status = res.status,
                              .duration = taken,
                              .bytes = res.body.size(),
                              .request_id = current.id,
                              .client_address = req.remote_addr});
  });
  AnswerExceptionsWith(http_, FailV1);
  http_.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    if (req.path == "/api/register" || req.path == "/api/upload") {
      FailSpec(res, ErrorForStatus(req, status));
    } else {
      FailV1(res, ErrorForStatus(req, status));
    }
    res.status = status;
  });

  // Names the route for metrics and logs, then runs the handler.
  const auto route = [](std::string label, auto handler) {
    return [label = std::move(label), handler](const Request& req, Response& res) {
      current.route = label;
      handler(req, res);
    };
  };

  const auto client_address = [this](const Request& req) {
    if (options_.trust_forwarded_for) {
      const std::string forwarded = req.get_header_value("X-Forwarded-For");
      if (!forwarded.empty()) return forwarded.substr(0, forwarded.find(','));
    }
    return req.remote_addr;
  };

  // The logged-in caller, or an error to answer with. State-changing calls must
  // also carry the session's CSRF token.
  const auto caller = [this](const Request& req, bool changes_state) {
    return SessionOf(accounts_, req, changes_state);
  };

  const auto set_session_cookie = [this](Response& res, const LoggedIn& in) {
    res.set_header("Set-Cookie", SessionCookie(in.session_token,
                                               accounts_.options().session_ttl.count(),
                                               options_.secure_cookies));
  };

  // ---- Operations -------------------------------------------------------------
  http_.Get("/healthz", route("/healthz", [this](const Request&, Response& res) {
    const Status healthy = hooks_.health ? hooks_.health() : Status();
    RespondJson(res, healthy ? 200 : 503,
                {{"status", healthy ? "ok" : "unavailable"},
                 {"worker", name_},
                 {"detail", healthy ? "" : healthy.error().message}});
  }));
  http_.Get("/metrics", route("/metrics", [this](const Request&, Response& res) {
    res.set_content(hooks_.metrics ? hooks_.metrics() : "", std::string(observability::kMetricsContentType));
  }));

  // ---- Testing API of the specification ------------------------------------------
  http_.Post("/api/register", route("/api/register", [this](const Request& req, Response& res) {
    const std::optional<std::string> username = FormField(req, "username");
    const std::optional<std::string> password = FormField(req, "password");
    if (!username) return FailSpec(res, {ErrorCode::kInvalidArgument, "username is missing"});
    if (!password) return FailSpec(res, {ErrorCode::kInvalidArgument, "password is missing"});
    Result<storage::User> user = accounts_.Register(*username, *password);
    if (!user) return FailSpec(res, user.error());
    RespondJson(res, 200, {{"success", true}});
  }));

  http_.Post("/api/upload", route("/api/upload", [this, client_address](const Request& req, Response& res) {
    const std::optional<std::string> username = FormField(req, "username");
    const std::optional<std::string> password = FormField(req, "password");
    if (!username) return FailSpec(res, {ErrorCode::kInvalidArgument, "username is missing"});
    if (!password) return FailSpec(res, {ErrorCode::kInvalidArgument, "password is missing"});
    if (!req.has_file("file")) {
      return FailSpec(res, {ErrorCode::kInvalidArgument, "file is missing (multipart part 'file')"});
    }
    std::chrono::seconds retry_after{0};
    Result<storage::User> user =
        accounts_.CheckCredentials(*username, *password, client_address(req), &retry_after);
    if (!user) {
      if (retry_after.count() > 0) res.set_header("Retry-After", std::to_string(retry_after.count()));
      return FailSpec(res, user.error());
    }
    const httplib::MultipartFormData file = req.get_file_value("file");
    Result<StoredPhoto> stored = photos_.Process(user->id, storage::ImageSource::kUpload, file.filename, Bytes(file));
    if (!stored) return FailSpec(res, stored.error());
    if (hooks_.detected) hooks_.detected(stored->report.num_masked(), stored->report.num_unmasked());
    RespondJson(res, 200,
                {{"success", true},
                 {"payload", {{"num_faces", stored->report.faces.size()},
                              {"num_masked", stored->report.num_masked()},
                              {"num_unmasked", stored->report.num_unmasked()}}}});
  }));

  // ---- Session and account -----------------------------------------------------------
  http_.Post("/api/v1/session", route("/api/v1/session", [this, client_address, set_session_cookie](const Request& req, Response& res) {
    Result<Json> body = ParseJsonObject(req);
    if (!body) return FailV1(res, body.error());
    Result<std::string> username = JsonString(*body, "username");
    Result<std::string> password = JsonString(*body, "password");
    if (!username) return FailV1(res, username.error());
    if (!password) return FailV1(res, password.error());
    std::chrono::seconds retry_after{0};
    Result<LoggedIn> in = accounts_.Login(*username, *password, client_address(req), &retry_after);
    if (!in) {
      if (retry_after.count() > 0) res.set_header("Retry-After", std::to_string(retry_after.count()));
      return FailV1(res, in.error());
    }
    set_session_cookie(res, *in);
    RespondJson(res, 200, {{"user", UserJson(in->user)}, {"csrf_token", in->csrf_token}});
  }));
  http_.Get("/api/v1/session", route("/api/v1/session", [caller](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = caller(req, false);
    if (!who) return FailV1(res, who.error());
    RespondJson(res, 200, {{"user", UserJson(who->user)}, {"csrf_token", who->session.csrf_token}});
  }));
  http_.Delete("/api/v1/session", route("/api/v1/session", [this, caller](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = caller(req, true);
    if (!who) return FailV1(res, who.error());
    if (Status s = accounts_.Logout(*GetCookie(req, kSessionCookie)); !s) return FailV1(res, s.error());
    res.set_header("Set-Cookie", SessionCookie("", 0, options_.secure_cookies));
    res.status = 204;
  }));
  http_.Post("/api/v1/password", route("/api/v1/password", [this, caller, set_session_cookie](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = caller(req, true);
    if (!who) return FailV1(res, who.error());
    Result<Json> body = ParseJsonObject(req);
    if (!body) return FailV1(res, body.error());
    Result<std::string> current_password = JsonString(*body, "current_password");
    Result<std::string> new_password = JsonString(*body, "new_password");
    if (!current_password) return FailV1(res, current_password.error());
    if (!new_password) return FailV1(res, new_password.error());
    Result<LoggedIn> in = accounts_.ChangePassword(who->user, *current_password, *new_password);
    if (!in) return FailV1(res, in.error());
    set_session_cookie(res, *in);
    RespondJson(res, 200, {{"user", UserJson(in->user)}, {"csrf_token", in->csrf_token}});
  }));
  http_.Post("/api/v1/password-reset", route("/api/v1/password-reset", [this](const Request& req, Response& res) {
    Result<Json> body = ParseJsonObject(req);
    if (!body) return FailV1(res, body.error());
    Result<std::string> username = JsonString(*body, "username");
    if (!username) return FailV1(res, username.error());
    if (Status s = accounts_.RequestPasswordReset(*username); !s) return FailV1(res, s.error());
    RespondJson(res, 202, {{"success", true},
                           {"message", "If the account exists and has an email address, a reset link is on its way."}});
  }));
  http_.Post("/api/v1/password-reset/confirm", route("/api/v1/password-reset/confirm", [this](const Request& req, Response& res) {
    Result<Json> body = ParseJsonObject(req);
    if (!body) return FailV1(res, body.error());
    Result<std::string> token = JsonString(*body, "token");
    Result<std::string> new_password = JsonString(*body, "new_password");
    if (!token) return FailV1(res, token.error());
    if (!new_password) return FailV1(res, new_password.error());
    if (Status s = accounts_.ConfirmPasswordReset(*token, *new_password); !s) return FailV1(res, s.error());
    res.status = 204;
  }));

  // ---- Images --------------------------------------------------------------------------
  http_.Post("/api/v1/images", route("/api/v1/images", [this, caller](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = caller(req, true);
    if (!who) return FailV1(res, who.error());
    Result<StoredPhoto> stored = MakeError(ErrorCode::kInternal, "unreachable");
    if (req.is_multipart_form_data()) {
      if (!req.has_file("file")) return FailV1(res, {ErrorCode::kInvalidArgument, "file is missing"});
      const httplib::MultipartFormData file = req.get_file_value("file");
      stored = photos_.Process(who->user.id, storage::ImageSource::kUpload, file.filename, Bytes(file));
    } else {
      Result<Json> body = ParseJsonObject(req);
      if (!body) return FailV1(res, body.error());
      Result<std::string> url = JsonString(*body, "url");
      if (!url) return FailV1(res, url.error());
      Result<net::FetchedResource> fetched = fetcher_.Fetch(*url);
      if (!fetched) return FailV1(res, fetched.error().WithContext("cannot fetch the URL"));
      stored = photos_.Process(who->user.id, storage::ImageSource::kUrl, *url, fetched->body);
    }
    if (!stored) return FailV1(res, stored.error());
    if (hooks_.detected) hooks_.detected(stored->report.num_masked(), stored->report.num_unmasked());
    Result<storage::ImageDetail> detail = images_.Get(who->user.id, stored->id);
    if (!detail) return FailV1(res, detail.error());
    RespondJson(res, 201, DetailJson(*detail));
  }));
  http_.Get("/api/v1/images", route("/api/v1/images", [this, caller](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = caller(req, false);
    if (!who) return FailV1(res, who.error());
    const std::string category_name = req.has_param("category") ? req.get_param_value("category") : "";
    const std::optional<storage::ImageCategory> category = ParseCategory(category_name);
    if (!category) {
      return FailV1(res, {ErrorCode::kInvalidArgument,
                          "category must be one of no_faces, all_masked, none_masked, some_masked"});
    }
    Result<std::int64_t> page = IntParam(req, "page", 1, 1, 1'000'000);
    Result<std::int64_t> page_size = IntParam(req, "page_size", 20, 1, 100);
    if (!page) return FailV1(res, page.error());
    if (!page_size) return FailV1(res, page_size.error());
    Result<storage::ImagePage> list = images_.List(who->user.id, *category, *page, *page_size);
    if (!list) return FailV1(res, list.error());
    Json items = Json::array();
    for (const storage::ImageSummary& s : list->items) items.push_back(ImageJson(s.image, s.face_count, s.masked_count));
    RespondJson(res, 200, {{"images", std::move(items)}, {"total", list->total}, {"page", *page},
                           {"page_size", *page_size}, {"category", category_name}});
  }));
  // The caller's image named in the path; another user's id answers 404 like a missing one.
  const auto owned_image = [this, caller](const Request& req) -> Result<storage::ImageDetail> {
    Result<storage::SessionWithUser> who = caller(req, false);
    if (!who) return std::unexpected(who.error());
    Result<std::int64_t> id = PathId(req);
    if (!id) return std::unexpected(id.error());
    return images_.Get(who->user.id, *id);
  };
  http_.Get(R"(/api/v1/images/(\d+))", route("/api/v1/images/{id}", [owned_image](const Request& req, Response& res) {
    Result<storage::ImageDetail> detail = owned_image(req);
    if (!detail) return FailV1(res, detail.error());
    RespondJson(res, 200, DetailJson(*detail));
  }));
  http_.Get(R"(/api/v1/images/(\d+)/(original|annotated|thumbnail))", route("/api/v1/images/{id}/{kind}", [this, owned_image](const Request& req, Response& res) {
    Result<storage::ImageDetail> detail = owned_image(req);
    if (!detail) return FailV1(res, detail.error());
    const std::string kind = req.matches[2];
    const storage::ImageRecord& image = detail->image;
    const std::string& key = kind == "original" ? image.original_key
                             : kind == "annotated" ? image.annotated_key : image.thumbnail_key;
    Result<std::vector<std::uint8_t>> bytes = objects_.Get(key);
    if (!bytes) return FailV1(res, bytes.error());
    res.set_header("Cache-Control", "private, max-age=86400");
    const std::string type = kind == "original" ? "image/" + image.format : "image/jpeg";
    res.set_content(reinterpret_cast<const char*>(bytes->data()), bytes->size(), type);
  }));
  http_.Delete(R"(/api/v1/images/(\d+))", route("/api/v1/images/{id}", [this, caller](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = caller(req, true);
    if (!who) return FailV1(res, who.error());
    Result<std::int64_t> id = PathId(req);
    if (!id) return FailV1(res, id.error());
    if (Status s = photos_.Delete(who->user.id, *id); !s) return FailV1(res, s.error());
    res.status = 204;
  }));

  // ---- Users (administrators) ---------------------------------------------------------
  const auto admin = [caller](const Request& req, bool changes_state) -> Result<storage::SessionWithUser> {
    Result<storage::SessionWithUser> who = caller(req, changes_state);
    if (who && !who->user.is_admin) {
      return MakeError(ErrorCode::kPermissionDenied, "only administrators manage users");
    }
    return who;
  };
  http_.Get("/api/v1/users", route("/api/v1/users", [this, admin](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = admin(req, false);
    if (!who) return FailV1(res, who.error());
    Result<std::vector<storage::User>> users = accounts_.ListUsers();
    if (!users) return FailV1(res, users.error());
    Json list = Json::array();
    for (const storage::User& u : *users) list.push_back(UserJson(u));
    RespondJson(res, 200, {{"users", std::move(list)}});
  }));
  http_.Post("/api/v1/users", route("/api/v1/users", [this, admin](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = admin(req, true);
    if (!who) return FailV1(res, who.error());
    Result<Json> body = ParseJsonObject(req);
    if (!body) return FailV1(res, body.error());
    Result<std::string> username = JsonString(*body, "username");
    Result<std::string> password = JsonString(*body, "password");
    Result<std::string> email = JsonString(*body, "email", /*optional=*/true);
    if (!username) return FailV1(res, username.error());
    if (!password) return FailV1(res, password.error());
    if (!email) return FailV1(res, email.error());
    const auto is_admin = body->find("is_admin");
    if (is_admin != body->end() && !is_admin->is_boolean()) {
      return FailV1(res, {ErrorCode::kInvalidArgument, "is_admin must be true or false"});
    }
    Result<storage::User> user = accounts_.CreateUser(
        *username, *password, email->empty() ? std::nullopt : std::optional(*email),
        is_admin != body->end() && is_admin->get<bool>());
    if (!user) return FailV1(res, user.error());
    RespondJson(res, 201, UserJson(*user));
  }));
  http_.Delete(R"(/api/v1/users/(\d+))", route("/api/v1/users/{id}", [this, admin](const Request& req, Response& res) {
    Result<storage::SessionWithUser> who = admin(req, true);
    if (!who) return FailV1(res, who.error());
    Result<std::int64_t> id = PathId(req);
    if (!id) return FailV1(res, id.error());
    Result<std::vector<std::string>> keys = accounts_.DeleteUser(who->user.id, *id);
    if (!keys) return FailV1(res, keys.error());
    photos_.DeleteObjects(*keys);
    res.status = 204;
  }));

  // ---- Pages and static files ----------------------------------------------------------
  const auto page = [this, caller](std::string file, bool needs_login) {
    return [this, caller, file = std::move(file), needs_login](const Request& req, Response& res) {
      current.route = "page";
      if (needs_login && !caller(req, false)) {
        res.set_redirect(LoginRedirect(req.path), 303);
        return;
      }
      if (Status shown = RespondPage(res, options_.web_dir, file); !shown) FailV1(res, shown.error());
    };
  };
  http_.Get("/", [](const Request&, Response& res) {
    current.route = "page";
    res.set_redirect("/upload", 303);
  });
  http_.Get("/login", page("login", false));
  http_.Get("/forgot", page("forgot", false));
  http_.Get("/reset", page("reset", false));
  http_.Get("/upload", page("upload", true));
  http_.Get("/history", page("history", true));
  http_.Get(R"(/images/(\d+))", page("image", true));
  http_.Get("/account", page("account", true));
  http_.Get("/admin/users", page("admin-users", true));
  if (!options_.web_dir.empty()) {
    http_.set_mount_point("/static", (options_.web_dir / "static").string());
  }
}

}  // namespace maskfleet::worker
