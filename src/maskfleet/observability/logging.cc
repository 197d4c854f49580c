#include "maskfleet/observability/logging.h"

#include <spdlog/common.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <exception>
#include <utility>
#include <vector>

namespace maskfleet::observability {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

void AppendEscapedControl(std::string& out, unsigned char c) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: {
      std::array<char, 8> hex{};
      std::snprintf(hex.data(), hex.size(), "\\x%02x", c);
      out += hex.data();
    }
  }
}

// %* in the pattern: the message with its control characters escaped, so that
// a message handed to spdlog directly cannot break the one-line-per-event rule.
class OneLineMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    std::string escaped;
    for (char ch : payload) {
      const auto c = static_cast<unsigned char>(ch);
      if (IsControl(c)) {
        AppendEscapedControl(escaped, c);
      } else {
        escaped += ch;
      }
    }
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<OneLineMessage>(); }
};

std::string EscapeForPattern(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

Result<spdlog::level::level_enum> ParseLevel(std::string_view name) {
  using spdlog::level::level_enum;
  static constexpr std::array<std::pair<std::string_view, level_enum>, 8> kLevels = {{
      {"trace", level_enum::trace},
      {"debug", level_enum::debug},
      {"info", level_enum::info},
      {"warn", level_enum::warn},
      {"warning", level_enum::warn},
      {"error", level_enum::err},
      {"critical", level_enum::critical},
      {"off", level_enum::off},
  }};
  for (const auto& [level_name, level] : kLevels) {
    if (level_name == name) return level;
  }
  return MakeError(
      ErrorCode::kInvalidArgument,
      "log level \"" + std::string(name) + "\" is not one of trace, debug, info, warn, error, critical, off");
}

std::string SanitiseKey(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) c = '_';
  }
  if (out.empty()) out = "_";
  return out;
}

void AppendField(std::string& line, std::string_view key, std::string_view value) {
  if (!line.empty()) line += ' ';
  line += SanitiseKey(key);
  line += '=';
  line += QuoteLogValue(value);
}

}  // namespace

std::string QuoteLogValue(std::string_view value) {
  bool needs_quotes = value.empty();
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || IsControl(c)) needs_quotes = true;
  }
  if (!needs_quotes) return std::string(value);
  std::string out = "\"";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (IsControl(c)) {
      AppendEscapedControl(out, c);
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

Result<std::shared_ptr<spdlog::logger>> MakeLogger(const LogOptions& options) {
  Result<spdlog::level::level_enum> level = ParseLevel(options.level);
  if (!level) return std::unexpected(level.error());

  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, /*truncate=*/false);
    } catch (const std::exception& e) {
      // spdlog's message already names the file and the errno text.
      return MakeError(ErrorCode::kFailedPrecondition, std::string("log file: ") + e.what());
    }
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<OneLineMessage>('*').set_pattern(
      "time=%Y-%m-%dT%H:%M:%S.%eZ level=%l worker=" + EscapeForPattern(QuoteLogValue(options.worker_name)) +
      " %*");
  auto logger = std::make_shared<spdlog::logger>(options.logger_name, std::move(sink));
  logger->set_formatter(std::move(formatter));
  logger->set_level(*level);
  if (options.flush_every_line) logger->flush_on(spdlog::level::trace);
  return logger;
}

Status SetUpLogging(const LogOptions& options) {
  Result<std::shared_ptr<spdlog::logger>> logger = MakeLogger(options);
  if (!logger) return std::unexpected(logger.error());
  spdlog::set_default_logger(std::move(*logger));
  return {};
}

std::string FormatEvent(std::string_view request_id, std::string_view message,
                        std::initializer_list<LogField> fields) {
  std::string line;
  if (!request_id.empty()) AppendField(line, "request_id", request_id);
  AppendField(line, "msg", message);
  for (const LogField& field : fields) AppendField(line, field.key, field.value);
  return line;
}

void LogEvent(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view request_id,
              std::string_view message, std::initializer_list<LogField> fields) {
  if (!logger.should_log(level)) return;
  logger.log(level, "{}", FormatEvent(request_id, message, fields));
}

std::string_view PathWithoutQuery(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

std::string FormatAccess(const AccessLogEntry& entry) {
  const double duration_ms = std::chrono::duration<double, std::milli>(entry.duration).count();
  std::array<char, 32> ms{};
  std::snprintf(ms.data(), ms.size(), "%.3f", duration_ms);
  return FormatEvent(entry.request_id, "access",
                     {{"method", std::string(entry.method)},
                      {"path", std::string(PathWithoutQuery(entry.target))},
                      {"status", std::to_string(entry.status)},
                      {"duration_ms", ms.data()},
                      {"bytes", std::to_string(entry.bytes)},
                      {"client", std::string(entry.client_address)}});
}

void LogAccess(spdlog::logger& logger, const AccessLogEntry& entry) {
  if (!logger.should_log(spdlog::level::info)) return;
  logger.log(spdlog::level::info, "{}", FormatAccess(entry));
}

}  // namespace maskfleet::observability
