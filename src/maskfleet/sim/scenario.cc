#include "maskfleet/sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include <toml.hpp>

#include "maskfleet/config/toml_text.h"

namespace maskfleet::sim {
namespace {

using std::chrono::seconds;

// The longest run a scenario may ask for: a week of simulated seconds.
constexpr seconds kMaxDuration{7 * 24 * 3600};
// Bounds that catch typing errors rather than limit what can be simulated.
constexpr int kMaxInitialWorkers = 64;
constexpr double kMaxRate = 1e6;

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Everything ParseScenario needs to name a place in the file.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  std::unexpected<Error> Fail(const toml::value* where, const std::string& message) const {
    std::string place = source_;
    if (where != nullptr) place += ":" + std::to_string(where->location().line());
    return MakeError(ErrorCode::kInvalidArgument, place + ": " + message);
  }

  // What a value was written as, for "..., not <shown>".
  static std::string Shown(const toml::value& v) {
    if (v.is_string()) return "\"" + v.as_string().str + "\"";
    if (v.is_integer()) return std::to_string(v.as_integer());
    if (v.is_floating()) return Number(v.as_floating());
    if (v.is_boolean()) return v.as_boolean() ? "true" : "false";
    if (v.is_table()) return "a table";
    if (v.is_array()) return "an array";
    return "a " + toml::stringize(v.type());
  }

  // Keys of `table` outside `known` are errors, reported in the order of the file.
  Status RejectUnknown(const toml::table& table, const std::string& prefix,
                       const std::set<std::string>& known) const {
    const toml::value* first = nullptr;
    std::string first_key;
    for (const auto& [key, value] : table) {
      if (known.contains(key)) continue;
      if (first == nullptr || value.location().line() < first->location().line()) {
        first = &value;
        first_key = key;
      }
    }
    if (first == nullptr) return {};
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return Fail(first, "unknown key '" + prefix + first_key + "' (known here: " + list + ")");
  }

  static const toml::value* Find(const toml::table& table, const std::string& key) {
    auto it = table.find(key);
    return it == table.end() ? nullptr : &it->second;
  }

  // A number (integer or float) in [min, max]; `what` explains the field.
  Result<double> Double(const toml::table& table, const std::string& prefix, const std::string& key,
                        double fallback, double min, double max, const std::string& range,
                        const std::string& what) const {
    const toml::value* v = Find(table, key);
    if (v == nullptr) return fallback;
    double value = std::numeric_limits<double>::quiet_NaN();
    if (v->is_integer()) value = static_cast<double>(v->as_integer());
    if (v->is_floating()) value = v->as_floating();
    if (!(value >= min && value <= max)) {
      return Fail(v, prefix + key + " must be a number" + (range.empty() ? "" : " " + range) + " (" + what +
                         "), not " + Shown(*v));
    }
    return value;
  }

  Result<std::int64_t> Int(const toml::table& table, const std::string& prefix, const std::string& key,
                           std::int64_t fallback, std::int64_t min, std::int64_t max,
                           const std::string& what) const {
    const toml::value* v = Find(table, key);
    if (v == nullptr) return fallback;
    if (!v->is_integer() || v->as_integer() < min || v->as_integer() > max) {
      return Fail(v, prefix + key + " must be a whole number from " + std::to_string(min) + " to " +
                         std::to_string(max) + " (" + what + "), not " + Shown(*v));
    }
    return v->as_integer();
  }

  // A duration ("90s", "10m", whole seconds) in [min, max].
  Result<seconds> Duration(const toml::table& table, const std::string& prefix, const std::string& key,
                           seconds fallback, seconds min, seconds max, const std::string& what) const {
    const toml::value* v = Find(table, key);
    if (v == nullptr) return fallback;
    return DurationOf(*v, prefix + key, min, max, what);
  }

  Result<seconds> DurationOf(const toml::value& v, const std::string& field, seconds min, seconds max,
                             const std::string& what) const {
    Result<seconds> d = MakeError(ErrorCode::kInvalidArgument, "");
    if (v.is_string()) d = ParseDuration(v.as_string().str);
    if (v.is_integer()) d = ParseDuration(std::to_string(v.as_integer()));
    const std::string accepted = "a duration such as \"90s\", \"10m\" or \"1h30m\"";
    if (!d) return Fail(&v, field + " must be " + accepted + " (" + what + "), not " + Shown(v));
    if (*d < min || *d > max) {
      return Fail(&v, field + " must be from " + FormatDuration(min) + " to " + FormatDuration(max) + " (" +
                          what + "), not " + Shown(v));
    }
    return *d;
  }

  Result<std::string> String(const toml::table& table, const std::string& key,
                             const std::string& fallback) const {
    const toml::value* v = Find(table, key);
    if (v == nullptr) return fallback;
    if (!v->is_string()) return Fail(v, key + " must be a string (in quotes), not " + Shown(*v));
    return v->as_string().str;
  }

  // The table under `key`, or an empty one; an error when `key` is not a table.
  Result<const toml::table*> Table(const toml::table& root, const std::string& key) const {
    static const toml::table kEmpty;
    const toml::value* v = Find(root, key);
    if (v == nullptr) return &kEmpty;
    if (!v->is_table()) {
      return Fail(v, key + " must be a table ([" + key + "] followed by its keys), not " + Shown(*v));
    }
    return &v->as_table();
  }

  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// The line where an inline or [[array]] table starts: its earliest key's.
const toml::value* FirstValue(const toml::table& table) {
  const toml::value* first = nullptr;
  for (const auto& [key, value] : table) {
    if (first == nullptr || value.location().line() < first->location().line()) first = &value;
  }
  return first;
}

Status ReadPolicy(const Reader& r, const toml::table& root, scaler::ScalingPolicy& policy) {
  auto table = r.Table(root, "policy");
  if (!table) return std::unexpected(table.error());
  const toml::table& t = **table;
  const std::string p = "policy.";
  if (auto s = r.RejectUnknown(
          t, p,
          {"grow_threshold", "shrink_threshold", "expand_ratio", "shrink_ratio", "min_workers", "max_workers",
           "check_interval", "window", "shrink_stabilisation", "paused"});
      !s) {
    return s;
  }
  // Ranges here only catch what is not a number at all; Validate() below says what
  // converges.
  const double inf = std::numeric_limits<double>::infinity();
  auto num = [&](const char* key, double& field, const char* what) -> Status {
    auto v = r.Double(t, p, key, field, -inf, inf, "", what);
    if (!v) return std::unexpected(v.error());
    field = *v;
    return {};
  };
  if (auto s = num("grow_threshold", policy.grow_threshold, "% CPU"); !s) return s;
  if (auto s = num("shrink_threshold", policy.shrink_threshold, "% CPU"); !s) return s;
  if (auto s = num("expand_ratio", policy.expand_ratio, "2.0 doubles the pool"); !s) return s;
  if (auto s = num("shrink_ratio", policy.shrink_ratio, "0.5 halves the pool"); !s) return s;
  for (auto [key, field] :
       {std::pair{"min_workers", &policy.min_workers}, std::pair{"max_workers", &policy.max_workers}}) {
    auto v = r.Int(t, p, key, *field, scaler::kMinWorkersAllowed, scaler::kMaxWorkersAllowed,
                   "the specification's bounds");
    if (!v) return std::unexpected(v.error());
    *field = static_cast<int>(*v);
  }
  for (auto [key, field] :
       {std::pair{"check_interval", &policy.check_interval}, std::pair{"window", &policy.window},
        std::pair{"shrink_stabilisation", &policy.shrink_stabilisation}}) {
    auto v = r.Duration(t, p, key, *field, seconds(0), kMaxDuration, "a span of time");
    if (!v) return std::unexpected(v.error());
    *field = *v;
  }
  if (const toml::value* v = Reader::Find(t, "paused"); v != nullptr) {
    if (!v->is_boolean()) return r.Fail(v, "policy.paused must be true or false, not " + Reader::Shown(*v));
    policy.paused = v->as_boolean();
  }
  if (Status valid = scaler::Validate(policy); !valid) {
    return r.Fail(FirstValue(t), "[policy]: " + valid.error().message);
  }
  return {};
}

Status ReadLoad(const Reader& r, const toml::table& root, Scenario& s) {
  const toml::value* load = Reader::Find(root, "load");
  if (load == nullptr) {
    return r.Fail(nullptr,
                  "no [[load]] entries: the demand needs at least one, e.g.\n"
                  "  [[load]]\n  at = \"0m\"\n  rate = 5");
  }
  if (!load->is_array() || load->as_array().empty()) {
    return r.Fail(load, "load must be [[load]] entries (an array of tables), not " + Reader::Shown(*load));
  }
  seconds previous_end{-1};
  int index = 0;
  for (const toml::value& entry : load->as_array()) {
    ++index;
    const std::string prefix = "load[" + std::to_string(index) + "].";
    if (!entry.is_table()) {
      return r.Fail(&entry, "each [[load]] entry must be a table, not " + Reader::Shown(entry));
    }
    const toml::table& t = entry.as_table();
    if (auto st = r.RejectUnknown(t, prefix,
                                  {"at", "rate", "ramp_to", "over", "for", "wave", "low", "high", "period"});
        !st) {
      return st;
    }
    const toml::value* at_value = Reader::Find(t, "at");
    const toml::value* here = at_value != nullptr ? at_value : FirstValue(t);
    if (at_value == nullptr)
      return r.Fail(here, prefix + "at is required (when the change starts, e.g. \"10m\")");
    auto at = r.DurationOf(*at_value, prefix + "at", seconds(0), kMaxDuration, "when the change starts");
    if (!at) return std::unexpected(at.error());

    LoadChange change;
    change.at = *at;
    const bool has_rate = Reader::Find(t, "rate") != nullptr;
    const bool has_ramp = Reader::Find(t, "ramp_to") != nullptr;
    const bool has_wave = Reader::Find(t, "wave") != nullptr;
    if (int{has_rate} + int{has_ramp} + int{has_wave} != 1) {
      return r.Fail(here, prefix.substr(0, prefix.size() - 1) +
                              " needs exactly one of rate (a step or, with `for`, a spike), "
                              "ramp_to (a ramp, with `over`) and wave (with low, high and period)");
    }
    if (!has_wave) {
      for (const char* key : {"low", "high", "period"}) {
        if (Reader::Find(t, key) != nullptr) {
          return r.Fail(Reader::Find(t, key),
                        prefix + key + " belongs to a wave (wave = \"sine\" or \"sawtooth\")");
        }
      }
    }
    if (has_wave) {
      auto wave = r.String(t, "wave", "");
      if (!wave) return std::unexpected(wave.error());
      if (*wave != "sine" && *wave != "sawtooth") {
        return r.Fail(Reader::Find(t, "wave"),
                      prefix + "wave must be \"sine\" or \"sawtooth\", not \"" + *wave + "\"");
      }
      change.kind = *wave == "sine" ? LoadKind::kSine : LoadKind::kSawtooth;
      if (Reader::Find(t, "over") != nullptr) {
        return r.Fail(Reader::Find(t, "over"),
                      prefix + "over belongs to a ramp (ramp_to), not to a wave: use for");
      }
      for (const char* key : {"low", "high", "period"}) {
        if (Reader::Find(t, key) == nullptr) {
          return r.Fail(
              here, prefix + key + " is required with wave (low and high in requests/s, period a duration)");
        }
      }
      auto low = r.Double(t, prefix, "low", 0, 0, kMaxRate, "from 0 to " + Number(kMaxRate),
                          "requests per second");
      if (!low) return std::unexpected(low.error());
      auto high = r.Double(t, prefix, "high", 0, *low, kMaxRate, "from low to " + Number(kMaxRate),
                           "requests per second");
      if (!high) return std::unexpected(high.error());
      auto period = r.Duration(t, prefix, "period", seconds(0), seconds(2), kMaxDuration,
                               "one cycle of the wave");
      if (!period) return std::unexpected(period.error());
      change.low = *low;
      change.rate = *high;
      change.period = *period;
      const seconds to_end = s.duration > change.at ? s.duration - change.at : seconds(1);
      auto lasts = r.Duration(t, prefix, "for", to_end, seconds(1), kMaxDuration, "how long the wave lasts");
      if (!lasts) return std::unexpected(lasts.error());
      change.span = *lasts;
    } else {
      const std::string rate_key = has_rate ? "rate" : "ramp_to";
      auto rate = r.Double(t, prefix, rate_key, 0, 0, kMaxRate, "from 0 to " + Number(kMaxRate),
                           "requests per second");
      if (!rate) return std::unexpected(rate.error());
      change.rate = *rate;
    }
    if (has_ramp) {
      change.kind = LoadKind::kRamp;
      if (Reader::Find(t, "for") != nullptr) {
        return r.Fail(Reader::Find(t, "for"),
                      prefix + "for belongs to a spike (rate), not to a ramp: use over");
      }
      if (Reader::Find(t, "over") == nullptr) {
        return r.Fail(here, prefix + "over is required with ramp_to (how long the ramp takes, e.g. \"10m\")");
      }
      auto over = r.Duration(t, prefix, "over", seconds(0), seconds(1), kMaxDuration,
                             "how long the ramp takes");
      if (!over) return std::unexpected(over.error());
      change.span = *over;
    } else if (has_rate) {
      if (Reader::Find(t, "over") != nullptr) {
        return r.Fail(Reader::Find(t, "over"), prefix + "over belongs to a ramp (ramp_to), not to rate");
      }
      change.kind = Reader::Find(t, "for") != nullptr ? LoadKind::kSpike : LoadKind::kStep;
      if (change.kind == LoadKind::kSpike) {
        auto lasts = r.Duration(t, prefix, "for", seconds(0), seconds(1), kMaxDuration,
                                "how long the spike lasts");
        if (!lasts) return std::unexpected(lasts.error());
        change.span = *lasts;
      }
    }
    if (index == 1 && change.at != seconds(0)) {
      return r.Fail(at_value, prefix + "at must be 0 for the first entry (the demand from the start), not " +
                                  Reader::Shown(*at_value));
    }
    if (index == 1 && change.kind != LoadKind::kStep && change.kind != LoadKind::kSine &&
        change.kind != LoadKind::kSawtooth) {
      return r.Fail(
          here, prefix.substr(0, prefix.size() - 1) +
                    " must be a plain step (rate without for) or a wave: it sets the demand at the start");
    }
    if (change.at <= previous_end && index > 1) {
      return r.Fail(at_value, prefix + "at (" + FormatDuration(change.at) +
                                  ") must come after the previous change has finished (" +
                                  FormatDuration(previous_end) + ")");
    }
    if (change.at + change.span > s.duration || (change.at >= s.duration && index > 1)) {
      return r.Fail(at_value, prefix.substr(0, prefix.size() - 1) + " (" + FormatDuration(change.at) +
                                  (change.span.count() > 0 ? " + " + FormatDuration(change.span) : "") +
                                  ") must finish within the duration (" + FormatDuration(s.duration) + ")");
    }
    previous_end = change.at + change.span;
    s.load.push_back(change);
  }
  return {};
}

}  // namespace

Result<seconds> ParseDuration(std::string_view text) {
  auto invalid = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + std::string(text) +
                         "' is not a duration: write e.g. \"90s\", \"10m\", \"1h30m\" "
                         "or a whole number of seconds");
  };
  if (text.empty()) return invalid();
  std::int64_t total = 0;
  std::size_t i = 0;
  bool any_unit = false;
  std::string units_seen;
  while (i < text.size()) {
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > kMaxDuration.count() * 10) return invalid();
      ++i;
      ++digits;
    }
    if (digits == 0) return invalid();
    if (i == text.size()) {
      if (any_unit) return invalid();  // "1m30": seconds need their unit after another unit
      total += value;
      break;
    }
    const char unit = text[i++];
    const std::int64_t factor = unit == 'h' ? 3600 : unit == 'm' ? 60 : unit == 's' ? 1 : 0;
    // Each unit once, largest first.
    const std::string order = "hms";
    if (factor == 0 || units_seen.find(unit) != std::string::npos ||
        (!units_seen.empty() && order.find(unit) < order.find(units_seen.back()))) {
      return invalid();
    }
    units_seen += unit;
    any_unit = true;
    total += value * factor;
  }
  if (total > kMaxDuration.count() * 10) return invalid();
  return seconds(total);
}

std::string FormatDuration(seconds d) {
  const auto s = d.count();
  if (s == 0) return "0 s";
  std::string out;
  auto add = [&](std::int64_t v, const char* unit) {
    if (v == 0) return;
    out += (out.empty() ? "" : " ") + std::to_string(v) + " " + unit;
  };
  const std::int64_t a = s < 0 ? -s : s;
  if (s < 0) out = "-";
  add(a / 3600, "h");
  add(a % 3600 / 60, "min");
  add(a % 60, "s");
  return out;
}

Result<Scenario> ParseScenario(std::string_view text, const std::string& source) {
  Reader r(source);
  Scenario s;
  s.name = std::filesystem::path(source).stem().string();
  if (Status valid = config::CheckTomlText(text, source); !valid) return std::unexpected(valid.error());
  toml::value root_value;
  try {
    std::istringstream in{std::string(text)};
    root_value = toml::parse(in, source);
  } catch (const std::exception& e) {
    // toml11's own message names the line and shows it.
    return MakeError(ErrorCode::kInvalidArgument, source + ": not valid TOML: " + e.what());
  }
  const toml::table& root = root_value.as_table();
  if (auto st = r.RejectUnknown(root, "",
                                {"name", "description", "duration", "initial_workers", "workers",
                                 "monitoring", "arrivals", "policy", "evaluation", "load"});
      !st) {
    return std::unexpected(st.error());
  }
  auto name = r.String(root, "name", s.name);
  if (!name) return std::unexpected(name.error());
  if (name->empty() || name->find_first_of("/\\ \t\n") != std::string::npos) {
    return r.Fail(
        Reader::Find(root, "name"),
        "name must be a non-empty word without spaces or slashes (it names the output files), not \"" +
            *name + "\"");
  }
  s.name = *name;
  auto description = r.String(root, "description", "");
  if (!description) return std::unexpected(description.error());
  s.description = *description;

  if (Reader::Find(root, "duration") == nullptr) {
    return r.Fail(nullptr, "duration is required (how long the run lasts, e.g. duration = \"90m\")");
  }
  auto duration = r.Duration(root, "", "duration", seconds(0), seconds(60), kMaxDuration,
                             "how long the run lasts");
  if (!duration) return std::unexpected(duration.error());
  s.duration = *duration;
  auto initial = r.Int(root, "", "initial_workers", s.initial_workers, 0, kMaxInitialWorkers,
                       "workers in service at the start");
  if (!initial) return std::unexpected(initial.error());
  s.initial_workers = static_cast<int>(*initial);

  auto workers = r.Table(root, "workers");
  if (!workers) return std::unexpected(workers.error());
  if (auto st = r.RejectUnknown(**workers, "workers.",
                                {"boot_delay", "capacity", "boot_jitter", "boot_failure", "admission_limit"});
      !st) {
    return std::unexpected(st.error());
  }
  auto boot = r.Duration(**workers, "workers.", "boot_delay", s.boot_delay, seconds(0), kMaxDuration,
                         "from launch to in service");
  if (!boot) return std::unexpected(boot.error());
  s.boot_delay = *boot;
  auto capacity = r.Double(**workers, "workers.", "capacity", s.worker_capacity, 1e-6, kMaxRate, "above 0",
                           "requests/s one worker serves at 100% CPU");
  if (!capacity) return std::unexpected(capacity.error());
  s.worker_capacity = *capacity;
  auto jitter = r.Duration(**workers, "workers.", "boot_jitter", s.boot_jitter, seconds(0), kMaxDuration,
                           "boot times spread uniformly by up to this either side of boot_delay");
  if (!jitter) return std::unexpected(jitter.error());
  s.boot_jitter = *jitter;
  auto failure = r.Double(**workers, "workers.", "boot_failure", s.boot_failure, 0, 1, "from 0 to 1",
                          "the share of launches that never come into service");
  if (!failure) return std::unexpected(failure.error());
  s.boot_failure = *failure;
  auto admission = r.Int(**workers, "workers.", "admission_limit", s.admission_limit, 0, 1'000'000,
                         "requests one worker holds before answering 503; 0: no limit");
  if (!admission) return std::unexpected(admission.error());
  s.admission_limit = static_cast<int>(*admission);

  auto monitoring = r.Table(root, "monitoring");
  if (!monitoring) return std::unexpected(monitoring.error());
  if (auto st = r.RejectUnknown(**monitoring, "monitoring.",
                                {"sample_period", "cpu_noise", "seed", "noise_correlation", "delay"});
      !st) {
    return std::unexpected(st.error());
  }
  auto period = r.Duration(**monitoring, "monitoring.", "sample_period", s.sample_period, seconds(1),
                           seconds(3600), "one CPU sample per worker per period");
  if (!period) return std::unexpected(period.error());
  s.sample_period = *period;
  auto noise = r.Double(**monitoring, "monitoring.", "cpu_noise", s.cpu_noise, 0, 100, "from 0 to 100",
                        "standard deviation of each CPU sample, in % points");
  if (!noise) return std::unexpected(noise.error());
  s.cpu_noise = *noise;
  auto seed = r.Int(**monitoring, "monitoring.", "seed", 1, 0, std::numeric_limits<std::int64_t>::max(),
                    "of the noise");
  if (!seed) return std::unexpected(seed.error());
  s.seed = static_cast<std::uint64_t>(*seed);
  auto correlation = r.Duration(**monitoring, "monitoring.", "noise_correlation", s.noise_correlation,
                                seconds(0), kMaxDuration,
                                "the time constant of the noise; 0: independent samples");
  if (!correlation) return std::unexpected(correlation.error());
  s.noise_correlation = *correlation;
  auto delay = r.Duration(**monitoring, "monitoring.", "delay", s.metrics_delay, seconds(0), seconds(3600),
                          "how long after its period a sample becomes visible");
  if (!delay) return std::unexpected(delay.error());
  s.metrics_delay = *delay;

  auto arrivals = r.Table(root, "arrivals");
  if (!arrivals) return std::unexpected(arrivals.error());
  if (auto st = r.RejectUnknown(**arrivals, "arrivals.", {"process", "seed"}); !st)
    return std::unexpected(st.error());
  auto process = r.String(**arrivals, "process", "fluid");
  if (!process) return std::unexpected(process.error());
  if (*process != "fluid" && *process != "poisson") {
    return r.Fail(Reader::Find(**arrivals, "process"),
                  "arrivals.process must be \"fluid\" or \"poisson\", not \"" + *process + "\"");
  }
  s.arrivals = *process == "poisson" ? ArrivalProcess::kPoisson : ArrivalProcess::kFluid;
  auto arrival_seed = r.Int(**arrivals, "arrivals.", "seed", 1, 0, std::numeric_limits<std::int64_t>::max(),
                            "of the arrivals and the boots");
  if (!arrival_seed) return std::unexpected(arrival_seed.error());
  s.arrival_seed = static_cast<std::uint64_t>(*arrival_seed);

  if (Status st = ReadPolicy(r, root, s.policy); !st) return std::unexpected(st.error());

  auto evaluation = r.Table(root, "evaluation");
  if (!evaluation) return std::unexpected(evaluation.error());
  if (auto st = r.RejectUnknown(**evaluation, "evaluation.", {"target_utilisation", "settling"}); !st) {
    return std::unexpected(st.error());
  }
  auto target = r.Double(**evaluation, "evaluation.", "target_utilisation", s.policy.grow_threshold, 1, 100,
                         "from 1 to 100", "% CPU at which workers needed are counted");
  if (!target) return std::unexpected(target.error());
  s.target_utilisation = *target;
  auto settling = r.Duration(**evaluation, "evaluation.", "settling", s.settling, seconds(0), kMaxDuration,
                             "time allowed to settle after a load change");
  if (!settling) return std::unexpected(settling.error());
  s.settling = *settling;

  if (Status st = ReadLoad(r, root, s); !st) return std::unexpected(st.error());
  return s;
}

Result<Scenario> ReadScenarioFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kNotFound, "scenario file not found: " + path.string());
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read scenario file " + path.string());
  }
  return ParseScenario(text.str(), path.string());
}

namespace {

// A wave's rate `since` seconds after it began.
double WaveAt(const LoadChange& c, double since) {
  const double period = static_cast<double>(c.period.count());
  const double phase = std::fmod(since, period) / period;  // 0..1
  const double shape = c.kind == LoadKind::kSine ? (1 - std::cos(2 * std::numbers::pi * phase)) / 2 : phase;
  return c.low + (c.rate - c.low) * shape;
}

}  // namespace

double DemandAt(const Scenario& scenario, double t) {
  double rate = 0;
  for (const LoadChange& c : scenario.load) {
    const double at = static_cast<double>(c.at.count());
    if (t < at) break;
    const double span = static_cast<double>(c.span.count());
    switch (c.kind) {
      case LoadKind::kStep: rate = c.rate; break;
      case LoadKind::kRamp: rate = t >= at + span ? c.rate : rate + (c.rate - rate) * (t - at) / span; break;
      case LoadKind::kSpike:
        if (t < at + span) rate = c.rate;  // afterwards the rate before it stays
        break;
      case LoadKind::kSine:
      case LoadKind::kSawtooth:
        if (t < at + span) rate = WaveAt(c, t - at);
        break;
    }
  }
  return rate;
}

std::vector<LoadSegment> Segments(const Scenario& scenario) {
  // Boundaries and whether the stretch after each is constant.
  struct Mark {
    seconds at;
    bool constant;
    bool after_ramp = false;
  };
  std::vector<Mark> marks;
  for (const LoadChange& c : scenario.load) {
    switch (c.kind) {
      case LoadKind::kStep: marks.push_back({c.at, true}); break;
      case LoadKind::kRamp:
        marks.push_back({c.at, false});
        marks.push_back({c.at + c.span, true, true});
        break;
      case LoadKind::kSpike:
        marks.push_back({c.at, true});
        marks.push_back({c.at + c.span, true});
        break;
      case LoadKind::kSine:
      case LoadKind::kSawtooth:
        marks.push_back({c.at, false});
        if (c.at + c.span < scenario.duration) marks.push_back({c.at + c.span, true});
        break;
    }
  }
  std::vector<LoadSegment> segments;
  for (std::size_t i = 0; i < marks.size(); ++i) {
    const seconds end = i + 1 < marks.size() ? marks[i + 1].at : scenario.duration;
    if (end <= marks[i].at) continue;
    LoadSegment seg;
    seg.begin = marks[i].at;
    seg.end = end;
    seg.constant = marks[i].constant;
    const double b = static_cast<double>(seg.begin.count());
    // After a ramp, the level before the ramp: the change the pool answers is the whole ramp.
    seg.rate_before = segments.empty()      ? 0
                      : marks[i].after_ramp ? segments.back().rate_before
                                            : segments.back().rate;
    seg.rate = seg.constant ? DemandAt(scenario, b) : DemandAt(scenario, static_cast<double>(end.count()));
    seg.steady_from = seg.constant ? seg.begin + scenario.settling : seg.end;
    seg.after_ramp = marks[i].after_ramp;
    segments.push_back(seg);
  }
  return segments;
}

}  // namespace maskfleet::sim
