// Structured logging over spdlog: one line per event, key=value fields.
//
// Every line is
//   time=2026-11-27T20:41:31.123Z level=info worker=w1 request_id=5f0c0a6e msg="..." k=v ...
// with the time in UTC, values quoted when they hold a space, '=', a quote or a
// control character, and backslash, quote and control characters escaped
// (logfmt), so that a line can be split on spaces outside quotes and a value can
// never start a new line. A message given to spdlog directly (by a library, or
// spdlog::info) still gets the time, level and worker fields, and its control
// characters are escaped too; only LogEvent() and LogAccess() give it fields.
//
// What is never logged: request and response bodies, cookies, the Authorization
// header and any other header, and query strings (LogAccess() logs the path
// without what follows '?', since a query can hold a reset token or a session).
// This library has no way to receive them; callers must keep passwords, tokens
// and cookies out of messages and fields too.
//
// Thread safety: the loggers made here are spdlog's thread-safe (_mt) ones;
// every function may be called from any thread. MakeLogger() and SetUpLogging()
// are meant for start-up.
#ifndef MASKFLEET_OBSERVABILITY_LOGGING_H_
#define MASKFLEET_OBSERVABILITY_LOGGING_H_

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::observability {

struct LogOptions {
  // The value of every line's worker field. Default "" (written as worker="").
  std::string worker_name;
  // The file to append to (missing parent folders are created); empty means
  // standard error. Default "".
  std::string file;
  // Lowest level written: trace, debug, info, warn (or warning), error,
  // critical, off. Default "info".
  std::string level = "info";
  // Flush after every line, so that a crash or `tail -f` loses nothing; costs a
  // write(2) per line. Default true.
  bool flush_every_line = true;
  // spdlog's name for the logger (not written in lines). Default "maskfleet".
  std::string logger_name = "maskfleet";
};

// Makes a logger as LogOptions says.
// Failure: kInvalidArgument for an unknown level; kFailedPrecondition when the
// file cannot be opened for appending (the message names it and says why).
Result<std::shared_ptr<spdlog::logger>> MakeLogger(const LogOptions& options);

// MakeLogger(), then makes the result spdlog's default logger (what
// spdlog::info() and friends write to). Failure: as MakeLogger(); the default
// logger is then left as it was.
Status SetUpLogging(const LogOptions& options);

struct LogField {
  std::string_view key;  // letters, digits and '_'; anything else is written as '_'
  std::string value;     // quoted and escaped as needed
};

// A logfmt value: `value` itself when it needs no quotes, else in double quotes
// with backslash, quote, newline, carriage return, tab and other control
// characters escaped. The empty string is "".
std::string QuoteLogValue(std::string_view value);

// The part of a line after the worker field: request_id (left out when empty),
// msg, then `fields` in order.
std::string FormatEvent(std::string_view request_id, std::string_view message,
                        std::initializer_list<LogField> fields = {});

// Writes FormatEvent(...) at `level`.
void LogEvent(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view request_id,
              std::string_view message, std::initializer_list<LogField> fields = {});

struct AccessLogEntry {
  std::string_view method;  // "GET"
  std::string_view target;  // the request target; the query string is cut off
  int status = 0;           // the HTTP status sent
  std::chrono::nanoseconds duration{0};
  std::uint64_t bytes = 0;  // bytes of the response body
  std::string_view request_id;
  std::string_view client_address;  // the peer (or the load balancer's forwarded) address
};

// `target` up to the first '?' or '#'.
std::string_view PathWithoutQuery(std::string_view target);

// request_id=... msg=access method=GET path=/x status=200 duration_ms=12.345 bytes=512 client=...
std::string FormatAccess(const AccessLogEntry& entry);

// Writes FormatAccess(entry) at info level.
void LogAccess(spdlog::logger& logger, const AccessLogEntry& entry);

}  // namespace maskfleet::observability

#endif  // MASKFLEET_OBSERVABILITY_LOGGING_H_
