#include "maskfleet/common/admission.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <thread>
#include <vector>

namespace maskfleet {
namespace {

using std::chrono::milliseconds;

AdmissionOptions Options(int running, int waiting, milliseconds max_wait = milliseconds(5000)) {
  AdmissionOptions o;
  o.name = "tests";
  o.running = running;
  o.waiting = waiting;
  o.max_wait = max_wait;
  o.retry_after = milliseconds(2000);
  o.poll = milliseconds(5);
  return o;
}

// Polls until `admission` has `count` waiters (they are threads started by the test).
void AwaitWaiters(const Admission& admission, int count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (admission.waiting() != count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(admission.waiting(), count);
}

TEST(AdmissionTest, AdmitsUpToRunningAtOnceAndRefusesTheNextWithoutWaiting) {
  Admission admission(Options(2, 0));
  Result<Admission::Ticket> a = admission.Enter();
  Result<Admission::Ticket> b = admission.Enter();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(admission.running(), 2);
  const auto start = std::chrono::steady_clock::now();
  Result<Admission::Ticket> c = admission.Enter();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(c.error().retry_after.has_value());
  EXPECT_EQ(*c.error().retry_after, milliseconds(2000));
  EXPECT_NE(c.error().message.find("tests"), std::string::npos);
  EXPECT_EQ(admission.refused(), 1u);
}

TEST(AdmissionTest, ATicketReleasedFreesItsSlot) {
  Admission admission(Options(1, 0));
  {
    Result<Admission::Ticket> a = admission.Enter();
    ASSERT_TRUE(a);
    EXPECT_FALSE(admission.Enter());
  }
  EXPECT_EQ(admission.running(), 0);
  EXPECT_TRUE(admission.Enter());
}

TEST(AdmissionTest, WaitsForAFreedSlotUpToTheWaitingBoundAndRefusesOneMore) {
  Admission admission(Options(1, 2));
  std::optional<Admission::Ticket> held;
  held.emplace(*admission.Enter());
  auto first = std::async(std::launch::async, [&] { return admission.Enter().has_value(); });
  auto second = std::async(std::launch::async, [&] { return admission.Enter().has_value(); });
  AwaitWaiters(admission, 2);
  Result<Admission::Ticket> third = admission.Enter();  // one over: refused at once
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kUnavailable);
  held.reset();
  EXPECT_TRUE(first.get());
  EXPECT_TRUE(second.get());
  EXPECT_EQ(admission.waiting(), 0);
  EXPECT_EQ(admission.running(), 0);
}

TEST(AdmissionTest, AWaitLongerThanMaxWaitIsRefused) {
  Admission admission(Options(1, 1, milliseconds(50)));
  Result<Admission::Ticket> held = admission.Enter();
  ASSERT_TRUE(held);
  const auto start = std::chrono::steady_clock::now();
  Result<Admission::Ticket> late = admission.Enter();
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(late.error().message.find("waited too long"), std::string::npos);
  EXPECT_GE(waited, milliseconds(50));
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_EQ(admission.waiting(), 0);
}

TEST(AdmissionTest, AWaiterWhoseWorkIsNoLongerWantedLeavesTheQueueWithoutASlot) {
  Admission admission(Options(1, 1));
  Result<Admission::Ticket> held = admission.Enter();
  ASSERT_TRUE(held);
  std::atomic<bool> wanted{true};
  auto waiter = std::async(std::launch::async,
                           [&] { return admission.Enter([&] { return wanted.load(); }); });
  AwaitWaiters(admission, 1);
  wanted = false;
  Result<Admission::Ticket> abandoned = waiter.get();
  ASSERT_FALSE(abandoned);
  EXPECT_NE(abandoned.error().message.find("abandoned"), std::string::npos);
  EXPECT_EQ(admission.waiting(), 0);
  EXPECT_EQ(admission.running(), 1);  // still only the held ticket
}

TEST(AdmissionTest, AFreedSlotGoesToTheNextWaiterWhenTheFirstIsNoLongerWanted) {
  Admission admission(Options(1, 2));
  std::optional<Admission::Ticket> held;
  held.emplace(*admission.Enter());
  std::atomic<bool> first_wanted{true};
  auto first = std::async(std::launch::async,
                          [&] { return admission.Enter([&] { return first_wanted.load(); }); });
  AwaitWaiters(admission, 1);
  auto second = std::async(std::launch::async, [&] { return admission.Enter(); });
  AwaitWaiters(admission, 2);
  first_wanted = false;
  held.reset();
  EXPECT_FALSE(first.get());
  Result<Admission::Ticket> next = second.get();
  EXPECT_TRUE(next);
}

TEST(AdmissionTest, ANewcomerDoesNotOvertakeAWaiter) {
  Admission admission(Options(1, 1, milliseconds(2000)));
  std::optional<Admission::Ticket> held;
  held.emplace(*admission.Enter());
  auto waiter = std::async(std::launch::async, [&] { return admission.Enter(); });
  AwaitWaiters(admission, 1);
  // The slot freed here is the waiter's, even if the newcomer asks before the waiter
  // has woken up: the newcomer gets no ticket (refused at once, or after its wait).
  held.reset();
  Result<Admission::Ticket> newcomer = admission.Enter();
  EXPECT_FALSE(newcomer);
  EXPECT_TRUE(waiter.get());
}

TEST(AdmissionTest, NeverMoreThanRunningHoldATicketAtOnce) {
  Admission admission(Options(3, 64));
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      Result<Admission::Ticket> t = admission.Enter();
      ASSERT_TRUE(t);
      const int now = ++inside;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(milliseconds(2));
      --inside;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(most.load(), 3);
  EXPECT_EQ(admission.refused(), 0u);
}

TEST(AdmissionTest, OutOfRangeOptionsAreRaised) {
  Admission admission(Options(0, -3));
  EXPECT_EQ(admission.options().running, 1);
  EXPECT_EQ(admission.options().waiting, 0);
  EXPECT_EQ(admission.capacity(), 1);
}

}  // namespace
}  // namespace maskfleet
