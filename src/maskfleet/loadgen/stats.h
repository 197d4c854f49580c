// What happened in a load-generator run: one RequestRecord per scheduled request,
// folded into a RunSummary (counts, rates, latency percentiles) that prints as
// text for people or as JSON for scripts.
//
// Percentiles use the nearest-rank method: the p-th percentile of n sorted values
// is the value at rank ceil(p/100 * n) (1-based), so it is always one of the
// measured latencies, p100 is the maximum, and with 10 values p90 is the 9th.
// Latencies are those of requests that got an HTTP answer, whatever its status;
// transport errors and dropped requests have none.
//
// RunStats is safe to use from many threads at once (one mutex); the free
// functions are pure.
#ifndef MASKFLEET_LOADGEN_STATS_H_
#define MASKFLEET_LOADGEN_STATS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace maskfleet::loadgen {

enum class Outcome {
  kAnswered,        // an HTTP answer came back (any status)
  kTransportError,  // no answer: connection refused, reset, timeout, canceled
  kDropped,         // never sent: --max-in-flight requests were already in flight
};

struct RequestRecord {
  std::uint64_t seq = 0;  // 0-based order of scheduling
  double start_s = 0;     // offset from the start of the run
  Outcome outcome = Outcome::kAnswered;
  double latency_ms = 0;         // kAnswered only: request sent to answer read
  int http_status = 0;           // kAnswered only
  std::string error;             // kTransportError: a short name ("connection", "read", "timeout")
  std::string worker;            // the answer's X-Maskfleet-Worker header, if any
  std::optional<int> num_faces;  // from a successful answer's payload
  std::string file;              // the photo's file name
};

struct LatencySummary {
  std::uint64_t count = 0;                                // answered requests measured
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;  // 0 when count is 0
};

struct RunSummary {
  std::uint64_t scheduled = 0;  // sent + dropped
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;                             // "client saturated"
  std::uint64_t succeeded = 0;                           // HTTP 2xx
  std::uint64_t failed = 0;                              // sent but not succeeded
  std::map<int, std::uint64_t> failed_by_status;         // non-2xx answers
  std::map<std::string, std::uint64_t> failed_by_error;  // transport errors by name
  double elapsed_s = 0;                                  // run start to the last answer (or the stop)
  double sent_per_s = 0;                                 // sent / elapsed_s
  double succeeded_per_s = 0;                            // succeeded / elapsed_s
  LatencySummary latency;
  std::map<std::string, std::uint64_t> answers_by_worker;  // answered requests per worker name
};

// Nearest-rank percentile (see above) of values sorted ascending; 0 for none.
// `p` in (0, 100].
double Percentile(const std::vector<double>& sorted, double p);

// Summarises latencies (in any order).
LatencySummary SummarizeLatencies(std::vector<double> latencies_ms);

class RunStats {
 public:
  void Add(const RequestRecord& record);
  // The summary so far, with rates over `elapsed_s`.
  RunSummary Summarize(double elapsed_s) const;

 private:
  mutable std::mutex mutex_;
  RunSummary counts_;                 // guarded by mutex_ (latency and rates unused)
  std::vector<double> latencies_ms_;  // guarded by mutex_
};

// Describes how the run was driven, for the summary's first line and JSON.
struct RunDescription {
  std::string url;
  std::string mode;  // "open loop at 5/s", "profile (3 steps, 70 s)", "closed loop, 8 workers"
};

// Lines for people, ending with a newline.
std::string FormatSummaryText(const RunDescription& description, const RunSummary& summary);
// The same facts as JSON: keys scheduled, sent, dropped, succeeded, failed,
// failed_by_status {"401": n}, failed_by_error {"connection": n}, elapsed_s,
// sent_per_s, succeeded_per_s, latency_ms {count, p50, p90, p99, max},
// answers_by_worker, url, mode.
nlohmann::json SummaryToJson(const RunDescription& description, const RunSummary& summary);

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_STATS_H_
