#include "maskfleet/pool/governor/cpu_governor.h"

#include <time.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace maskfleet::pool::governor {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

// A process whose CPU and wall clocks the test moves; sleeping moves the wall clock.
struct FakeProcess {
  nanoseconds cpu{0};
  nanoseconds wall{0};
  std::vector<nanoseconds> sleeps;

  GovernorClocks Clocks() {
    return {.cpu_time = [this] { return cpu; },
            .wall_time = [this] { return wall; },
            .sleep =
                [this](nanoseconds d) {
                  sleeps.push_back(d);
                  wall += d;
                }};
  }
};

TEST(CpuGovernorTest, RefusesAllotmentsThatAreNotPositive) {
  EXPECT_FALSE(CpuGovernor::Create({.allotment = 0}));
  EXPECT_FALSE(CpuGovernor::Create({.allotment = -1}));
  EXPECT_FALSE(CpuGovernor::Create({.allotment = 0.5, .burst = -1ms}));
}

TEST(CpuGovernorTest, WithinTheAllotmentNothingWaits) {
  FakeProcess p;
  auto g = CpuGovernor::Create({.allotment = 0.25, .burst = 1000ms}, p.Clocks());
  ASSERT_TRUE(g);
  for (int i = 0; i < 100; ++i) {
    p.wall += 100ms;
    p.cpu += 25ms;  // exactly a quarter of the time passed
    EXPECT_EQ((*g)->WaitForBudget(), 0ns);
  }
  EXPECT_EQ((*g)->throttled(), 0u);
  EXPECT_NEAR((*g)->UsageRatio(), 1.0, 1e-9);
}

TEST(CpuGovernorTest, ADebtIsRepaidAtTheAllottedRate) {
  FakeProcess p;
  auto g = CpuGovernor::Create({.allotment = 0.25, .burst = 1000ms}, p.Clocks());
  ASSERT_TRUE(g);
  // One CPU-second at once: 250 ms of it came from the saved burst, 750 ms are owed,
  // which a 0.25-CPU allotment earns back in 3 s.
  p.cpu += 1000ms;
  EXPECT_EQ((*g)->Credit(), -750ms);
  EXPECT_EQ((*g)->WaitForBudget(), 3000ms);
  EXPECT_EQ((*g)->throttled(), 1u);
  EXPECT_EQ((*g)->Credit(), 0ns);
}

TEST(CpuGovernorTest, SavedCreditIsCappedAtOneBurst) {
  FakeProcess p;
  auto g = CpuGovernor::Create({.allotment = 0.5, .burst = 200ms}, p.Clocks());
  ASSERT_TRUE(g);
  p.wall += 1h;  // idle for an hour saves no more than 100 ms of CPU
  EXPECT_EQ((*g)->Credit(), 100ms);
  p.cpu += 300ms;
  EXPECT_EQ((*g)->WaitForBudget(), 400ms);
}

TEST(CpuGovernorTest, AWaitEndsAfterMaxWait) {
  FakeProcess p;
  auto g = CpuGovernor::Create({.allotment = 0.1, .burst = 0ms, .max_wait = 2000ms}, p.Clocks());
  ASSERT_TRUE(g);
  p.cpu += 10s;  // 100 s of debt at 0.1 CPU
  EXPECT_EQ((*g)->WaitForBudget(), 2000ms);
}

TEST(CpuGovernorTest, ParsesAllotments) {
  EXPECT_EQ(ParseAllotment("0.25").value(), 0.25);
  EXPECT_EQ(ParseAllotment("2").value(), 2.0);
  EXPECT_FALSE(ParseAllotment(""));
  EXPECT_FALSE(ParseAllotment("quarter"));
  EXPECT_FALSE(ParseAllotment("-1"));
  EXPECT_FALSE(ParseAllotment("0.25x"));
}

nanoseconds ThreadCpu() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return nanoseconds(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
}

// The real clocks: a thread that would use a whole core, gated by the governor before
// each 5 ms piece of work (as detections are), uses its allotment and no more than 10
// percentage points over it.
TEST(CpuGovernorTest, KeepsABusyThreadWithinItsAllotment) {
  constexpr double kAllotment = 0.25;
  auto g = CpuGovernor::Create({.allotment = kAllotment, .burst = 100ms});
  ASSERT_TRUE(g);
  const auto start_wall = std::chrono::steady_clock::now();
  const nanoseconds start_cpu = ProcessClocks().cpu_time();
  while (std::chrono::steady_clock::now() - start_wall < 3s) {
    (*g)->WaitForBudget();
    const nanoseconds piece_start = ThreadCpu();
    std::atomic<std::uint64_t> spin = 0;
    while (ThreadCpu() - piece_start < 5ms) spin.fetch_add(1, std::memory_order_relaxed);
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_wall).count();
  const double cpu = std::chrono::duration<double>(ProcessClocks().cpu_time() - start_cpu).count();
  const double percent_of_allotment = 100.0 * cpu / (wall * kAllotment);
  EXPECT_LE(percent_of_allotment, 110.0);
  // It does get its share (a loaded machine may take some of it).
  EXPECT_GE(percent_of_allotment, 60.0);
  EXPECT_GT((*g)->throttled(), 0u);
}

}  // namespace
}  // namespace maskfleet::pool::governor
