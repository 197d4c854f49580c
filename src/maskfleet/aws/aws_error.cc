#include "maskfleet/aws/aws_error.h"

#include <algorithm>
#include <array>
#include <charconv>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "maskfleet/aws/http.h"

namespace maskfleet::aws {
namespace {

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool AnyOf(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (auto c : codes) {
    if (code == c) return true;
  }
  return false;
}

// The first descendant element called `name`.
pugi::xml_node Find(pugi::xml_node node, const char* name) {
  return node.find_node([name](pugi::xml_node n) {
    return n.type() == pugi::node_element && std::string_view(n.name()) == name;
  });
}

}  // namespace

bool AwsError::IsThrottling() const {
  return AnyOf(code, {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
                      "TooManyRequestsException", "ProvisionedThroughputExceededException",
                      "RequestLimitExceeded", "BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
                      "PriorRequestNotComplete", "EC2ThrottledException"}) ||
         (kind == Kind::kService && http_status == 429);
}

bool AwsError::IsRetryable() const {
  if (kind == Kind::kConnection) return true;
  if (kind != Kind::kService) return false;
  if (http_status == 501 || code == "NotImplemented") return false;
  return IsThrottling() || http_status >= 500 ||
         AnyOf(code, {"RequestTimeout", "RequestTimeoutException", "InternalError", "ServiceUnavailable"});
}

std::string AwsError::ToString() const {
  std::string out = service + " " + operation + ": ";
  if (kind != Kind::kService) return out + message;
  out += code.empty() ? "error" : code;
  if (!message.empty()) out += ": " + message;
  out += " (HTTP " + std::to_string(http_status);
  if (!request_id.empty()) out += ", request id " + request_id;
  return out + ")";
}

void ParseErrorAnswer(const HttpResponse& response, AwsError& error) {
  error.request_id = response.Header("x-amzn-requestid");
  const std::string retry_after = response.Header("retry-after");
  int seconds = 0;
  const auto [end, ec] = std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(),
                                         seconds);
  if (ec == std::errc() && end == retry_after.data() + retry_after.size() && seconds >= 0) {
    error.retry_after = std::chrono::seconds(seconds);
  }
  if (error.request_id.empty()) error.request_id = response.Header("x-amz-request-id");
  const std::string_view body = response.body;
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '{') {
    const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (json.is_object()) {
      std::string type = json.value("__type", json.value("code", json.value("Code", "")));
      if (const auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
      error.code = type;
      error.message = json.value("message", json.value("Message", ""));
    }
  } else if (first != std::string_view::npos) {
    pugi::xml_document doc;
    if (doc.load_buffer(body.data(), body.size())) {
      if (pugi::xml_node e = Find(doc, "Error")) {
        error.code = e.child_value("Code");
        error.message = e.child_value("Message");
      }
      if (error.request_id.empty()) {
        for (const char* name : {"RequestId", "RequestID"}) {
          if (pugi::xml_node id = Find(doc, name)) {
            error.request_id = id.child_value();
            break;
          }
        }
      }
    }
  }
  // moto's JSON services put the code in a header when the body has none.
  if (error.code.empty()) {
    std::string header = response.Header("x-amzn-errortype");
    error.code = header.substr(0, header.find(':'));
  }
}

ErrorCode ToErrorCode(const AwsError& error) {
  if (error.kind != AwsError::Kind::kService) return error.local_code;
  const std::string_view code = error.code;
  if (code == "NotImplemented" || code == "UnsupportedOperation" || error.http_status == 501) {
    return ErrorCode::kUnimplemented;
  }
  if (error.IsThrottling() || error.http_status >= 500 || code == "RequestTimeout" ||
      code == "ServiceUnavailable" || code == "InternalError") {
    return ErrorCode::kUnavailable;
  }
  if (AnyOf(code,
            {"SignatureDoesNotMatch", "InvalidClientTokenId", "AuthFailure", "InvalidAccessKeyId",
             "IncompleteSignature", "UnrecognizedClientException", "ExpiredToken", "ExpiredTokenException",
             "InvalidSignatureException", "MissingAuthenticationToken", "RequestExpired", "InvalidToken"})) {
    return ErrorCode::kUnauthenticated;
  }
  if (AnyOf(code, {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
                   "OptInRequired", "AllAccessDisabled"})) {
    return ErrorCode::kPermissionDenied;
  }
  if (Contains(code, "NotFound") || code.starts_with("NoSuch")) {
    return ErrorCode::kNotFound;
  }
  if (Contains(code, "AlreadyExists") || code.starts_with("Duplicate") || code == "BucketAlreadyOwnedByYou" ||
      code == "IdempotentParameterMismatch") {
    return ErrorCode::kAlreadyExists;
  }
  if ((Contains(code, "LimitExceeded") && !error.IsThrottling()) || code.starts_with("TooMany") ||
      code == "InsufficientInstanceCapacity") {
    return ErrorCode::kResourceExhausted;
  }
  if (code == "IncorrectState" || code == "IncorrectInstanceState" || code == "InvalidState" ||
      code == "ResourceInUse" || code == "OperationNotPermitted" || code == "DependencyViolation" ||
      code == "InvalidRequestException") {
    return ErrorCode::kFailedPrecondition;
  }
  if (code.starts_with("Invalid") || code.starts_with("Malformed") || code == "ValidationError" ||
      code == "ValidationException" || code == "MissingParameter" || code.starts_with("Missing") ||
      code == "BadDigest" || code == "EntityTooLarge" || code == "KeyTooLongError") {
    return code == "EntityTooLarge" ? ErrorCode::kTooLarge : ErrorCode::kInvalidArgument;
  }
  switch (error.http_status) {
    case 400: return ErrorCode::kInvalidArgument;
    case 401: return ErrorCode::kUnauthenticated;
    case 403: return ErrorCode::kPermissionDenied;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kFailedPrecondition;
    case 413: return ErrorCode::kTooLarge;
    case 415: return ErrorCode::kUnsupportedMediaType;
    default: return ErrorCode::kInternal;
  }
}

std::chrono::milliseconds RetryAfter(const AwsError& error) {
  if (error.retry_after)
    return std::min<std::chrono::milliseconds>(*error.retry_after, std::chrono::seconds(60));
  return error.IsThrottling() ? std::chrono::seconds(2) : std::chrono::seconds(1);
}

Error ToError(const AwsError& error) {
  Error converted{ToErrorCode(error), error.ToString()};
  if (converted.code == ErrorCode::kUnavailable) converted.retry_after = RetryAfter(error);
  return converted;
}

}  // namespace maskfleet::aws
