// Errors as values.
//
// Every call that can fail because of something outside the program (a file, the
// network, a user's input, a cloud API) returns Result<T>: either the value or an
// Error. Exceptions never cross a component's API; a library that throws is caught
// in the adapter that calls it, and its failure turned into an Error there, once,
// with context (the file name, the URL, the user's field).
//
// The codes are chosen by what the caller should do next, after Abseil's StatusCode.
// Mapping to HTTP statuses and exit codes happens in exactly one place each
// (see HttpStatus() here and the CLI's exit codes).
#ifndef MASKFLEET_COMMON_ERROR_H_
#define MASKFLEET_COMMON_ERROR_H_

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace maskfleet {

enum class ErrorCode {
  // The caller's input is wrong and retrying it unchanged cannot help
  // (a corrupt image, a username with forbidden characters).
  kInvalidArgument,
  // The input is well-formed but bigger than a configured limit.
  kTooLarge,
  // The input's media type is not one we handle (a text file where an image belongs):
  // HTTP 415.
  kUnsupportedMediaType,
  kNotFound,
  kAlreadyExists,
  kUnauthenticated,
  kPermissionDenied,
  // The system is not in a state that allows the call (a worker already stopping).
  kFailedPrecondition,
  // Try again later: overloaded, a connection lost.
  kUnavailable,
  // The caller used up a quota (too many failed logins); retry after a while.
  kResourceExhausted,
  kDeadlineExceeded,
  // This implementation does not offer what was asked, although the interface allows
  // it (a metrics source asked for a period it does not measure). Asking another
  // implementation, or for something else, can help; retrying cannot.
  kUnimplemented,
  // A bug or a broken environment: an invariant or a dependency failed.
  kInternal,
};

// Stable lower-case name of a code ("invalid_argument"), used in JSON error bodies.
std::string_view ErrorCodeName(ErrorCode code);

// HTTP status that answers a request which failed with `code`.
int HttpStatus(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // When retrying can help after a known wait (a rate limit, a throttling back-off):
  // how long to wait first. The HTTP layer answers it as Retry-After.
  std::optional<std::chrono::milliseconds> retry_after;

  // "invalid_argument: photo.jpg: not an image".
  std::string ToString() const;
  // A copy whose message is prefixed with `context` and ": " (the retry hint is kept).
  Error WithContext(std::string_view context) const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

// An error that says when to retry.
inline std::unexpected<Error> MakeRetryableError(ErrorCode code, std::string message,
                                                 std::chrono::milliseconds retry_after) {
  return std::unexpected<Error>(Error{code, std::move(message), retry_after});
}

}  // namespace maskfleet

#endif  // MASKFLEET_COMMON_ERROR_H_
