// Requests per wall-clock minute, for the manager's request-rate charts.
//
// RequestRateCounter counts each Record() into the wall-clock minute of its
// Clock (minute starts are multiples of 60 s since the Unix epoch) and keeps the
// counts of the last `retained_minutes` complete minutes. It is a
// prometheus::Collectable that exposes
//   maskfleet_requests_per_minute                    (gauge: the last complete minute)
//   maskfleet_requests_minute_total{minute="<epoch seconds of the minute's start>"}
//                                                    (one series per retained minute)
// so that a manager that missed some scrapes can still fill its 30-minute chart.
// The minute still running is never exposed: its count is not final.
//
// Only minutes from the counter's construction onwards are reported (the first
// one may be partial); before that the worker was not counting, which is not the
// same as counting zero. A minute without requests is reported as 0.
//
// Thread safety: all methods may be called from any thread. Record() is one
// atomic compare-and-swap except once per minute, when the thread that first sees
// the new minute takes a mutex to close the old one. A request whose clock reading
// falls in a minute that another thread has just closed is counted in the open
// minute (a race of microseconds at the boundary).
#ifndef MASKFLEET_OBSERVABILITY_REQUEST_RATE_H_
#define MASKFLEET_OBSERVABILITY_REQUEST_RATE_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "maskfleet/common/clock.h"

namespace maskfleet::observability {

struct RequestRateOptions {
  // Complete minutes kept and exposed; at least 1. Default 30, the manager's
  // chart window.
  int retained_minutes = 30;
};

struct MinuteCount {
  std::chrono::sys_seconds minute_start;
  std::uint64_t count = 0;

  bool operator==(const MinuteCount&) const = default;
};

class RequestRateCounter final : public prometheus::Collectable {
 public:
  // `clock` must outlive the counter. Counting starts in the current minute.
  explicit RequestRateCounter(const Clock& clock, RequestRateOptions options = {});

  // Counts one request now. Never fails.
  void Record();

  // The retained complete minutes, oldest first, one entry per minute (0 when
  // nothing was recorded in it), none before the counter started. Empty during
  // the counter's first minute.
  std::vector<MinuteCount> CompletedMinutes() const;

  // The most recent complete minute, if the counter has lived through one.
  std::optional<MinuteCount> LastCompletedMinute() const;

  // The two families described above, the series oldest minute first.
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  // The open minute and its count share one 64-bit word, so that a count can
  // never be added to a minute after it was closed: the high 24 bits hold the
  // minute relative to start_minute_ (enough for 31 years), the low 40 bits the
  // count (a trillion requests a minute).
  static constexpr int kCountBits = 40;
  static constexpr std::uint64_t kCountMask = (std::uint64_t{1} << kCountBits) - 1;

  std::int64_t MinuteNow() const;  // minutes since the epoch
  std::uint64_t Pack(std::int64_t minute, std::uint64_t count) const;
  std::int64_t MinuteOf(std::uint64_t word) const;
  // Closes the open minute if `now_minute` is later; requires mu_.
  void CloseOpenMinuteLocked(std::int64_t now_minute) const;

  const Clock& clock_;
  const int retained_minutes_;
  const std::int64_t start_minute_;

  mutable std::atomic<std::uint64_t> open_;  // the open minute and its count, see above

  mutable std::mutex mu_;                   // serialises the closing of minutes
  mutable std::deque<MinuteCount> closed_;  // guarded by mu_; ascending, only minutes seen
};

}  // namespace maskfleet::observability

#endif  // MASKFLEET_OBSERVABILITY_REQUEST_RATE_H_
