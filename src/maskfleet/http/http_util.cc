#include "maskfleet/http/http_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "maskfleet/auth/token.h"

namespace maskfleet::http {

void RespondError(httplib::Response& res, const Error& error, ErrorStyle style, std::string_view request_id) {
  const int status = HttpStatus(error.code);
  if (error.retry_after && error.retry_after->count() > 0) {
    // Whole seconds, rounded up: a client that waits that long is not refused again.
    res.set_header("Retry-After",
                   std::to_string(std::chrono::ceil<std::chrono::seconds>(*error.retry_after).count()));
  }
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
  server.set_exception_handler(
      [fail = std::move(fail)](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
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

namespace {

// The numeric address and port of a socket address, as cpp-httplib writes them into
// a Request; empty for other families.
std::pair<std::string, int> AddressOf(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return {text, ntohs(in.sin_port)};
  }
  if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    return {text, ntohs(in6.sin6_port)};
  }
  return {};
}

// The descriptor of the TCP connection from `remote` to `local`, or -1.
int FindConnection(const std::pair<std::string, int>& local, const std::pair<std::string, int>& remote) {
  DIR* fds = ::opendir("/proc/self/fd");
  if (!fds) return -1;
  int found = -1;
  while (const dirent* entry = ::readdir(fds)) {
    int fd = -1;
    const std::string_view name = entry->d_name;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage peer{}, self{};
    socklen_t peer_len = sizeof peer, self_len = sizeof self;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &self_len) != 0) continue;
    if (AddressOf(peer) == remote && AddressOf(self) == local) {
      found = fd;
      break;
    }
  }
  ::closedir(fds);
  return found;
}

}  // namespace

httplib::Server::HandlerWithContentReader BoundedBody(
    std::size_t max_bytes, httplib::Server::Handler handler,
    std::function<void(httplib::Response&, const Error&)> fail) {
  return [max_bytes, handler = std::move(handler), fail = std::move(fail)](
             const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    httplib::Request full = req;
    std::size_t total = 0;
    // Past the bound the bytes are counted and dropped: memory stays bounded, and the
    // client, having sent everything, reads the 413.
    const auto keep = [&](std::string& into, const char* data, std::size_t n) {
      total += n;
      if (total <= max_bytes) into.append(data, n);
    };
    bool read_whole = false;
    if (req.is_multipart_form_data()) {
      std::vector<httplib::MultipartFormData> parts;
      read_whole = read(
          [&](const httplib::MultipartFormData& part) {
            parts.push_back(part);
            return true;
          },
          [&](const char* data, std::size_t n) {
            keep(parts.back().content, data, n);
            return true;
          });
      for (httplib::MultipartFormData& part : parts) full.files.emplace(part.name, std::move(part));
    } else {
      read_whole = read([&](const char* data, std::size_t n) {
        keep(full.body, data, n);
        return true;
      });
      if (req.get_header_value("Content-Type").starts_with("application/x-www-form-urlencoded")) {
        httplib::detail::parse_query_text(full.body, full.params);
      }
    }
    // cpp-httplib itself refuses a Content-Length over its own bound with 413.
    if (total > max_bytes || res.status == 413) {
      res.status = -1;
      return fail(res, Error{ErrorCode::kTooLarge,
                             "the request is too large (at most " + std::to_string(max_bytes) + " bytes)"});
    }
    if (!read_whole) {
      res.status = -1;
      return fail(res, Error{ErrorCode::kInvalidArgument, "the request body could not be read"});
    }
    handler(full, res);
  };
}

Result<int> Bind(httplib::Server& server, const std::string& host, int port) {
  const int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot listen on " + host + ":" + std::to_string(port) + " (in use, or not allowed)");
  }
  RaiseListenBacklog(bound);
  return bound;
}

std::thread Serve(httplib::Server& server) {
  auto ended = std::make_shared<std::atomic<bool>>(false);
  std::thread serving([&server, ended] {
    server.listen_after_bind();
    *ended = true;
  });
  while (!server.is_running() && !*ended) std::this_thread::sleep_for(std::chrono::microseconds(100));
  return serving;
}

void RaiseListenBacklog(int port) {
  DIR* fds = ::opendir("/proc/self/fd");
  if (!fds) return;
  while (const dirent* entry = ::readdir(fds)) {
    int fd = -1;
    const std::string_view name = entry->d_name;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    int listening = 0;
    socklen_t size = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) continue;
    sockaddr_storage self{};
    socklen_t self_len = sizeof self;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&self), &self_len) != 0) continue;
    // Listening again on a listening socket changes only its backlog.
    if (AddressOf(self).second == port) (void)::listen(fd, SOMAXCONN);
  }
  ::closedir(fds);
}

std::function<bool()> ClientConnected(const httplib::Request& req) {
  return [local = std::pair<std::string, int>(req.local_addr, req.local_port),
          remote = std::pair<std::string, int>(req.remote_addr, req.remote_port), fd = -2]() mutable {
    if (fd == -2) fd = FindConnection(local, remote);
    if (fd < 0) return true;
    pollfd p{fd, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0;
  };
}

Error ErrorForStatus(const httplib::Request& req, int status) {
  const ErrorCode code = status == 413   ? ErrorCode::kTooLarge
                         : status == 404 ? ErrorCode::kNotFound
                         : status == 400 ? ErrorCode::kInvalidArgument
                                         : ErrorCode::kInternal;
  if (status == 400 && (req.method == "POST" || req.method == "PUT") && !req.has_header("Content-Length") &&
      !req.has_header("Transfer-Encoding")) {
    return {code, "a " + req.method + " needs a Content-Length header (0 for no body, e.g. curl -d '')"};
  }
  return {code, status == 413   ? "the request is too large"
                : status == 404 ? "no such page: " + req.path
                                : "the request could not be served"};
}

Status RespondPage(httplib::Response& res, const std::filesystem::path& web_dir, std::string_view name) {
  std::ifstream in(web_dir / "pages" / (std::string(name) + ".html"));
  if (!in) {
    return MakeError(ErrorCode::kUnavailable, "the web pages are not built (scripts/setup.sh builds them)");
  }
  std::stringstream html;
  html << in.rdbuf();
  res.set_header("Cache-Control", "no-store");
  res.set_content(html.str(), "text/html; charset=utf-8");
  return {};
}

std::string LoginRedirect(std::string_view path) {
  // Page paths are ours (/images/12 ...); still, nothing but safe characters passes.
  std::string out = "/login?next=";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

Result<std::int64_t> IntParam(const httplib::Request& req, const char* name, std::int64_t fallback,
                              std::int64_t min, std::int64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(name) + " must be a whole number from " +
                                                      std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

Result<accounts::SessionWithUser> SessionOf(accounts::AccountService& accounts, const httplib::Request& req,
                                            std::string_view cookie_name, bool changes_state) {
  const std::optional<std::string> token = GetCookie(req, cookie_name);
  if (!token) return MakeError(ErrorCode::kUnauthenticated, "not logged in");
  Result<accounts::SessionWithUser> session = accounts.ResolveSession(*token);
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
  // Replace, not throw: a row stored before names were made valid UTF-8 at the door must
  // still be shown (as U+FFFD where its bytes are not UTF-8), not break the page for good.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
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

std::string SessionCookie(std::string_view name, std::string_view value, long long max_age_seconds,
                          bool secure) {
  std::string cookie = std::string(name) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age_seconds);
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
  if (!it->is_string())
    return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " must be a string");
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

}  // namespace maskfleet::http
