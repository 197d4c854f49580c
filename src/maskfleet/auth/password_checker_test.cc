#include "maskfleet/auth/password_checker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace maskfleet::auth {
namespace {

using std::chrono::milliseconds;

// A stand-in for Argon2id that counts its calls and, while `hold` is set, blocks
// until the test opens it; "right" is the one matching password.
class Computation {
 public:
  PasswordChecker::VerifyFunction Function() {
    return [this](std::string_view password, std::string_view) -> Result<bool> {
      ++started_;
      gate_.wait();
      return password == "right";
    };
  }
  void Open() { open_.set_value(); }
  int started() const { return started_.load(); }
  // Polls until `count` computations have started.
  void AwaitStarted(int count) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started_.load() < count && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(started_.load(), count);
  }

 private:
  std::atomic<int> started_{0};
  std::promise<void> open_;
  std::shared_future<void> gate_ = open_.get_future().share();
};

PasswordCheckOptions Bounds(int concurrency, int queue, milliseconds max_wait = milliseconds(5000)) {
  PasswordCheckOptions o;
  o.concurrency = concurrency;
  o.queue = queue;
  o.max_wait = max_wait;
  o.retry_after = milliseconds(3000);
  return o;
}

bool Is(const Result<bool>& result, bool expected) { return result && *result == expected; }

template <typename T>
void ExpectRefused(const Result<T>& result) {
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(result.error().retry_after.has_value());
  EXPECT_EQ(*result.error().retry_after, milliseconds(3000));
}

TEST(PasswordCheckerTest, ARecentlyVerifiedPasswordIsAnsweredWithoutComputing) {
  SimulatedClock clock;
  Computation computation;
  computation.Open();
  PasswordChecker checker(clock, PasswordHashOptions::Minimum(), Bounds(1, 0), computation.Function());
  EXPECT_TRUE(Is(checker.Verify("ann", "right", "stored"), true));
  EXPECT_TRUE(Is(checker.Verify("ann", "right", "stored"), true));
  EXPECT_EQ(computation.started(), 1);
  EXPECT_TRUE(Is(checker.Verify("ann", "wrong", "stored"), false));
  EXPECT_TRUE(Is(checker.Verify("ann", "wrong", "stored"), false));
  EXPECT_EQ(computation.started(), 3);  // failures are never cached
}

TEST(PasswordCheckerTest, IdenticalChecksInFlightAreComputedOnceAndShareTheAnswer) {
  SimulatedClock clock;
  Computation computation;
  PasswordChecker checker(clock, PasswordHashOptions::Minimum(), Bounds(1, 3), computation.Function());
  std::vector<std::future<Result<bool>>> checks;
  checks.push_back(std::async(std::launch::async, [&] { return checker.Verify("eve", "guess", "stored"); }));
  computation.AwaitStarted(1);
  for (int i = 0; i < 3; ++i) {
    checks.push_back(
        std::async(std::launch::async, [&] { return checker.Verify("eve", "guess", "stored"); }));
  }
  std::this_thread::sleep_for(milliseconds(50));  // let the three join the flight
  computation.Open();
  for (auto& check : checks) EXPECT_TRUE(Is(check.get(), false));
  EXPECT_EQ(computation.started(), 1);
}

TEST(PasswordCheckerTest, OneFollowerOverTheQueueIsRefusedAtOnce) {
  SimulatedClock clock;
  Computation computation;
  PasswordChecker checker(clock, PasswordHashOptions::Minimum(), Bounds(1, 2), computation.Function());
  auto leader = std::async(std::launch::async, [&] { return checker.Verify("eve", "guess", "stored"); });
  computation.AwaitStarted(1);
  auto first = std::async(std::launch::async, [&] { return checker.Verify("eve", "guess", "stored"); });
  auto second = std::async(std::launch::async, [&] { return checker.Verify("eve", "guess", "stored"); });
  std::this_thread::sleep_for(milliseconds(50));
  ExpectRefused(checker.Verify("eve", "guess", "stored"));  // the third follower
  computation.Open();
  EXPECT_TRUE(Is(leader.get(), false));
  EXPECT_TRUE(Is(first.get(), false));
  EXPECT_TRUE(Is(second.get(), false));
  EXPECT_EQ(checker.refused(), 1u);
}

TEST(PasswordCheckerTest, DistinctChecksBeyondConcurrencyAndQueueAreRefusedAtOnce) {
  SimulatedClock clock;
  Computation computation;
  PasswordChecker checker(clock, PasswordHashOptions::Minimum(), Bounds(2, 1), computation.Function());
  std::vector<std::future<Result<bool>>> checks;
  for (int i = 0; i < 2; ++i) {
    checks.push_back(
        std::async(std::launch::async, [&, i] { return checker.Verify("u" + std::to_string(i), "p", "s"); }));
  }
  computation.AwaitStarted(2);
  checks.push_back(std::async(std::launch::async, [&] { return checker.Verify("u2", "p", "s"); }));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (checker.waiting() != 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(1));
  ASSERT_EQ(checker.waiting(), 1);
  EXPECT_EQ(checker.running(), 2);
  const auto start = std::chrono::steady_clock::now();
  ExpectRefused(checker.Verify("u3", "p", "s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  ExpectRefused(checker.Hash("another-password"));
  computation.Open();
  for (auto& check : checks) EXPECT_TRUE(Is(check.get(), false));
  EXPECT_EQ(computation.started(), 3);
}

TEST(PasswordCheckerTest, AWaitLongerThanMaxWaitIsRefused) {
  SimulatedClock clock;
  Computation computation;
  PasswordChecker checker(clock, PasswordHashOptions::Minimum(), Bounds(1, 1, milliseconds(50)),
                          computation.Function());
  auto leader = std::async(std::launch::async, [&] { return checker.Verify("a", "p", "s"); });
  computation.AwaitStarted(1);
  ExpectRefused(checker.Verify("b", "p", "s"));  // waits 50 ms for the computation
  ExpectRefused(checker.Verify("a", "p", "s"));  // waits 50 ms for the flight
  computation.Open();
  EXPECT_TRUE(Is(leader.get(), false));
}

TEST(PasswordCheckerTest, AnAbsentUserCostsOneComputationAndNeverMatches) {
  SimulatedClock clock;
  Computation computation;
  computation.Open();
  PasswordChecker checker(clock, PasswordHashOptions::Minimum(), Bounds(1, 0), computation.Function());
  EXPECT_TRUE(Is(checker.VerifyAbsent("ghost", "right"), false));
  EXPECT_EQ(computation.started(), 1);
}

TEST(PasswordCheckerTest, RealArgon2idVerifiesAndHashesUnderTheBounds) {
  SimulatedClock clock;
  PasswordChecker checker(clock, PasswordHashOptions::Minimum());
  Result<std::string> hash = checker.Hash("correct horse");
  ASSERT_TRUE(hash) << hash.error().ToString();
  EXPECT_TRUE(Is(checker.Verify("ann", "correct horse", *hash), true));
  EXPECT_TRUE(Is(checker.Verify("ann", "battery staple", *hash), false));
  EXPECT_TRUE(Is(checker.VerifyAbsent("ghost", "correct horse"), false));
  EXPECT_EQ(checker.capacity(), 1 + 2 * 2);
}

}  // namespace
}  // namespace maskfleet::auth
