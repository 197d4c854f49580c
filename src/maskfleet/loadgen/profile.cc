#include "maskfleet/loadgen/profile.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace maskfleet::loadgen {
namespace {

std::optional<double> ParseDouble(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t begin = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > begin) fields.push_back(line.substr(begin, i - begin));
  }
  return fields;
}

}  // namespace

Result<LoadProfile> ParseProfile(std::string_view text) {
  LoadProfile profile;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const std::vector<std::string_view> fields = SplitFields(line);
    if (fields.empty()) continue;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (fields.size() != 2) {
      return MakeError(ErrorCode::kInvalidArgument, where + "expected 'duration_seconds rate', got " +
                                                        std::to_string(fields.size()) + " field" +
                                                        (fields.size() == 1 ? "" : "s"));
    }
    const std::optional<double> duration = ParseDouble(fields[0]);
    if (!duration || *duration <= 0) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          where + "duration must be a number of seconds > 0, got '" + std::string(fields[0]) + "'");
    }
    const std::optional<double> rate = ParseDouble(fields[1]);
    if (!rate || *rate < 0) {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + "rate must be a number >= 0, got '" + std::string(fields[1]) + "'");
    }
    profile.push_back({.duration_s = *duration, .rate = *rate});
  }
  if (profile.empty()) return MakeError(ErrorCode::kInvalidArgument, "the profile has no steps");
  bool any_load = false;
  for (const RateStep& step : profile) any_load = any_load || step.rate > 0;
  if (!any_load) return MakeError(ErrorCode::kInvalidArgument, "every step of the profile has rate 0");
  return profile;
}

Result<LoadProfile> ReadProfileFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kNotFound, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  Result<LoadProfile> profile = ParseProfile(text.str());
  if (!profile) return std::unexpected(profile.error().WithContext(path.string()));
  return profile;
}

double ProfileDuration(const LoadProfile& profile) {
  double total = 0;
  for (const RateStep& step : profile) total += step.duration_s;
  return total;
}

}  // namespace maskfleet::loadgen
