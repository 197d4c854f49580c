#include "maskfleet/auth/rate_limiter.h"

#include <gtest/gtest.h>

namespace maskfleet::auth {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(LoginRateLimiterTest, AccountGetsTenFailuresThenOneEveryNinetySeconds) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(limiter.Check("ann", "203.0.113.1").allowed()) << i;
    limiter.RecordFailure("ann", "203.0.113.1");
  }
  LoginThrottle throttle = limiter.Check("ann", "203.0.113.1");
  EXPECT_FALSE(throttle.allowed());
  EXPECT_EQ(throttle.retry_after, seconds(90));
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kAccount);
  // The same account from another address is refused too; another account is not.
  EXPECT_FALSE(limiter.Check("ann", "198.51.100.7").allowed());
  EXPECT_FALSE(limiter.Check("ANN", "198.51.100.7").allowed());
  EXPECT_TRUE(limiter.Check("bob", "203.0.113.1").allowed());

  clock.Advance(seconds(89));
  EXPECT_EQ(limiter.Check("ann", "203.0.113.1").retry_after, seconds(1));
  clock.Advance(seconds(1));
  EXPECT_TRUE(limiter.Check("ann", "203.0.113.1").allowed());
  limiter.RecordFailure("ann", "203.0.113.1");
  EXPECT_EQ(limiter.Check("ann", "203.0.113.1").retry_after, seconds(90));
}

TEST(LoginRateLimiterTest, BucketRefillsCompletelyAfterTheWindow) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);
  for (int i = 0; i < 10; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  clock.Advance(minutes(15));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(limiter.Check("ann", "203.0.113.1").allowed()) << i;
    limiter.RecordFailure("ann", "203.0.113.1");
  }
  EXPECT_FALSE(limiter.Check("ann", "203.0.113.1").allowed());
}

TEST(LoginRateLimiterTest, AddressIsLimitedAcrossAccounts) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);
  for (int i = 0; i < 50; ++i) {
    const std::string account = "user" + std::to_string(i);
    ASSERT_TRUE(limiter.Check(account, "203.0.113.9").allowed()) << i;
    limiter.RecordFailure(account, "203.0.113.9");
  }
  LoginThrottle throttle = limiter.Check("someone-new", "203.0.113.9");
  EXPECT_FALSE(throttle.allowed());
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kAddress);
  EXPECT_EQ(throttle.retry_after, seconds(18));
  EXPECT_TRUE(limiter.Check("someone-new", "203.0.113.10").allowed());
}

TEST(LoginRateLimiterTest, Ipv6AddressesAreGroupedBySlash64AndMappedIpv4IsIpv4) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 100, .max_failures_per_address = 2});
  limiter.RecordFailure("a", "2001:db8:1:2::1");
  limiter.RecordFailure("b", "2001:db8:1:2:ffff::9");
  EXPECT_FALSE(limiter.Check("c", "2001:db8:1:2::77").allowed());
  EXPECT_TRUE(limiter.Check("c", "2001:db8:1:3::1").allowed());

  limiter.RecordFailure("a", "192.0.2.5");
  limiter.RecordFailure("b", "::ffff:192.0.2.5");
  EXPECT_FALSE(limiter.Check("c", "192.0.2.5").allowed());
}

TEST(LoginRateLimiterTest, SuccessRefillsTheAccountButNotTheAddress) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 3, .max_failures_per_address = 3});
  for (int i = 0; i < 3; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  limiter.RecordSuccess("ann");
  EXPECT_TRUE(limiter.Check("ann", "198.51.100.1").allowed());
  EXPECT_FALSE(limiter.Check("ann", "203.0.113.1").allowed());  // the address is still spent
}

TEST(LoginRateLimiterTest, MemoryIsBounded) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_tracked_keys = 100});
  for (int i = 0; i < 1000; ++i) {
    limiter.RecordFailure("user" + std::to_string(i), "10.0." + std::to_string(i / 256) + "." +
                                                          std::to_string(i % 256));
  }
  EXPECT_EQ(limiter.tracked_keys(), 200u);
  // Refilled buckets are forgotten at the next failure.
  clock.Advance(minutes(16));
  limiter.RecordFailure("late", "192.0.2.1");
  EXPECT_EQ(limiter.tracked_keys(), 2u);
}

TEST(LoginRateLimiterTest, NotAnAddressStillCounts) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_address = 1});
  limiter.RecordFailure("a", "unix:/run/socket");
  EXPECT_FALSE(limiter.Check("b", "unix:/run/socket").allowed());
}

}  // namespace
}  // namespace maskfleet::auth
