// Small pieces of HTTP that the worker's handlers share: cookies, JSON bodies and
// the one mapping from Error to an HTTP answer, in the two shapes the worker speaks
// (the specification's testing API and the /api/v1 JSON API).
#ifndef MASKFLEET_WORKER_HTTP_UTIL_H_
#define MASKFLEET_WORKER_HTTP_UTIL_H_

#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "maskfleet/common/error.h"

namespace maskfleet::worker {

inline constexpr char kSessionCookie[] = "maskfleet_session";
inline constexpr char kCsrfHeader[] = "X-CSRF-Token";

enum class ErrorStyle {
  // {"success": false, "error": {"code": <status>, "message"}} (specification, point 12)
  kSpecification,
  // The same plus "reason": the ErrorCode's name (docs/api.md)
  kApiV1,
};

// The HTTP status and JSON body for `error`. Internal errors are logged with the
// request id and answered without their details.
void RespondError(httplib::Response& res, const Error& error, ErrorStyle style,
                  std::string_view request_id);

void RespondJson(httplib::Response& res, int status, const nlohmann::json& body);

// The value of cookie `name` in the request's Cookie header, if present.
std::optional<std::string> GetCookie(const httplib::Request& req, std::string_view name);

// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure if `secure`;
// `max_age_seconds` 0 deletes the cookie.
std::string SessionCookie(std::string_view value, long long max_age_seconds, bool secure);

// The request's JSON object body. Errors: kInvalidArgument (not JSON, not an object,
// wrong content type).
Result<nlohmann::json> ParseJsonObject(const httplib::Request& req);

// A string field of a JSON object. Errors: kInvalidArgument naming the field when it
// is missing (unless `optional`) or not a string.
Result<std::string> JsonString(const nlohmann::json& object, const char* field,
                               bool optional = false);

// A form field, from a urlencoded body, a multipart part or the query string.
std::optional<std::string> FormField(const httplib::Request& req, const std::string& name);

// ISO 8601 UTC ("2026-11-27T20:30:00Z").
std::string IsoTime(std::chrono::system_clock::time_point t);

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_HTTP_UTIL_H_
