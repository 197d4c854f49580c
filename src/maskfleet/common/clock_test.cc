#include "maskfleet/common/clock.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace maskfleet {
namespace {

TEST(ClockTest, SimulatedClockMovesOnlyWhenTold) {
  SimulatedClock clock;
  const Clock::TimePoint start = clock.Now();
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(std::chrono::minutes(2));
  EXPECT_EQ(clock.Now() - start, std::chrono::minutes(2));
}

TEST(ClockTest, RealClockFollowsSystemTime) {
  const auto before = std::chrono::system_clock::now();
  const auto now = RealClock().Now();
  EXPECT_GE(now, before);
  EXPECT_LT(now - before, std::chrono::seconds(5));
}

using namespace std::chrono_literals;

// Waits (really) until `clock` has `n` waiters, at most 5 s.
bool WaitersReach(const SimulatedClock& clock, int n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (clock.waiters() < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(ClockTest, SimulatedWaitEndsExactlyWhenTheClockReachesTheDeadline) {
  SimulatedClock clock;
  Wakeup wakeup;
  const Clock::TimePoint deadline = clock.Now() + 10s;
  std::future<bool> waited = std::async(std::launch::async,
                                        [&] { return clock.WaitUntil(deadline, wakeup); });
  ASSERT_TRUE(WaitersReach(clock, 1));
  clock.Advance(10s - 1ns);  // one under: still waiting
  EXPECT_EQ(waited.wait_for(50ms), std::future_status::timeout);
  EXPECT_EQ(clock.waiters(), 1);
  clock.Advance(1ns);  // at the deadline
  ASSERT_EQ(waited.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(waited.get());
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(ClockTest, SimulatedWaitEndsWhenSetPastTheDeadline) {
  SimulatedClock clock;
  Wakeup wakeup;
  std::future<bool> waited = std::async(std::launch::async, [&] { return clock.WaitFor(1h, wakeup); });
  ASSERT_TRUE(WaitersReach(clock, 1));
  clock.Set(clock.Now() + 2h);
  ASSERT_EQ(waited.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(waited.get());
}

TEST(ClockTest, NotifyEndsASimulatedWaitWithoutMovingTheClock) {
  SimulatedClock clock;
  const Clock::TimePoint start = clock.Now();
  Wakeup wakeup;
  std::future<bool> waited = std::async(std::launch::async, [&] { return clock.WaitFor(1h, wakeup); });
  ASSERT_TRUE(WaitersReach(clock, 1));
  wakeup.Notify();
  ASSERT_EQ(waited.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(waited.get());
  EXPECT_EQ(clock.Now(), start);
}

TEST(ClockTest, ANotificationBeforeTheWaitIsKeptAndTakenOnce) {
  SimulatedClock clock;
  Wakeup wakeup;
  wakeup.Notify();
  EXPECT_TRUE(clock.WaitFor(1h, wakeup));                   // returns at once, taking it
  EXPECT_FALSE(clock.WaitFor(0s, wakeup));                  // nothing pending; the deadline is now
  EXPECT_FALSE(clock.WaitUntil(clock.Now() - 1s, wakeup));  // a passed deadline
}

TEST(ClockTest, RealWaitLastsItsTimeoutOrEndsAtANotification) {
  Wakeup wakeup;
  auto begin = std::chrono::steady_clock::now();
  EXPECT_FALSE(RealClock().WaitFor(30ms, wakeup));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 30ms);

  begin = std::chrono::steady_clock::now();
  std::thread notifier([&] {
    std::this_thread::sleep_for(20ms);
    wakeup.Notify();
  });
  EXPECT_TRUE(RealClock().WaitFor(1h, wakeup));
  notifier.join();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 30s);
}

}  // namespace
}  // namespace maskfleet
