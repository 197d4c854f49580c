// The metrics registry behind GET /metrics.
//
// Metrics are prometheus-cpp's (Debian 12 package prometheus-cpp-dev, core
// library only: no HTTP server of its own, the worker serves /metrics through
// cpp-httplib). MetricsRegistry adds three things that prometheus-cpp 1.0.1 lacks:
//   - a stable exposition: families sorted by name, and the series of a family
//     sorted by their labels (prometheus-cpp keeps them in an unordered_map);
//   - HELP text escaped as the 0.0.4 text format requires (backslash and
//     newline; prometheus-cpp writes it raw). Label values are escaped by
//     prometheus-cpp itself (backslash, double quote, newline);
//   - gauges read through a callback at scrape time, and any other
//     prometheus::Collectable (the per-minute request counter).
//
// Hot path: a Counter, Gauge or Histogram found once (family.Add(labels)) is
// updated with atomics; a Histogram takes its own short mutex on Observe().
// Family::Add(labels) takes that family's mutex to find or create the series.
// No lock is held while Serialize() formats text: it first copies every value
// (each family locked briefly, one at a time), then formats the copy.
//
// Thread safety: every method may be called from any thread at any time. The
// families and callbacks registered live as long as the registry.
//
// A name that is not a valid metric name, or a name registered twice with
// different types, is a programming error: the process prints it and aborts
// (these names are constants in the code, checked by the tests).
#ifndef MASKFLEET_OBSERVABILITY_METRICS_H_
#define MASKFLEET_OBSERVABILITY_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace maskfleet::observability {

// The Content-Type of Serialize()'s text.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// Request latency bucket bounds, in seconds: 5 ms up to 30 s (then +Inf).
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

// Escapes HELP text for the 0.0.4 format: "\" becomes "\\", a newline "\n".
std::string EscapeHelp(std::string_view help);

class MetricsRegistry {
 public:
  MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family (or returns the one already registered under `name` with
  // the same type). Series are made with family.Add({{"label", "value"}, ...});
  // for a histogram family, family.Add(labels, LatencyBuckets()). The returned
  // references stay valid as long as the registry. A series, once added, is
  // exposed until the registry goes: keep label values to a small, fixed set
  // (route patterns, not raw paths).
  prometheus::Family<prometheus::Counter>& CounterFamily(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Gauge>& GaugeFamily(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& HistogramFamily(const std::string& name,
                                                             const std::string& help);

  // A gauge without labels whose value is `read()` at each Serialize(), on the
  // scraping thread (for example an executor's queue depth). `read` must be safe
  // to call from any thread, and whatever it refers to must outlive the registry.
  void AddCallbackGauge(const std::string& name, const std::string& help, std::function<double()> read);

  // The same for a counter (a value that only grows, such as a total kept by
  // another object); `name` should end in _total.
  void AddCallbackCounter(const std::string& name, const std::string& help, std::function<double()> read);

  // Adds families produced by `collectable` at each Serialize(); the registry
  // shares its ownership.
  void AddCollectable(std::shared_ptr<const prometheus::Collectable> collectable);

  // Every family, sorted by name, each family's series sorted by labels. A
  // family registered here without any series yet is left out (prometheus-cpp
  // collects nothing for it); a collectable's family is kept even when empty.
  std::vector<prometheus::MetricFamily> Collect() const;

  // The text exposition format 0.0.4 of Collect(), HELP escaped.
  std::string Serialize() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectables_;  // guarded by mu_
};

}  // namespace maskfleet::observability

#endif  // MASKFLEET_OBSERVABILITY_METRICS_H_
