#include "maskfleet/observability/request_rate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "maskfleet/observability/metrics.h"

namespace maskfleet::observability {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::sys_seconds;

// 2023-11-14T22:13:00Z, the start of a minute.
constexpr std::int64_t kMinute0 = 1'699'999'980;

Clock::TimePoint At(std::int64_t epoch_seconds) { return Clock::TimePoint(seconds(epoch_seconds)); }

MinuteCount Minute(std::int64_t epoch_seconds, std::uint64_t count) {
  return {sys_seconds(seconds(epoch_seconds)), count};
}

TEST(observability_RequestRateTest, NRequestsInAMinuteShowAsNInThatMinute) {
  SimulatedClock clock(At(kMinute0 + 5));
  RequestRateCounter counter(clock);
  for (int i = 0; i < 17; ++i) counter.Record();
  clock.Advance(seconds(30));
  for (int i = 0; i < 3; ++i) counter.Record();
  EXPECT_TRUE(counter.CompletedMinutes().empty()) << "the open minute is not complete";
  EXPECT_FALSE(counter.LastCompletedMinute().has_value());

  clock.Set(At(kMinute0 + 60));
  EXPECT_EQ(counter.CompletedMinutes(), std::vector<MinuteCount>{Minute(kMinute0, 20)});
  EXPECT_EQ(counter.LastCompletedMinute(), Minute(kMinute0, 20));
}

TEST(observability_RequestRateTest, MinuteBoundariesSplitAtWholeMinutes) {
  SimulatedClock clock(At(kMinute0));
  RequestRateCounter counter(clock);
  counter.Record();  // at :00.000, first of minute 0
  clock.Set(At(kMinute0 + 60) - milliseconds(1));
  counter.Record();  // :59.999, still minute 0
  clock.Set(At(kMinute0 + 60));
  counter.Record();  // :00.000 of minute 1
  clock.Set(At(kMinute0 + 120));
  EXPECT_EQ(counter.CompletedMinutes(),
            (std::vector<MinuteCount>{Minute(kMinute0, 2), Minute(kMinute0 + 60, 1)}));
}

TEST(observability_RequestRateTest, EmptyMinutesShowZero) {
  SimulatedClock clock(At(kMinute0));
  RequestRateCounter counter(clock);
  counter.Record();
  clock.Advance(minutes(3));  // minutes 1 and 2 without a request
  counter.Record();
  counter.Record();
  clock.Advance(minutes(2));  // minute 4 empty too
  EXPECT_EQ(
      counter.CompletedMinutes(),
      (std::vector<MinuteCount>{Minute(kMinute0, 1), Minute(kMinute0 + 60, 0), Minute(kMinute0 + 120, 0),
                                Minute(kMinute0 + 180, 2), Minute(kMinute0 + 240, 0)}));
}

TEST(observability_RequestRateTest, NothingBeforeTheCounterStarted) {
  SimulatedClock clock(At(kMinute0 + 600));
  RequestRateCounter counter(clock);
  clock.Advance(minutes(1));
  EXPECT_EQ(counter.CompletedMinutes(), std::vector<MinuteCount>{Minute(kMinute0 + 600, 0)});
}

TEST(observability_RequestRateTest, RingKeepsOnlyTheRetainedMinutes) {
  SimulatedClock clock(At(kMinute0));
  RequestRateCounter counter(clock);  // default: 30 minutes
  for (int m = 0; m < 40; ++m) {
    for (int i = 0; i <= m; ++i) counter.Record();  // m+1 requests in minute m
    clock.Advance(minutes(1));
  }
  std::vector<MinuteCount> minutes_seen = counter.CompletedMinutes();
  ASSERT_EQ(minutes_seen.size(), 30u);
  for (int k = 0; k < 30; ++k) {
    const int m = 10 + k;
    EXPECT_EQ(minutes_seen[static_cast<std::size_t>(k)],
              Minute(kMinute0 + 60 * m, static_cast<std::uint64_t>(m + 1)));
  }
  // A long idle spell leaves zeros, not stale counts.
  clock.Advance(minutes(100));
  minutes_seen = counter.CompletedMinutes();
  ASSERT_EQ(minutes_seen.size(), 30u);
  for (const MinuteCount& m : minutes_seen) EXPECT_EQ(m.count, 0u);
  EXPECT_EQ(minutes_seen.back().minute_start, sys_seconds(seconds(kMinute0 + 60 * 139)));
}

TEST(observability_RequestRateTest, RetainedMinutesIsAnOption) {
  SimulatedClock clock(At(kMinute0));
  RequestRateCounter counter(clock, {.retained_minutes = 2});
  for (int m = 0; m < 5; ++m) {
    counter.Record();
    clock.Advance(minutes(1));
  }
  EXPECT_EQ(counter.CompletedMinutes(),
            (std::vector<MinuteCount>{Minute(kMinute0 + 180, 1), Minute(kMinute0 + 240, 1)}));
}

TEST(observability_RequestRateTest, ExposedAsLastMinuteAndPerMinuteSeries) {
  SimulatedClock clock(At(kMinute0));
  auto counter = std::make_shared<RequestRateCounter>(clock, RequestRateOptions{.retained_minutes = 3});
  MetricsRegistry registry;
  registry.AddCollectable(counter);
  EXPECT_EQ(registry.Serialize(),
            "# HELP maskfleet_requests_minute_total Requests served in the wall-clock minute "
            "starting at `minute` (Unix seconds), for the last complete minutes.\n"
            "# TYPE maskfleet_requests_minute_total counter\n"
            "# HELP maskfleet_requests_per_minute Requests served in the last complete "
            "wall-clock minute.\n"
            "# TYPE maskfleet_requests_per_minute gauge\n");

  for (int i = 0; i < 4; ++i) counter->Record();
  clock.Advance(minutes(2));  // minute 0: 4, minute 1: 0
  counter->Record();
  clock.Advance(minutes(1));  // minute 2: 1
  EXPECT_EQ(registry.Serialize(),
            "# HELP maskfleet_requests_minute_total Requests served in the wall-clock minute "
            "starting at `minute` (Unix seconds), for the last complete minutes.\n"
            "# TYPE maskfleet_requests_minute_total counter\n"
            "maskfleet_requests_minute_total{minute=\"1699999980\"} 4\n"
            "maskfleet_requests_minute_total{minute=\"1700000040\"} 0\n"
            "maskfleet_requests_minute_total{minute=\"1700000100\"} 1\n"
            "# HELP maskfleet_requests_per_minute Requests served in the last complete "
            "wall-clock minute.\n"
            "# TYPE maskfleet_requests_per_minute gauge\n"
            "maskfleet_requests_per_minute 1\n");
}

TEST(observability_RequestRateTest, ConcurrentRecordsAcrossAMinuteBoundaryAreAllCounted) {
  SimulatedClock clock(At(kMinute0 + 59));
  RequestRateCounter counter(clock);
  constexpr int kThreads = 8;
  constexpr int kEach = 20000;
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      ++started;
      for (int i = 0; i < kEach; ++i) counter.Record();
    });
  }
  while (started.load() < kThreads) std::this_thread::yield();
  clock.Advance(seconds(1));  // minute 1 begins while the threads record
  std::thread reader([&] {
    for (int i = 0; i < 100; ++i) (void)counter.CompletedMinutes();
  });
  for (std::thread& t : threads) t.join();
  reader.join();
  clock.Advance(minutes(1));
  std::uint64_t total = 0;
  for (const MinuteCount& m : counter.CompletedMinutes()) total += m.count;
  EXPECT_EQ(total, static_cast<std::uint64_t>(kThreads) * kEach);
}

}  // namespace
}  // namespace maskfleet::observability
