#include "maskfleet/metrics/local/exposed_request_counts.h"

#include <algorithm>

#include "maskfleet/metrics/local/request_rate_scraper.h"

namespace maskfleet::metrics::local {

ExposedRequestCounts::ExposedRequestCounts(std::size_t retained_minutes)
    : retained_minutes_(std::max<std::size_t>(retained_minutes, 1)) {}

Status ExposedRequestCounts::Publish(std::span<const RequestMinute> minutes) {
  if (Status st = ValidateRequestMinutes(minutes); !st) return st;
  std::lock_guard lock(mu_);
  for (const RequestMinute& m : minutes) minutes_[m.minute] = m.count;
  while (minutes_.size() > retained_minutes_) minutes_.erase(minutes_.begin());
  return {};
}

std::vector<RequestMinute> ExposedRequestCounts::Minutes() const {
  std::lock_guard lock(mu_);
  std::vector<RequestMinute> out;
  for (const auto& [minute, count] : minutes_) out.push_back({minute, count});
  return out;
}

std::string ExposedRequestCounts::Exposition() const {
  std::string text = "# TYPE " + std::string(kRequestMinuteFamily) + " counter\n";
  for (const RequestMinute& m : Minutes()) {
    text += std::string(kRequestMinuteFamily) + "{minute=\"" +
            std::to_string(m.minute.time_since_epoch().count()) + "\"} " + std::to_string(m.count) + "\n";
  }
  return text;
}

}  // namespace maskfleet::metrics::local
