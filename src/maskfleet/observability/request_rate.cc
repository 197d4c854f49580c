#include "maskfleet/observability/request_rate.h"

#include <algorithm>
#include <string>
#include <utility>

namespace maskfleet::observability {
namespace {

// Floor division, so that times before the epoch still fall in the right minute.
std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t MinuteOfTime(Clock::TimePoint t) {
  const std::int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return FloorDiv(seconds, 60);
}

std::chrono::sys_seconds MinuteStart(std::int64_t minute) {
  return std::chrono::sys_seconds(std::chrono::seconds(minute * 60));
}

}  // namespace

RequestRateCounter::RequestRateCounter(const Clock& clock, RequestRateOptions options)
    : clock_(clock),
      retained_minutes_(std::max(1, options.retained_minutes)),
      start_minute_(MinuteOfTime(clock.Now())),
      open_(Pack(start_minute_, 0)) {}

std::int64_t RequestRateCounter::MinuteNow() const { return MinuteOfTime(clock_.Now()); }

std::uint64_t RequestRateCounter::Pack(std::int64_t minute, std::uint64_t count) const {
  // A clock set back before the start counts as the start minute.
  const std::int64_t relative = std::max<std::int64_t>(0, minute - start_minute_);
  return (static_cast<std::uint64_t>(relative) << kCountBits) | (count & kCountMask);
}

std::int64_t RequestRateCounter::MinuteOf(std::uint64_t word) const {
  return start_minute_ + static_cast<std::int64_t>(word >> kCountBits);
}

void RequestRateCounter::Record() {
  const std::int64_t now = MinuteNow();
  std::uint64_t word = open_.load(std::memory_order_relaxed);
  for (;;) {
    if (MinuteOf(word) >= now) {
      if (open_.compare_exchange_weak(word, word + 1, std::memory_order_relaxed)) return;
      continue;  // `word` was reloaded by the failed exchange
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      CloseOpenMinuteLocked(now);
    }
    word = open_.load(std::memory_order_relaxed);
  }
}

void RequestRateCounter::CloseOpenMinuteLocked(std::int64_t now_minute) const {
  if (MinuteOf(open_.load(std::memory_order_relaxed)) >= now_minute) return;
  // Only this function (under mu_) changes the minute, so the exchange below
  // replaces the same minute that was just checked; counts added to it up to the
  // exchange are in `closed`, later Record() calls see the new minute.
  const std::uint64_t closed = open_.exchange(Pack(now_minute, 0), std::memory_order_relaxed);
  closed_.push_back({MinuteStart(MinuteOf(closed)), closed & kCountMask});
  const auto oldest_kept = MinuteStart(now_minute - retained_minutes_);
  while (!closed_.empty() && closed_.front().minute_start < oldest_kept) closed_.pop_front();
}

std::vector<MinuteCount> RequestRateCounter::CompletedMinutes() const {
  const std::int64_t now = MinuteNow();
  std::lock_guard<std::mutex> lock(mu_);
  CloseOpenMinuteLocked(now);
  std::vector<MinuteCount> minutes;
  const std::int64_t first = std::max(start_minute_, now - retained_minutes_);
  auto closed = closed_.begin();
  for (std::int64_t m = first; m < now; ++m) {
    const std::chrono::sys_seconds start = MinuteStart(m);
    while (closed != closed_.end() && closed->minute_start < start) ++closed;
    const bool recorded = closed != closed_.end() && closed->minute_start == start;
    minutes.push_back({start, recorded ? closed->count : 0});
  }
  return minutes;
}

std::optional<MinuteCount> RequestRateCounter::LastCompletedMinute() const {
  std::vector<MinuteCount> minutes = CompletedMinutes();
  if (minutes.empty()) return std::nullopt;
  return minutes.back();
}

std::vector<prometheus::MetricFamily> RequestRateCounter::Collect() const {
  const std::vector<MinuteCount> minutes = CompletedMinutes();

  prometheus::MetricFamily last{.name = "maskfleet_requests_per_minute",
                                .help = "Requests served in the last complete wall-clock minute.",
                                .type = prometheus::MetricType::Gauge};
  if (!minutes.empty()) {
    prometheus::ClientMetric metric;
    metric.gauge.value = static_cast<double>(minutes.back().count);
    last.metric.push_back(std::move(metric));
  }

  prometheus::MetricFamily per_minute{
      .name = "maskfleet_requests_minute_total",
      .help =
          "Requests served in the wall-clock minute starting at `minute` (Unix seconds), "
          "for the last complete minutes.",
      .type = prometheus::MetricType::Counter};
  for (const MinuteCount& m : minutes) {
    prometheus::ClientMetric metric;
    metric.label.push_back({"minute", std::to_string(m.minute_start.time_since_epoch().count())});
    metric.counter.value = static_cast<double>(m.count);
    per_minute.metric.push_back(std::move(metric));
  }

  std::vector<prometheus::MetricFamily> families;
  families.push_back(std::move(last));
  families.push_back(std::move(per_minute));
  return families;
}

}  // namespace maskfleet::observability
