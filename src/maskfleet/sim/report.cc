#include "maskfleet/sim/report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace maskfleet::sim {
namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Minutes(std::chrono::seconds s) {
  const double m = static_cast<double>(s.count()) / 60.0;
  return (s.count() % 60 == 0 ? Fixed(m, 0) : Fixed(m, 1)) + " min";
}

std::string StepLabel(const LoadSegment& seg) {
  if (seg.after_ramp) {
    return "at " + Minutes(seg.begin) + " (end of ramp " + Rate(seg.rate_before) + " -> " + Rate(seg.rate) +
           " req/s)";
  }
  return "at " + Minutes(seg.begin) + " (" + Rate(seg.rate_before) + " -> " + Rate(seg.rate) + " req/s)";
}

struct Row {
  std::string label;
  std::vector<std::string> cells;
};

std::string Render(const Scenario& scenario, const std::vector<ControllerFigures>& runs,
                   const std::vector<Row>& rows, TableFormat format);

}  // namespace

std::string TraceCsv(const Trace& trace) {
  std::ostringstream out;
  out << "minute,demand,workers_in_service,workers_starting,average_cpu,action,target_size,reason\n";
  for (const MinuteRow& row : trace.minutes) {
    out << row.minute << ',' << Fixed(row.demand, 3) << ',' << row.in_service << ',' << row.starting << ',';
    if (row.average_cpu) out << Fixed(*row.average_cpu, 2);
    out << ',';
    if (row.check) {
      out << scaler::ActionName(row.check->decision.action) << ',' << row.check->decision.target_size << ','
          << CsvField(row.check->decision.reason);
    } else {
      out << ",,";
    }
    out << '\n';
  }
  return out.str();
}

std::string ScenarioSummary(const Scenario& s) {
  std::string out = s.name;
  if (!s.description.empty()) out += ": " + s.description;
  out += " (" + FormatDuration(s.duration) + "; boot " + FormatDuration(s.boot_delay) + "; " +
         Rate(s.worker_capacity) + " req/s per worker at 100% CPU; noise " + Rate(s.cpu_noise) +
         " points; workers needed at " + Rate(s.target_utilisation) + "% CPU; settling " +
         FormatDuration(s.settling) + ")";
  return out;
}

std::string FiguresTable(const Scenario& scenario, const std::vector<ControllerFigures>& runs,
                         TableFormat format) {
  std::vector<Row> rows;
  auto add = [&](std::string label, auto cell) {
    Row row{std::move(label), {}};
    for (const auto& run : runs) row.cells.push_back(cell(run.figures));
    rows.push_back(std::move(row));
  };
  auto percent = [](double v) { return Fixed(v, 1) + "%"; };
  add("under-provisioning accuracy", [&](const ElasticityFigures& f) { return percent(f.under_accuracy); });
  add("under-provisioning timeshare", [&](const ElasticityFigures& f) { return percent(f.under_timeshare); });
  add("over-provisioning accuracy", [&](const ElasticityFigures& f) { return percent(f.over_accuracy); });
  add("over-provisioning timeshare", [&](const ElasticityFigures& f) { return percent(f.over_timeshare); });
  add("requests unserved", [&](const ElasticityFigures& f) { return Fixed(f.unserved_percent, 2) + "%"; });
  if (std::ranges::any_of(
          runs, [](const ControllerFigures& r) { return r.figures.p99_latency_seconds.has_value(); })) {
    add("p99 latency", [&](const ElasticityFigures& f) {
      return f.p99_latency_seconds ? Fixed(*f.p99_latency_seconds, 2) + " s" : std::string("-");
    });
  }
  add("worker-minutes", [&](const ElasticityFigures& f) { return Fixed(f.worker_minutes, 0); });
  add("resizes", [&](const ElasticityFigures& f) { return std::to_string(f.resizes); });
  add("resizes while workers boot",
      [&](const ElasticityFigures& f) { return std::to_string(f.resizes_while_booting); });
  add("resizes in constant load (must be 0)",
      [&](const ElasticityFigures& f) { return std::to_string(f.resizes_in_constant_load); });
  add("direction changes", [&](const ElasticityFigures& f) { return std::to_string(f.direction_changes); });
  add("direction changes in constant load",
      [&](const ElasticityFigures& f) { return std::to_string(f.direction_changes_in_constant_load); });
  const std::size_t steps = runs.empty() ? 0 : runs.front().figures.steps.size();
  for (std::size_t i = 0; i < steps; ++i) {
    const std::string label = StepLabel(runs.front().figures.steps[i].segment);
    add("settling time " + label, [&](const ElasticityFigures& f) {
      const StepFigures& st = f.steps[i];
      if (!st.judged) return "- (" + Minutes(st.segment.end - st.segment.begin) + " of load)";
      return Minutes(st.settling_time) + (st.settled ? "" : " (not settled)");
    });
    add("overshoot " + label, [&](const ElasticityFigures& f) {
      const int o = f.steps[i].overshoot;
      return o == 0 ? std::string("0") : "+" + std::to_string(o);
    });
  }

  return Render(scenario, runs, rows, format);
}

std::string SeedsTable(const Scenario& scenario, const std::vector<ControllerSeeds>& runs,
                       TableFormat format) {
  std::vector<ControllerFigures> heads;
  for (const auto& run : runs) heads.push_back({run.controller, {}});
  std::vector<Row> rows;
  auto add = [&](std::string label, auto cell) {
    Row row{std::move(label), {}};
    for (const auto& run : runs) row.cells.push_back(cell(run.seeds));
    rows.push_back(std::move(row));
  };
  auto mean = [](const std::vector<ElasticityFigures>& all, auto field) {
    double sum = 0;
    for (const auto& f : all) sum += static_cast<double>(field(f));
    return all.empty() ? 0.0 : sum / static_cast<double>(all.size());
  };
  using Figures = std::vector<ElasticityFigures>;
  add("resizes", [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.resizes; }), 1); });
  add("direction changes",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.direction_changes; }), 1); });
  add("direction changes in constant load (sum)", [&](const Figures& a) {
    int sum = 0;
    for (const auto& f : a) sum += f.direction_changes_in_constant_load;
    return std::to_string(sum);
  });
  add("worker-minutes",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.worker_minutes; }), 0); });
  add("under-provisioning accuracy",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.under_accuracy; }), 1) + "%"; });
  add("under-provisioning timeshare",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.under_timeshare; }), 1) + "%"; });
  add("over-provisioning accuracy",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.over_accuracy; }), 1) + "%"; });
  add("over-provisioning timeshare",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.over_timeshare; }), 1) + "%"; });
  add("requests unserved",
      [&](const Figures& a) { return Fixed(mean(a, [](auto& f) { return f.unserved_percent; }), 2) + "%"; });
  add("p99 latency", [&](const Figures& a) {
    if (a.empty() || !a.front().p99_latency_seconds) return std::string("-");
    return Fixed(mean(a, [](auto& f) { return f.p99_latency_seconds.value_or(0); }), 2) + " s";
  });
  add("longest settling time", [&](const Figures& a) {
    if (a.empty() || !a.front().LongestSettling()) return std::string("-");
    return Fixed(mean(a,
                      [](auto& f) { return f.LongestSettling().value_or(std::chrono::seconds(0)).count(); }) /
                     60,
                 1) +
           " min";
  });
  return Render(scenario, heads, rows, format);
}

namespace {

std::string Render(const Scenario& scenario, const std::vector<ControllerFigures>& runs,
                   const std::vector<Row>& rows, TableFormat format) {
  std::ostringstream out;
  if (format == TableFormat::kMarkdown) {
    out << "| figure |";
    for (const auto& run : runs) out << ' ' << run.controller << " |";
    out << "\n| --- |";
    for (std::size_t i = 0; i < runs.size(); ++i) out << " ---: |";
    out << '\n';
    for (const Row& row : rows) {
      out << "| " << row.label << " |";
      for (const auto& cell : row.cells) out << ' ' << cell << " |";
      out << '\n';
    }
    return out.str();
  }
  out << ScenarioSummary(scenario) << '\n';
  std::size_t label_width = 6;
  for (const Row& row : rows) label_width = std::max(label_width, row.label.size());
  std::vector<std::size_t> widths;
  for (std::size_t c = 0; c < runs.size(); ++c) {
    std::size_t w = runs[c].controller.size();
    for (const Row& row : rows) w = std::max(w, row.cells[c].size());
    widths.push_back(w);
  }
  auto pad_left = [](const std::string& s, std::size_t w) {
    return std::string(w - std::min(w, s.size()), ' ') + s;
  };
  auto pad_right = [](const std::string& s, std::size_t w) {
    return s + std::string(w - std::min(w, s.size()), ' ');
  };
  out << pad_right("figure", label_width);
  for (std::size_t c = 0; c < runs.size(); ++c) out << "  " << pad_left(runs[c].controller, widths[c]);
  out << '\n';
  for (const Row& row : rows) {
    out << pad_right(row.label, label_width);
    for (std::size_t c = 0; c < runs.size(); ++c) out << "  " << pad_left(row.cells[c], widths[c]);
    out << '\n';
  }
  return out.str();
}

}  // namespace

}  // namespace maskfleet::sim
