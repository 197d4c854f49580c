#include "maskfleet/sim/replay.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace maskfleet::sim {
namespace {

std::vector<std::string_view> SplitCsvLine(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t comma = line.find(',');
    fields.push_back(line.substr(0, comma));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields;
}

// One data row, its fields looked up by column name.
class Row {
 public:
  Row(const std::map<std::string, std::size_t>& columns, std::vector<std::string_view> fields,
      std::string place)
      : columns_(columns), fields_(std::move(fields)), place_(std::move(place)) {}

  // The field of `column`; empty when the file has no such column.
  std::string_view Field(const std::string& column) const {
    auto it = columns_.find(column);
    return it == columns_.end() || it->second >= fields_.size() ? std::string_view{} : fields_[it->second];
  }

  Result<double> Number(const std::string& column) const {
    const std::string_view text = Field(column);
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(v) || v < 0) {
      return Bad(column, "a number of at least 0", text);
    }
    return v;
  }

  Result<std::optional<double>> OptionalNumber(const std::string& column) const {
    if (Field(column).empty()) return std::optional<double>{};
    Result<double> v = Number(column);
    if (!v) return std::unexpected(v.error());
    return std::optional<double>{*v};
  }

  Result<int> Whole(const std::string& column) const {
    const std::string_view text = Field(column);
    int v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v < 0) {
      return Bad(column, "a whole number of at least 0", text);
    }
    return v;
  }

  std::unexpected<Error> Bad(const std::string& column, const std::string& accepted,
                             std::string_view found) const {
    return MakeError(ErrorCode::kInvalidArgument,
                     place_ + ": " + column + " must be " + accepted + ", not '" + std::string(found) + "'");
  }

  const std::string& place() const { return place_; }

 private:
  const std::map<std::string, std::size_t>& columns_;
  std::vector<std::string_view> fields_;
  std::string place_;
};

Result<scaler::Action> ActionOf(const Row& row) {
  const std::string_view name = row.Field("action");
  for (scaler::Action a : {scaler::Action::kHold, scaler::Action::kGrow, scaler::Action::kShrink}) {
    if (name == scaler::ActionName(a)) return a;
  }
  return row.Bad("action", "grow, shrink, hold or empty", name);
}

}  // namespace

Result<Trace> ParseReplay(std::string_view text, const std::string& source) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty())
    return MakeError(ErrorCode::kInvalidArgument, source + ": empty, expected a header line");

  std::map<std::string, std::size_t> columns;
  const std::vector<std::string_view> header = SplitCsvLine(lines[0]);
  for (std::size_t i = 0; i < header.size(); ++i) columns.emplace(std::string(header[i]), i);
  for (const char* required : {"t", "offered_rate", "in_service", "starting"}) {
    if (!columns.contains(required)) {
      return MakeError(ErrorCode::kInvalidArgument, source + ":1: no column '" + required +
                                                        "' (the header must name t, offered_rate, "
                                                        "in_service and starting)");
    }
  }
  const bool has_requests = columns.contains("sent") && columns.contains("failed");
  if (lines.size() == 1) return MakeError(ErrorCode::kInvalidArgument, source + ": no rows after the header");

  Trace trace;
  trace.controller = "live";
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const Row row(columns, SplitCsvLine(lines[i]), source + ":" + std::to_string(i + 1));
    Result<int> t = row.Whole("t");
    if (!t) return std::unexpected(t.error());
    const int expected = static_cast<int>(trace.demand.size());
    if (*t != expected) {
      return MakeError(ErrorCode::kInvalidArgument,
                       row.place() + ": t must go up by one second from 0, expected " +
                           std::to_string(expected) + ", not " + std::to_string(*t));
    }
    Result<double> offered = row.Number("offered_rate");
    if (!offered) return std::unexpected(offered.error());
    Result<int> in_service = row.Whole("in_service");
    if (!in_service) return std::unexpected(in_service.error());
    Result<int> starting = row.Whole("starting");
    if (!starting) return std::unexpected(starting.error());

    if (!row.Field("action").empty()) {
      Result<scaler::Action> action = ActionOf(row);
      if (!action) return std::unexpected(action.error());
      Result<std::optional<double>> cpu = row.OptionalNumber("average_cpu");
      if (!cpu) return std::unexpected(cpu.error());
      Result<int> before = row.Whole("size_before");
      if (!before) return std::unexpected(before.error());
      Result<int> after = row.Whole("size_after");
      if (!after) return std::unexpected(after.error());
      CheckRecord check;
      check.at = std::chrono::seconds(*t);
      check.in_service = trace.in_service.empty() ? *in_service : trace.in_service.back();
      check.starting = trace.starting.empty() ? *starting : trace.starting.back();
      check.decision.action = *action;
      check.decision.current_size = *before;
      check.decision.target_size = *after;
      check.decision.average_cpu = *cpu;
      trace.checks.push_back(std::move(check));
    }
    if (has_requests) {
      Result<double> sent = row.Number("sent");
      if (!sent) return std::unexpected(sent.error());
      Result<double> failed = row.Number("failed");
      if (!failed) return std::unexpected(failed.error());
      trace.requests += *sent;
      trace.unserved_requests += *failed;
    } else {
      trace.requests += *offered;
    }
    trace.demand.push_back(*offered);
    trace.in_service.push_back(*in_service);
    trace.starting.push_back(*starting);
  }
  return trace;
}

Result<Trace> ReadReplayFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kNotFound, "recording not found: " + path.string());
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) return MakeError(ErrorCode::kInvalidArgument, "cannot read " + path.string());
  return ParseReplay(text.str(), path.string());
}

Status CheckReplayMatches(const Trace& trace, const Scenario& scenario, const std::string& source) {
  const std::size_t seconds = static_cast<std::size_t>(scenario.duration.count());
  if (trace.demand.size() != seconds) {
    return MakeError(ErrorCode::kInvalidArgument, source + " holds " + std::to_string(trace.demand.size()) +
                                                      " seconds, scenario " + scenario.name + " lasts " +
                                                      std::to_string(seconds));
  }
  for (std::size_t t = 0; t < seconds; ++t) {
    const double expected = DemandAt(scenario, static_cast<double>(t) + 0.5);
    if (std::abs(trace.demand[t] - expected) > 1e-6) {
      std::ostringstream message;
      message << source << ": the offered rate at t = " << t << " is " << trace.demand[t]
              << " req/s, scenario " << scenario.name << " has " << expected;
      return MakeError(ErrorCode::kInvalidArgument, message.str());
    }
  }
  return {};
}

}  // namespace maskfleet::sim
