#include "maskfleet/loadgen/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace maskfleet::loadgen {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
  const std::size_t index = rank < 1 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary SummarizeLatencies(std::vector<double> latencies_ms) {
  std::sort(latencies_ms.begin(), latencies_ms.end());
  LatencySummary summary;
  summary.count = latencies_ms.size();
  if (latencies_ms.empty()) return summary;
  summary.p50_ms = Percentile(latencies_ms, 50);
  summary.p90_ms = Percentile(latencies_ms, 90);
  summary.p99_ms = Percentile(latencies_ms, 99);
  summary.max_ms = latencies_ms.back();
  return summary;
}

void RunStats::Add(const RequestRecord& record) {
  std::lock_guard lock(mutex_);
  ++counts_.scheduled;
  switch (record.outcome) {
    case Outcome::kDropped: ++counts_.dropped; return;
    case Outcome::kTransportError:
      ++counts_.sent;
      ++counts_.failed;
      ++counts_.failed_by_error[record.error];
      return;
    case Outcome::kAnswered:
      ++counts_.sent;
      latencies_ms_.push_back(record.latency_ms);
      if (!record.worker.empty()) ++counts_.answers_by_worker[record.worker];
      if (record.http_status >= 200 && record.http_status < 300) {
        ++counts_.succeeded;
      } else {
        ++counts_.failed;
        ++counts_.failed_by_status[record.http_status];
      }
      return;
  }
}

RunSummary RunStats::Summarize(double elapsed_s) const {
  std::vector<double> latencies;
  RunSummary summary;
  {
    std::lock_guard lock(mutex_);
    summary = counts_;
    latencies = latencies_ms_;
  }
  summary.elapsed_s = elapsed_s;
  if (elapsed_s > 0) {
    summary.sent_per_s = static_cast<double>(summary.sent) / elapsed_s;
    summary.succeeded_per_s = static_cast<double>(summary.succeeded) / elapsed_s;
  }
  summary.latency = SummarizeLatencies(std::move(latencies));
  return summary;
}

namespace {

std::string Format(const char* format, auto... args) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}

unsigned long long U(std::uint64_t n) { return static_cast<unsigned long long>(n); }

}  // namespace

std::string FormatSummaryText(const RunDescription& description, const RunSummary& s) {
  std::string text = "maskfleet loadgen: " + description.url + ", " + description.mode + "\n";
  text += Format("sent        %llu", U(s.sent));
  if (s.dropped > 0)
    text += Format(" (of %llu scheduled; %llu dropped: client saturated)", U(s.scheduled), U(s.dropped));
  text += "\n";
  text += Format("succeeded   %llu\n", U(s.succeeded));
  text += Format("failed      %llu\n", U(s.failed));
  for (const auto& [status, n] : s.failed_by_status) text += Format("  HTTP %d    %llu\n", status, U(n));
  for (const auto& [error, n] : s.failed_by_error) text += Format("  error %s: %llu\n", error.c_str(), U(n));
  text += Format("elapsed     %.2f s\n", s.elapsed_s);
  text += Format("rate        %.2f sent/s, %.2f succeeded/s\n", s.sent_per_s, s.succeeded_per_s);
  if (s.latency.count > 0) {
    text += Format("latency ms  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (%llu answers)\n", s.latency.p50_ms,
                   s.latency.p90_ms, s.latency.p99_ms, s.latency.max_ms, U(s.latency.count));
  } else {
    text += "latency ms  no answers\n";
  }
  if (!s.answers_by_worker.empty()) {
    text += "workers    ";
    for (const auto& [worker, n] : s.answers_by_worker) text += Format(" %s: %llu", worker.c_str(), U(n));
    text += "\n";
  }
  return text;
}

nlohmann::json SummaryToJson(const RunDescription& description, const RunSummary& s) {
  nlohmann::json by_status = nlohmann::json::object();
  for (const auto& [status, n] : s.failed_by_status) by_status[std::to_string(status)] = n;
  nlohmann::json by_error = nlohmann::json::object();
  for (const auto& [error, n] : s.failed_by_error) by_error[error] = n;
  nlohmann::json by_worker = nlohmann::json::object();
  for (const auto& [worker, n] : s.answers_by_worker) by_worker[worker] = n;
  return {
      {"url", description.url},
      {"mode", description.mode},
      {"scheduled", s.scheduled},
      {"sent", s.sent},
      {"dropped", s.dropped},
      {"succeeded", s.succeeded},
      {"failed", s.failed},
      {"failed_by_status", by_status},
      {"failed_by_error", by_error},
      {"elapsed_s", s.elapsed_s},
      {"sent_per_s", s.sent_per_s},
      {"succeeded_per_s", s.succeeded_per_s},
      {"latency_ms",
       {{"count", s.latency.count},
        {"p50", s.latency.p50_ms},
        {"p90", s.latency.p90_ms},
        {"p99", s.latency.p99_ms},
        {"max", s.latency.max_ms}}},
      {"answers_by_worker", by_worker},
  };
}

}  // namespace maskfleet::loadgen
