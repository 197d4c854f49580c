#include "maskfleet/observability/metrics.h"

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <utility>

namespace maskfleet::observability {
namespace {

[[noreturn]] void DieOnBadRegistration(const std::string& name, const char* why) {
  std::fprintf(stderr, "metrics: cannot register \"%s\": %s\n", name.c_str(), why);
  std::abort();
}

template <typename T>
prometheus::Family<T>& Register(prometheus::detail::Builder<T> builder, prometheus::Registry& registry,
                                const std::string& name, const std::string& help) {
  if (!prometheus::CheckMetricName(name)) DieOnBadRegistration(name, "not a valid metric name");
  try {
    return builder.Name(name).Help(help).Register(registry);
  } catch (const std::exception& e) {
    DieOnBadRegistration(name, e.what());  // registered before with another type
  }
}

// One unlabelled gauge or counter whose value is read at collection time.
class CallbackMetric final : public prometheus::Collectable {
 public:
  CallbackMetric(std::string name, std::string help, prometheus::MetricType type,
                 std::function<double()> read)
      : name_(std::move(name)), help_(std::move(help)), type_(type), read_(std::move(read)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family{.name = name_, .help = help_, .type = type_};
    prometheus::ClientMetric metric;
    if (type_ == prometheus::MetricType::Counter) {
      metric.counter.value = read_();
    } else {
      metric.gauge.value = read_();
    }
    family.metric.push_back(std::move(metric));
    return {std::move(family)};
  }

 private:
  const std::string name_;
  const std::string help_;
  const prometheus::MetricType type_;
  const std::function<double()> read_;
};

}  // namespace

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                   0.5,   1,    2.5,   5,    10,  30};
  return kBuckets;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

MetricsRegistry::MetricsRegistry() : registry_(std::make_shared<prometheus::Registry>()) {}

prometheus::Family<prometheus::Counter>& MetricsRegistry::CounterFamily(const std::string& name,
                                                                        const std::string& help) {
  return Register(prometheus::BuildCounter(), *registry_, name, help);
}

prometheus::Family<prometheus::Gauge>& MetricsRegistry::GaugeFamily(const std::string& name,
                                                                    const std::string& help) {
  return Register(prometheus::BuildGauge(), *registry_, name, help);
}

prometheus::Family<prometheus::Histogram>& MetricsRegistry::HistogramFamily(const std::string& name,
                                                                            const std::string& help) {
  return Register(prometheus::BuildHistogram(), *registry_, name, help);
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       std::function<double()> read) {
  if (!prometheus::CheckMetricName(name)) DieOnBadRegistration(name, "not a valid metric name");
  AddCollectable(
      std::make_shared<CallbackMetric>(name, help, prometheus::MetricType::Gauge, std::move(read)));
}

void MetricsRegistry::AddCallbackCounter(const std::string& name, const std::string& help,
                                         std::function<double()> read) {
  if (!prometheus::CheckMetricName(name)) DieOnBadRegistration(name, "not a valid metric name");
  AddCollectable(
      std::make_shared<CallbackMetric>(name, help, prometheus::MetricType::Counter, std::move(read)));
}

void MetricsRegistry::AddCollectable(std::shared_ptr<const prometheus::Collectable> collectable) {
  std::lock_guard<std::mutex> lock(mu_);
  collectables_.push_back(std::move(collectable));
}

std::vector<prometheus::MetricFamily> MetricsRegistry::Collect() const {
  std::vector<std::shared_ptr<const prometheus::Collectable>> sources;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sources = collectables_;
  }
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& source : sources) {
    std::vector<prometheus::MetricFamily> more = source->Collect();
    std::move(more.begin(), more.end(), std::back_inserter(families));
  }
  for (prometheus::MetricFamily& family : families) {
    // Labels within a series are already sorted by name (prometheus::Labels is a
    // std::map); order the series by their label lists.
    std::stable_sort(family.metric.begin(), family.metric.end(),
                     [](const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) {
                       return a.label < b.label;
                     });
  }
  std::stable_sort(
      families.begin(), families.end(),
      [](const prometheus::MetricFamily& a, const prometheus::MetricFamily& b) { return a.name < b.name; });
  return families;
}

std::string MetricsRegistry::Serialize() const {
  std::vector<prometheus::MetricFamily> families = Collect();
  for (prometheus::MetricFamily& family : families) family.help = EscapeHelp(family.help);
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace maskfleet::observability
