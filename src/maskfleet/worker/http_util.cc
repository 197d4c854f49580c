#include "maskfleet/worker/http_util.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include <spdlog/spdlog.h>

#include "maskfleet/auth/token.h"

namespace maskfleet::worker {

void RespondError(httplib::Response& res, const Error& error, ErrorStyle style,
                  std::string_view request_id) {
  const int status = HttpStatus(error.code);
  std::string message = error.message;
  if (error.code == ErrorCode::kInternal) {
    spdlog::error("request_id={} internal error: {}", request_id, error.message);
    message = "internal error (request id " + std::string(request_id) + ")";
  }
  nlohmann::json body = {{"success", false}, {"error", {{"code", status}, {"message", message}}}};
  if (style == ErrorStyle::kApiV1) body["error"]["reason"] = ErrorCodeName(error.code);
  RespondJson(res, status, body);
}

void ApplyServerDefaults(httplib::Server& server, int threads, std::size_t max_body_bytes,
                         const std::string& content_security_policy) {
  threads = std::max(threads, 2);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  server.set_payload_max_length(max_body_bytes);
  server.set_tcp_nodelay(true);
  server.set_read_timeout(std::chrono::seconds(30));
  server.set_write_timeout(std::chrono::seconds(30));
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"X-Frame-Options", "DENY"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Content-Security-Policy", content_security_policy}});
}

void AnswerExceptionsWith(httplib::Server& server,
                          std::function<void(httplib::Response&, const Error&)> fail) {
  server.set_exception_handler([fail = std::move(fail)](const httplib::Request&, httplib::Response& res,
                                                        std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    fail(res, Error{ErrorCode::kInternal, what});
  });
}

Result<storage::SessionWithUser> SessionOf(AccountService& accounts, const httplib::Request& req,
                                           bool changes_state) {
  const std::optional<std::string> token = GetCookie(req, kSessionCookie);
  if (!token) return MakeError(ErrorCode::kUnauthenticated, "not logged in");
  Result<storage::SessionWithUser> session = accounts.ResolveSession(*token);
  if (!session) return session;
  if (changes_state &&
      !auth::ConstantTimeEquals(req.get_header_value(kCsrfHeader), session->session.csrf_token)) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "missing or wrong CSRF token (header X-CSRF-Token); reload the page");
  }
  return session;
}

void RespondJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), "application/json");
}

std::optional<std::string> GetCookie(const httplib::Request& req, std::string_view name) {
  const std::string header = req.get_header_value("Cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const std::size_t end = rest.find(';');
    std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      return std::string(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::string SessionCookie(std::string_view value, long long max_age_seconds, bool secure) {
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" +
                       std::to_string(max_age_seconds);
  if (secure) cookie += "; Secure";
  return cookie;
}

Result<nlohmann::json> ParseJsonObject(const httplib::Request& req) {
  if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "the body must be JSON (Content-Type: application/json)");
  }
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return MakeError(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  return body;
}

Result<std::string> JsonString(const nlohmann::json& object, const char* field, bool optional) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    if (optional) return std::string();
    return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " is missing");
  }
  if (!it->is_string()) return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " must be a string");
  return it->get<std::string>();
}

std::optional<std::string> FormField(const httplib::Request& req, const std::string& name) {
  if (req.has_file(name)) return req.get_file_value(name).content;
  if (req.has_param(name)) return req.get_param_value(name);
  return std::nullopt;
}

std::string IsoTime(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace maskfleet::worker
