// A failed AWS call as the service (or the way to it) reported it, and its one
// conversion into maskfleet's Error.
//
// Services answer errors in three shapes, all read here:
//   Query (ELBv2, CloudWatch): <ErrorResponse><Error><Code/><Message/></Error><RequestId/>
//   EC2:                       <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>
//   S3 (REST-XML):             <Error><Code/><Message/><RequestId/></Error>
//   JSON (Secrets Manager):    {"__type": "...#Code", "message": "..."} + x-amzn-RequestId
#ifndef MASKFLEET_AWS_AWS_ERROR_H_
#define MASKFLEET_AWS_AWS_ERROR_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::aws {

struct HttpResponse;

struct AwsError {
  enum class Kind {
    // The service answered with an error status.
    kService,
    // No complete answer: connection refused, reset, timed out.
    kConnection,
    // Before sending: no credentials, a bad endpoint.
    kLocal,
    // An answer with a success status that could not be read.
    kBadAnswer,
  };
  Kind kind = Kind::kService;
  // "s3", "ec2" ... and the operation ("GetObject", "RunInstances").
  std::string service;
  std::string operation;
  long http_status = 0;
  // AWS's error code ("AccessDenied", "Throttling", "InvalidInstanceID.NotFound").
  std::string code;
  std::string message;
  std::string request_id;
  // The answer's Retry-After header (whole seconds), when it had one.
  std::optional<std::chrono::seconds> retry_after;
  // For kLocal, kConnection and kBadAnswer: the project's code for it.
  ErrorCode local_code = ErrorCode::kInternal;

  // Throttling, a 5xx answer (but 501 Not Implemented), or a lost connection: worth
  // another attempt.
  bool IsRetryable() const;
  bool IsThrottling() const;
  // "s3 GetObject: AccessDenied: Access Denied (HTTP 403, request id ABC)".
  std::string ToString() const;
};

// Reads the error of an XML or JSON answer with an error status into `error`'s code,
// message and request id (leaving what it cannot find empty).
void ParseErrorAnswer(const HttpResponse& response, AwsError& error);

// The ErrorCode a caller should act on (see common/error.h): throttling, 5xx and lost
// connections are kUnavailable; AccessDenied / UnauthorizedOperation kPermissionDenied;
// bad signatures or unknown keys kUnauthenticated; *NotFound / NoSuch* kNotFound;
// NotImplemented / UnsupportedOperation / HTTP 501 kUnimplemented; HTTP 415
// kUnsupportedMediaType; ...
ErrorCode ToErrorCode(const AwsError& error);

// How long a caller should wait before trying a kUnavailable call again: the service's
// Retry-After when it sent one (at most 60 s), else 2 s after throttling (the
// client's own back-off has already waited), else 1 s.
std::chrono::milliseconds RetryAfter(const AwsError& error);

// The one conversion: Error{ToErrorCode(error), error.ToString()}, with retry_after
// set (RetryAfter) when the code is kUnavailable, so that the HTTP layer answers 503
// with Retry-After.
Error ToError(const AwsError& error);

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_AWS_ERROR_H_
