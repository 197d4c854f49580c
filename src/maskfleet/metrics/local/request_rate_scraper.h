// Reading a worker's own request counts from its GET /metrics (local mode).
//
// Each worker counts the requests it answers per wall-clock minute and exposes the
// completed minutes of the last half hour (observability/request_rate.h) as
//   maskfleet_requests_minute_total{minute="<epoch seconds of the minute's start>"} N
// in the Prometheus text format, among its other metrics. ParseRequestMinutes() picks
// that family out of a whole exposition; RequestRateScraper fetches it over HTTP.
//
// The parser follows the text format (version 0.0.4): lines end in \n; "#" lines are
// comments, HELP or TYPE; a sample is a metric name, optional labels in braces
// (label="value" pairs, values with the escapes \\, \" and \n, a trailing comma
// allowed), whitespace, a value and an optional timestamp. Lines of other families
// are skipped without being checked further; a line of this family that breaks the
// format, lacks a minute label, or whose minute or count is not a whole non-negative
// number (a minute also a multiple of 60) is skipped and counted, so that one bad
// line loses one minute, not the scrape.
//
// Thread safety: ParseRequestMinutes is a pure function. A RequestRateScraper holds
// only its options; Scrape() may run on many threads at once (one HTTP connection
// each).
#ifndef MASKFLEET_METRICS_LOCAL_REQUEST_RATE_SCRAPER_H_
#define MASKFLEET_METRICS_LOCAL_REQUEST_RATE_SCRAPER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/metrics/request_count_publisher.h"

namespace maskfleet::metrics::local {

inline constexpr std::string_view kRequestMinuteFamily = "maskfleet_requests_minute_total";

using metrics::RequestMinute;

struct ParsedRequestMinutes {
  // Ascending by minute, one entry per minute (of duplicates, the last line wins).
  std::vector<RequestMinute> minutes;
  // Lines of the family that were skipped as malformed.
  int skipped_lines = 0;
};

// Picks the request-minute family out of a Prometheus text exposition. Never fails:
// a text without the family gives no minutes.
ParsedRequestMinutes ParseRequestMinutes(std::string_view text);

struct ScrapeOptions {
  // Connecting, and waiting for the answer's bytes. Defaults 1 s and 2 s: a worker is
  // on loopback, and a collection pass must not stall behind a hung one.
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds read_timeout{2000};
  // Largest body read; a longer one fails the scrape. Default 4 MiB (a worker's
  // exposition is a few kilobytes).
  std::size_t max_body_bytes = 4 << 20;
  // The path of the exposition. Default "/metrics".
  std::string path = "/metrics";
};

class RequestRateScraper {
 public:
  explicit RequestRateScraper(ScrapeOptions options = {}) : options_(std::move(options)) {}

  // GETs http://address:port/metrics and parses it. `address` is numeric (IPv4, or
  // IPv6 without brackets). Errors: kUnavailable (cannot connect, timed out, the
  // connection broke, an HTTP status other than 200: try again next pass), kTooLarge
  // (the body is over max_body_bytes).
  Result<ParsedRequestMinutes> Scrape(const std::string& address, std::uint16_t port) const;

 private:
  ScrapeOptions options_;
};

}  // namespace maskfleet::metrics::local

#endif  // MASKFLEET_METRICS_LOCAL_REQUEST_RATE_SCRAPER_H_
