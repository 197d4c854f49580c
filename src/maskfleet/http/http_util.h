// The pieces of HTTP that the worker's and the manager's servers share: server
// defaults, the exception answer, cookies and the session-with-CSRF check, JSON and
// form parsing, pages, and the one mapping from Error to an HTTP answer, in the two
// shapes the servers speak (the specification's testing API and the /api/v1 JSON API).
//
// Thread safety: functions without state of their own; safe from the server's threads.
#ifndef MASKFLEET_HTTP_HTTP_UTIL_H_
#define MASKFLEET_HTTP_HTTP_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/common/error.h"

namespace maskfleet::http {

// The session cookies' names, one per app: browsers keep cookies per host, not per
// port, so a worker and a manager on one host would otherwise overwrite each other's
// session. Each app reads its own name only.
inline constexpr char kSessionCookie[] = "maskfleet_session";
inline constexpr char kManagerSessionCookie[] = "maskfleet_manager_session";
inline constexpr char kCsrfHeader[] = "X-CSRF-Token";

enum class ErrorStyle {
  // {"success": false, "error": {"code": <status>, "message"}} (specification, point 12)
  kSpecification,
  // The same plus "reason": the ErrorCode's name (docs/api.md)
  kApiV1,
};

// The HTTP status and JSON body for `error`, and Retry-After (whole seconds, rounded
// up) when the error carries a retry hint: the one place an Error becomes an HTTP
// answer. Internal errors are logged with the request id and answered without their
// details.
void RespondError(httplib::Response& res, const Error& error, ErrorStyle style, std::string_view request_id);

// `body` as the answer, not cached. Strings that are not valid UTF-8 are sent with
// U+FFFD in place of their bad bytes (never an exception).
void RespondJson(httplib::Response& res, int status, const nlohmann::json& body);

// The value of cookie `name` in the request's Cookie header, if present.
std::optional<std::string> GetCookie(const httplib::Request& req, std::string_view name);

// A Set-Cookie value for cookie `name`: HttpOnly, SameSite=Lax, Path=/, Secure if
// `secure`; `max_age_seconds` 0 deletes the cookie.
std::string SessionCookie(std::string_view name, std::string_view value, long long max_age_seconds,
                          bool secure);

// The request's JSON object body. Errors: kInvalidArgument (not JSON, not an object,
// wrong content type).
Result<nlohmann::json> ParseJsonObject(const httplib::Request& req);

// A string field of a JSON object. Errors: kInvalidArgument naming the field when it
// is missing (unless `optional`) or not a string.
Result<std::string> JsonString(const nlohmann::json& object, const char* field, bool optional = false);

// A form field, from a urlencoded body, a multipart part or the query string.
std::optional<std::string> FormField(const httplib::Request& req, const std::string& name);

// What both HTTP servers (the worker's and the manager's) set up alike: `threads`
// request threads, bodies up to `max_body_bytes`, TCP_NODELAY (without it a kept-alive
// connection's answer waits ~40 ms for the client's delayed ACK: measured by the load
// generator), 30 s read and write timeouts, and the security headers with
// `content_security_policy`.
void ApplyServerDefaults(httplib::Server& server, int threads, std::size_t max_body_bytes,
                         const std::string& content_security_policy);

// A POST or PUT route that reads its body itself, so that a body over `max_bytes` is
// refused whatever its framing: cpp-httplib bounds a body with a Content-Length
// (set_payload_max_length) but reads a chunked one whole, however large. Runs `handler`
// with the body in place as cpp-httplib would have put it (req.body; the parts of a
// multipart form in req.files; the fields of a urlencoded one in req.params). A body
// over the bound is read to its end without being kept (so the client reads the
// answer), then answered with `fail` and kTooLarge; a body that cannot be read, with
// kInvalidArgument.
httplib::Server::HandlerWithContentReader BoundedBody(
    std::size_t max_bytes, httplib::Server::Handler handler,
    std::function<void(httplib::Response&, const Error&)> fail);

// An exception that escapes a handler becomes `fail(res, kInternal error)`: logged
// with its text by RespondError, answered without it.
void AnswerExceptionsWith(httplib::Server& server,
                          std::function<void(httplib::Response&, const Error&)> fail);

// The session of the request's cookie `cookie_name`, extended; with `changes_state`,
// the request must also carry the session's CSRF token in X-CSRF-Token. Errors:
// kUnauthenticated (no cookie, an unknown or expired session), kPermissionDenied (the
// CSRF token).
Result<accounts::SessionWithUser> SessionOf(accounts::AccountService& accounts, const httplib::Request& req,
                                            std::string_view cookie_name, bool changes_state);

// Binds `host`:`port` (0: any free port); the caller then serves with
// listen_after_bind(). Returns the port. Errors: kUnavailable when the address cannot
// be bound.
// Also raises the listening socket's backlog from cpp-httplib's 5 to SOMAXCONN: with 5,
// a burst of connections (40 clients at once, or HAProxy opening one per request)
// overflows it, and the kernel drops the extra connection attempts, which their
// clients (a health check too) retry only after a second.
Result<int> Bind(httplib::Server& server, const std::string& host, int port);

// Serves a server bound with Bind() on a new thread, and returns that thread once the
// server is running (or has already ended), so that a stop() that follows at once takes
// effect: cpp-httplib's stop() does nothing before the serving thread has marked the
// server running, and the thread would then accept for ever. Never fails.
std::thread Serve(httplib::Server& server);

// Sets the backlog of this process's listening sockets on `port` to SOMAXCONN (the
// kernel's cap, net.core.somaxconn). Bind() calls it; never fails (nothing happens
// where no such socket is found).
void RaiseListenBacklog(int port);

// Whether the client of `req` (a request being served on this thread) is still
// connected: false once it has closed or reset the connection (a load balancer in
// front closes it when its own client leaves: HAProxy's abortonclose). The returned
// function is for the request's own handler thread and must not outlive the request.
// cpp-httplib 0.11 does not hand its socket to handlers, so the first call finds it
// among this process's sockets by the request's two addresses; should none match
// (unusual), the client counts as connected.
std::function<bool()> ClientConnected(const httplib::Request& req);

// The error to answer when cpp-httplib ends a request before any route (404 no route,
// 413 too large, 400 unreadable: also a POST or PUT without Content-Length, which it
// refuses however small the body) with status `status`.
Error ErrorForStatus(const httplib::Request& req, int status);

// `web_dir`/pages/`name`.html as the answer (not cached). Errors: kUnavailable when
// the pages are not built.
Status RespondPage(httplib::Response& res, const std::filesystem::path& web_dir, std::string_view name);

// Where a page sends a visitor who is not logged in: /login?next=<path, encoded>.
std::string LoginRedirect(std::string_view path);

// Query parameter `name` as a whole number in [min, max], `fallback` when absent.
// Errors: kInvalidArgument naming the parameter and the range.
Result<std::int64_t> IntParam(const httplib::Request& req, const char* name, std::int64_t fallback,
                              std::int64_t min, std::int64_t max);

// ISO 8601 UTC ("2026-11-27T20:30:00Z").
std::string IsoTime(std::chrono::system_clock::time_point t);

}  // namespace maskfleet::http

#endif  // MASKFLEET_HTTP_HTTP_UTIL_H_
