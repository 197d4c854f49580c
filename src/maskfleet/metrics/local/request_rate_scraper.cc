#include "maskfleet/metrics/local/request_rate_scraper.h"

#include <httplib.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>

namespace maskfleet::metrics::local {
namespace {

// A cursor over one line of the exposition.
class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}

  bool AtEnd() const { return i_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[i_]; }

  void SkipBlanks() {
    while (!AtEnd() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++i_;
    return true;
  }

  // [a-zA-Z_:][a-zA-Z0-9_:]* (metric names); labels take no ':'.
  std::string_view Name(bool allow_colon) {
    const std::size_t start = i_;
    auto ok = [&](char c, bool first) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
             (!first && c >= '0' && c <= '9');
    };
    while (!AtEnd() && ok(s_[i_], i_ == start)) ++i_;
    return s_.substr(start, i_ - start);
  }

  // A double-quoted label value with its escapes undone; nullopt when malformed.
  std::optional<std::string> QuotedValue() {
    if (!Consume('"')) return std::nullopt;
    std::string out;
    while (!AtEnd()) {
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (AtEnd()) return std::nullopt;
      const char e = s_[i_++];
      if (e == 'n') {
        out += '\n';
      } else if (e == '\\' || e == '"') {
        out += e;
      } else {
        return std::nullopt;
      }
    }
    return std::nullopt;  // unterminated
  }

  // Up to the next blank or the end.
  std::string_view Token() {
    const std::size_t start = i_;
    while (!AtEnd() && s_[i_] != ' ' && s_[i_] != '\t') ++i_;
    return s_.substr(start, i_ - start);
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

std::optional<long long> WholeNumber(std::string_view text) {
  long long n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

// A sample value that is a whole, non-negative count ("12", "12.0", "1.2e+01").
std::optional<std::uint64_t> Count(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  // Counts above 2^53 cannot be told apart in a double; no worker answers that many.
  if (!std::isfinite(v) || v < 0 || v > 9007199254740992.0 || std::floor(v) != v) return std::nullopt;
  return static_cast<std::uint64_t>(v);
}

enum class LineKind { kOther, kSample, kMalformed };

// Parses one line; fills minute and count for a well-formed sample of the family.
LineKind ParseLine(std::string_view line, long long& minute, std::uint64_t& count) {
  LineParser p(line);
  p.SkipBlanks();
  if (p.AtEnd() || p.Peek() == '#') return LineKind::kOther;
  if (p.Name(/*allow_colon=*/true) != kRequestMinuteFamily) return LineKind::kOther;
  // The name must end here: "maskfleet_requests_minute_total_x" is another family,
  // which Name() would have read whole.
  p.SkipBlanks();
  std::optional<long long> found_minute;
  if (p.Consume('{')) {
    while (true) {
      p.SkipBlanks();
      if (p.Consume('}')) break;
      const std::string_view label = p.Name(/*allow_colon=*/false);
      if (label.empty()) return LineKind::kMalformed;
      p.SkipBlanks();
      if (!p.Consume('=')) return LineKind::kMalformed;
      p.SkipBlanks();
      std::optional<std::string> value = p.QuotedValue();
      if (!value) return LineKind::kMalformed;
      if (label == "minute") {
        found_minute = WholeNumber(*value);
        if (!found_minute) return LineKind::kMalformed;
      }
      p.SkipBlanks();
      if (p.Consume(',')) continue;
      if (p.Consume('}')) break;
      return LineKind::kMalformed;
    }
    p.SkipBlanks();
  }
  const std::optional<std::uint64_t> value = Count(p.Token());
  if (!value) return LineKind::kMalformed;
  p.SkipBlanks();
  if (!p.AtEnd()) {
    // An optional timestamp (milliseconds), and nothing after it.
    if (!WholeNumber(p.Token())) return LineKind::kMalformed;
    p.SkipBlanks();
    if (!p.AtEnd()) return LineKind::kMalformed;
  }
  if (!found_minute || *found_minute < 0 || *found_minute % 60 != 0) return LineKind::kMalformed;
  minute = *found_minute;
  count = *value;
  return LineKind::kSample;
}

}  // namespace

ParsedRequestMinutes ParseRequestMinutes(std::string_view text) {
  std::map<long long, std::uint64_t> minutes;
  ParsedRequestMinutes out;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    long long minute = 0;
    std::uint64_t count = 0;
    switch (ParseLine(line, minute, count)) {
      case LineKind::kOther: break;
      case LineKind::kSample: minutes[minute] = count; break;
      case LineKind::kMalformed: ++out.skipped_lines; break;
    }
  }
  out.minutes.reserve(minutes.size());
  for (const auto& [minute, count] : minutes) {
    out.minutes.push_back({std::chrono::sys_seconds(std::chrono::seconds(minute)), count});
  }
  return out;
}

Result<ParsedRequestMinutes> RequestRateScraper::Scrape(const std::string& address,
                                                        std::uint16_t port) const {
  const std::string where = "GET http://" +
                            (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
                            std::to_string(port) + options_.path;
  httplib::Client client(address, port);
  client.set_connection_timeout(
      std::chrono::duration_cast<std::chrono::microseconds>(options_.connect_timeout));
  client.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options_.read_timeout));
  client.set_keep_alive(false);
  std::string body;
  bool too_large = false;
  httplib::Result res = client.Get(options_.path, [&](const char* data, std::size_t length) {
    if (body.size() + length > options_.max_body_bytes) {
      too_large = true;
      return false;
    }
    body.append(data, length);
    return true;
  });
  if (too_large) {
    return MakeError(ErrorCode::kTooLarge,
                     where + ": answer over " + std::to_string(options_.max_body_bytes) + " bytes");
  }
  if (!res) return MakeError(ErrorCode::kUnavailable, where + ": " + httplib::to_string(res.error()));
  if (res->status != 200) {
    return MakeError(ErrorCode::kUnavailable, where + ": HTTP status " + std::to_string(res->status));
  }
  return ParseRequestMinutes(body);
}

}  // namespace maskfleet::metrics::local
