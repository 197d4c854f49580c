#include "maskfleet/sim/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

#include "maskfleet/sim/metrics.h"

namespace maskfleet::sim {
namespace {

constexpr double kWidth = 860;
constexpr double kHeight = 400;
constexpr double kLeft = 64;
constexpr double kRight = 64;
constexpr double kTop = 64;
constexpr double kBottom = 48;
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kPlotHeight = kHeight - kTop - kBottom;
// The CPU panel, below the plot when asked for: a gap for its legend, then the panel.
constexpr double kCpuGap = 40;
constexpr double kCpuHeight = 130;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

std::string Label(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Scale {
  double seconds = 1;  // the run's length
  double workers = 1;  // the right axis' top
  double x(double t) const { return kLeft + kPlotWidth * t / seconds; }
  double y(double w) const { return kTop + kPlotHeight * (1 - w / workers); }
};

// A polyline of the points (t, value) of a per-second series, kept only where the
// slope changes (a ramp is two points, a step four).
template <typename T>
std::string SlopePoints(const std::vector<T>& series, double per_worker, const Scale& s) {
  std::ostringstream out;
  const std::size_t n = series.size();
  for (std::size_t i = 0; i < n; ++i) {
    const bool keep = i == 0 || i + 1 == n ||
                      std::abs((static_cast<double>(series[i + 1]) - series[i]) -
                               (static_cast<double>(series[i]) - series[i - 1])) > 1e-9;
    if (!keep) continue;
    out << Num(s.x(static_cast<double>(i))) << ',' << Num(s.y(static_cast<double>(series[i]) / per_worker))
        << ' ';
  }
  out << Num(s.x(static_cast<double>(n))) << ',' << Num(s.y(static_cast<double>(series.back()) / per_worker));
  return out.str();
}

// A staircase of an integer series: horizontal runs joined by vertical steps.
std::string StepPoints(const std::vector<int>& series, const Scale& s) {
  std::ostringstream out;
  const std::size_t n = series.size();
  out << Num(s.x(0)) << ',' << Num(s.y(series[0]));
  for (std::size_t i = 1; i < n; ++i) {
    if (series[i] == series[i - 1]) continue;
    out << ' ' << Num(s.x(static_cast<double>(i))) << ',' << Num(s.y(series[i - 1])) << ' '
        << Num(s.x(static_cast<double>(i))) << ',' << Num(s.y(series[i]));
  }
  out << ' ' << Num(s.x(static_cast<double>(n))) << ',' << Num(s.y(series.back()));
  return out.str();
}

// The CPU panel: the average CPU of each check held until the next check, the
// thresholds, and a triangle at each resize.
void CpuPanel(std::ostringstream& svg, const Trace& trace, const Scenario& scenario, const Scale& s,
              double top) {
  const auto y = [&](double percent) {
    return top + kCpuHeight * (1 - std::clamp(percent, 0.0, 100.0) / 100);
  };
  for (int p = 0; p <= 100; p += 25) {
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << Num(y(p)) << "\" y2=\""
        << Num(y(p)) << "\" stroke=\"#e4e4e4\"/>\n";
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << Num(y(p) + 4) << "\" text-anchor=\"end\">" << p
        << "</text>\n";
  }
  const struct {
    double percent;
    const char* label;
    const char* colour;
  } thresholds[] = {{scenario.policy.grow_threshold, "grow", "#c0392b"},
                    {scenario.policy.shrink_threshold, "shrink", "#2e8b57"}};
  for (const auto& th : thresholds) {
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << Num(y(th.percent))
        << "\" y2=\"" << Num(y(th.percent)) << "\" stroke=\"" << th.colour
        << "\" stroke-width=\"1\" stroke-dasharray=\"5 4\"/>\n";
    svg << "<text x=\"" << kWidth - kRight - 4 << "\" y=\"" << Num(y(th.percent) - 4)
        << "\" text-anchor=\"end\" fill=\"" << th.colour << "\">" << th.label << ' ' << Label(th.percent)
        << "%</text>\n";
  }
  svg << "<rect x=\"" << kLeft << "\" y=\"" << top << "\" width=\"" << kPlotWidth << "\" height=\""
      << kCpuHeight << "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg << "<text transform=\"translate(16," << top + kCpuHeight / 2
      << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#7b3fa0\">CPU (%)</text>\n";

  // One polyline per run of checks that computed an average, as a staircase.
  std::ostringstream run;
  const auto flush = [&] {
    if (!run.str().empty()) {
      svg << "<polyline fill=\"none\" stroke=\"#7b3fa0\" stroke-width=\"1.5\" points=\"" << run.str()
          << "\"/>\n";
    }
    run.str("");
  };
  const std::size_t n = trace.checks.size();
  for (std::size_t i = 0; i < n; ++i) {
    const CheckRecord& c = trace.checks[i];
    if (!c.decision.average_cpu) {
      flush();
      continue;
    }
    const double from = static_cast<double>(c.at.count());
    const double to = i + 1 < n ? static_cast<double>(trace.checks[i + 1].at.count()) : s.seconds;
    const double v = y(*c.decision.average_cpu);
    run << (run.str().empty() ? "" : " ") << Num(s.x(from)) << ',' << Num(v) << ' ' << Num(s.x(to)) << ','
        << Num(v);
  }
  flush();
  for (const CheckRecord& c : trace.checks) {
    if (!c.Resized()) continue;
    const double x = s.x(static_cast<double>(c.at.count()));
    const double v = y(c.decision.average_cpu.value_or(50));
    const bool grow = c.decision.target_size > c.decision.current_size;
    const double d = grow ? -1 : 1;  // the apex points the way the pool went
    svg << "<polygon fill=\"" << (grow ? "#c0392b" : "#2e8b57") << "\" points=\"" << Num(x) << ','
        << Num(v + 7 * d) << ' ' << Num(x - 5) << ',' << Num(v - 2 * d) << ' ' << Num(x + 5) << ','
        << Num(v - 2 * d) << "\"><title>" << (grow ? "grow " : "shrink ") << c.decision.current_size
        << " -&gt; " << c.decision.target_size << "</title></polygon>\n";
  }

  // Legend, in the gap above the panel.
  const double ly = top - 14;
  svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + 22 << "\" y1=\"" << Num(ly) << "\" y2=\"" << Num(ly)
      << "\" stroke=\"#7b3fa0\" stroke-width=\"2\"/>\n";
  svg << "<text x=\"" << kLeft + 27 << "\" y=\"" << Num(ly + 4)
      << "\">average CPU seen by each check (window of the policy)</text>\n";
  svg << "<text x=\"" << kLeft + 430 << "\" y=\"" << Num(ly + 4)
      << "\"><tspan fill=\"#c0392b\">&#9650; grow</tspan>"
      << "  <tspan fill=\"#2e8b57\">&#9660; shrink</tspan></text>\n";
}

}  // namespace

std::string TraceSvg(const Trace& trace, const Scenario& scenario, const ChartOptions& options) {
  const std::size_t n = trace.demand.size();
  const double per_worker = scenario.worker_capacity * scenario.target_utilisation / 100.0;
  std::vector<int> pool(n);
  std::vector<int> needed(n);
  int top = std::max(2, scenario.policy.max_workers);
  for (std::size_t t = 0; t < n; ++t) {
    pool[t] = trace.in_service[t] + trace.starting[t];
    needed[t] = WorkersNeeded(trace.demand[t], scenario.worker_capacity, scenario.target_utilisation);
    top = std::max({top, pool[t], needed[t], static_cast<int>(std::ceil(trace.demand[t] / per_worker))});
  }
  ++top;  // headroom: a pool at its maximum is not drawn on the frame
  Scale s{.seconds = static_cast<double>(std::max<std::size_t>(n, 1)), .workers = static_cast<double>(top)};
  const double cpu_top = kTop + kPlotHeight + kCpuGap;
  const double height = options.cpu_panel ? kHeight + kCpuGap + kCpuHeight : kHeight;
  const double axis = options.cpu_panel ? cpu_top + kCpuHeight : kTop + kPlotHeight;  // where the x axis is

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << kWidth << ' ' << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << kLeft << "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">"
      << Escape(trace.scenario + ": " + trace.controller) << "</text>\n";
  if (!scenario.description.empty()) {
    svg << "<text x=\"" << kWidth - kRight << "\" y=\"20\" text-anchor=\"end\" fill=\"#555\">"
        << Escape(scenario.description) << "</text>\n";
  }

  // Grid and the two y axes: one line per worker (every other one past 10).
  const int every = top > 10 ? 2 : 1;
  for (int w = 0; w <= top; w += every) {
    const double y = s.y(w);
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << Num(y) << "\" y2=\""
        << Num(y) << "\" stroke=\"#e4e4e4\"/>\n";
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << Num(y + 4) << "\" text-anchor=\"end\">"
        << Label(std::round(w * per_worker * 100) / 100) << "</text>\n";
    svg << "<text x=\"" << kWidth - kRight + 6 << "\" y=\"" << Num(y + 4) << "\">" << w << "</text>\n";
  }
  // x ticks: a round number of minutes, at most about 12 of them.
  const double minutes = s.seconds / 60;
  double step = 5;
  for (double candidate : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 240.0, 480.0, 1440.0}) {
    step = candidate;
    if (minutes / candidate <= 12) break;
  }
  for (double m = 0; m <= minutes + 1e-9; m += step) {
    const double x = s.x(m * 60);
    svg << "<line x1=\"" << Num(x) << "\" x2=\"" << Num(x) << "\" y1=\"" << axis << "\" y2=\"" << axis + 5
        << "\" stroke=\"#333\"/>\n";
    svg << "<text x=\"" << Num(x) << "\" y=\"" << axis + 18 << "\" text-anchor=\"middle\">" << Label(m)
        << "</text>\n";
  }
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kPlotWidth << "\" height=\""
      << kPlotHeight << "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << kLeft + kPlotWidth / 2 << "\" y=\"" << height - 8
      << "\" text-anchor=\"middle\">time (minutes)</text>\n";
  svg << "<text transform=\"translate(16," << kTop + kPlotHeight / 2
      << ") rotate(-90)\" text-anchor=\"middle\" fill=\"#1f5fbf\">load (requests/s)</text>\n";
  svg << "<text transform=\"translate(" << kWidth - 14 << "," << kTop + kPlotHeight / 2
      << ") rotate(90)\" text-anchor=\"middle\" fill=\"#c15c00\">workers</text>\n";

  if (n > 0) {
    svg << "<polyline fill=\"none\" stroke=\"#999\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\" points=\""
        << StepPoints(needed, s) << "\"/>\n";
    svg << "<polyline fill=\"none\" stroke=\"#f0a050\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" "
           "points=\""
        << StepPoints(pool, s) << "\"/>\n";
    svg << "<polyline fill=\"none\" stroke=\"#c15c00\" stroke-width=\"2\" points=\""
        << StepPoints(trace.in_service, s) << "\"/>\n";
    svg << "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"1.5\" points=\""
        << SlopePoints(trace.demand, per_worker, s) << "\"/>\n";
  }

  if (options.cpu_panel) CpuPanel(svg, trace, scenario, s, cpu_top);

  // Legend, above the plot.
  struct Entry {
    const char* label;
    const char* colour;
    const char* dash;
  };
  const std::string needed_label = "workers needed at " + Label(scenario.target_utilisation) + "% CPU";
  const Entry entries[] = {{"demand (left axis)", "#1f5fbf", ""},
                           {"workers in service", "#c15c00", ""},
                           {"in service + starting", "#f0a050", "6 4"},
                           {needed_label.c_str(), "#999", "2 3"}};
  double x = kLeft;
  for (const Entry& e : entries) {
    svg << "<line x1=\"" << Num(x) << "\" x2=\"" << Num(x + 22) << "\" y1=\"42\" y2=\"42\" stroke=\""
        << e.colour << "\" stroke-width=\"2\""
        << (*e.dash ? std::string(" stroke-dasharray=\"") + e.dash + "\"" : "") << "/>\n";
    svg << "<text x=\"" << Num(x + 27) << "\" y=\"46\">" << Escape(e.label) << "</text>\n";
    x += 27 + 7.0 * static_cast<double>(std::string(e.label).size()) + 18;
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace maskfleet::sim
