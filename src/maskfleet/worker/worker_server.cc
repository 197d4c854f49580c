#include "maskfleet/worker/worker_server.h"

#include <charconv>
#include <chrono>

#include <spdlog/spdlog.h>

#include "maskfleet/http/http_util.h"
#include "maskfleet/observability/logging.h"
#include "maskfleet/observability/request_id.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker {

namespace {

// The largest body: the largest photo and the multipart form around it.
std::size_t MaxBodyBytes(const PhotoServiceOptions& photos) {
  return static_cast<std::size_t>(photos.max_photo_bytes) + 64 * 1024;
}

}  // namespace

namespace routes {

using httplib::Request;
using httplib::Response;

thread_local RequestContext current;

void FailV1(Response& res, const Error& e) {
  http::RespondError(res, e, http::ErrorStyle::kApiV1, current.id);
}
void FailSpec(Response& res, const Error& e) {
  http::RespondError(res, e, http::ErrorStyle::kSpecification, current.id);
}

httplib::Server::Handler Route(std::string label, httplib::Server::Handler handler) {
  return [label = std::move(label), handler = std::move(handler)](const Request& req, Response& res) {
    current.route = label;
    handler(req, res);
  };
}

httplib::Server::HandlerWithContentReader Bounded(const Deps& d, httplib::Server::Handler handler,
                                                  bool spec) {
  return http::BoundedBody(MaxBodyBytes(d.photos.options()), std::move(handler), spec ? FailSpec : FailV1);
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

std::span<const std::uint8_t> FileBytes(const httplib::MultipartFormData& file) {
  return {reinterpret_cast<const std::uint8_t*>(file.content.data()), file.content.size()};
}

std::string ClientAddress(const Request& req, bool trust_forwarded_for) {
  if (trust_forwarded_for) {
    const std::string forwarded = req.get_header_value("X-Forwarded-For");
    if (!forwarded.empty()) return forwarded.substr(0, forwarded.find(','));
  }
  return req.remote_addr;
}

}  // namespace routes

namespace {

http::AccountRouteOptions AccountRouteOptionsFor(const ServerOptions& options) {
  http::AccountRouteOptions out;
  out.secure_cookies = options.secure_cookies;
  out.client_address = [trust = options.trust_forwarded_for](const httplib::Request& req) {
    return routes::ClientAddress(req, trust);
  };
  out.fail = routes::FailV1;
  out.on_route = [](const char* route) { routes::current.route = route; };
  return out;
}

}  // namespace

WorkerServer::WorkerServer(accounts::AccountService& accounts, PhotoService& photos,
                           photos::ImageStore& images, objectstore::ObjectStore& objects, ServerHooks hooks,
                           ServerOptions options)
    : photos_(photos),
      hooks_(std::move(hooks)),
      options_(std::move(options)),
      account_routes_(accounts, AccountRouteOptionsFor(options_)),
      deps_(std::make_unique<routes::Deps>(
          routes::Deps{accounts, account_routes_, photos, images, objects, hooks_, options_, name_})) {
  http::ApplyServerDefaults(http_, options_.http_threads, MaxBodyBytes(photos_.options()),
                            "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  RegisterRoutes();
}

WorkerServer::~WorkerServer() { Stop(); }

Result<int> WorkerServer::Start(const std::string& host, int port) {
  Result<int> bound = http::Bind(http_, host, port);
  if (!bound) return bound;
  name_ = options_.name.empty() ? host + ":" + std::to_string(*bound) : options_.name;
  thread_ = http::Serve(http_);
  return bound;
}

void WorkerServer::Stop() {
  if (http_.is_running()) http_.stop();
  if (thread_.joinable()) thread_.join();
}

void WorkerServer::RegisterRoutes() {
  using httplib::Request;
  using httplib::Response;
  using routes::current;
  http_.set_pre_routing_handler([this](const Request& req, Response& res) {
    current = routes::RequestContext{observability::RequestIdFor(req.get_header_value("X-Request-Id")),
                                     "unmatched", std::chrono::steady_clock::now()};
    res.set_header("X-Request-Id", current.id);
    res.set_header("X-Maskfleet-Worker", name_);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http_.set_logger([this](const Request& req, const Response& res) {
    const auto taken = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                            current.start);
    if (hooks_.observe) hooks_.observe(current.route, req.method, res.status, taken);
    observability::LogAccess(*spdlog::default_logger(), {.method = req.method,
                                                         .target = req.target,
                                                         .status = res.status,
                                                         .duration = taken,
                                                         .bytes = res.body.size(),
                                                         .request_id = current.id,
                                                         .client_address = req.remote_addr});
  });
  http::AnswerExceptionsWith(http_, routes::FailV1);
  http_.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    const int status = res.status;
    if (req.path == "/api/register" || req.path == "/api/upload") {
      routes::FailSpec(res, http::ErrorForStatus(req, status));
    } else {
      routes::FailV1(res, http::ErrorForStatus(req, status));
    }
    res.status = status;
  });

  routes::RegisterOperationRoutes(http_, *deps_);
  routes::RegisterTestingApiRoutes(http_, *deps_);
  routes::RegisterAccountRoutes(http_, *deps_);
  routes::RegisterImageRoutes(http_, *deps_);
  routes::RegisterPageRoutes(http_, *deps_);
}

}  // namespace maskfleet::worker
