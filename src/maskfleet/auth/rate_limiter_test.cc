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

// ---- Exact boundaries: the value at each limit, one under, one over.

TEST(LoginRateLimiterTest, RetryAfterIsRoundedUpToWholeSeconds) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);
  for (int i = 0; i < 10; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  clock.Advance(std::chrono::milliseconds(89'001));  // 0.999 s to wait
  EXPECT_EQ(limiter.Check("ann", "203.0.113.1").retry_after, seconds(1));
  clock.Advance(std::chrono::milliseconds(998));  // 1 ms to wait
  EXPECT_EQ(limiter.Check("ann", "203.0.113.1").retry_after, seconds(1));
  clock.Advance(std::chrono::milliseconds(1));  // exactly due
  const LoginThrottle throttle = limiter.Check("ann", "203.0.113.1");
  EXPECT_TRUE(throttle.allowed());
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kNone);
}

TEST(LoginRateLimiterTest, OneClockTickBeforeDueIsStillRefused) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);
  for (int i = 0; i < 10; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  clock.Advance(seconds(90) - Clock::TimePoint::duration(1));
  EXPECT_EQ(limiter.Check("ann", "203.0.113.1").retry_after, seconds(1));
  clock.Advance(Clock::TimePoint::duration(1));
  EXPECT_TRUE(limiter.Check("ann", "203.0.113.1").allowed());
}

TEST(LoginRateLimiterTest, NinthFailureStillAllowsTheTenth) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);
  for (int i = 0; i < 9; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  const LoginThrottle throttle = limiter.Check("ann", "203.0.113.1");
  EXPECT_TRUE(throttle.allowed());
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kNone);
}

TEST(LoginRateLimiterTest, EqualWaitsNameTheAccount) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 3, .max_failures_per_address = 3});
  for (int i = 0; i < 3; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  const LoginThrottle throttle = limiter.Check("ann", "203.0.113.1");
  EXPECT_EQ(throttle.retry_after, seconds(300));
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kAccount);
}

TEST(LoginRateLimiterTest, LongerWaitNamesItsLimit) {
  SimulatedClock clock;
  // Account: 2 at once, then one per 450 s; address: 3 at once, then one per 300 s.
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 2, .max_failures_per_address = 3,
                                   .window = minutes(15)});
  for (int i = 0; i < 3; ++i) limiter.RecordFailure("ann", "203.0.113.1");
  // Account ahead by 3 x 450 s, tolerance 450: 900 s; address 3 x 300, tolerance 600: 300 s.
  LoginThrottle throttle = limiter.Check("ann", "203.0.113.1");
  EXPECT_EQ(throttle.retry_after, seconds(900));
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kAccount);
  throttle = limiter.Check("bob", "203.0.113.1");
  EXPECT_EQ(throttle.retry_after, seconds(300));
  EXPECT_EQ(throttle.reason, LoginThrottle::Reason::kAddress);
}

TEST(LoginRateLimiterTest, LimitsBelowOneCountAsOne) {
  for (int limit : {0, -3, 1}) {
    SCOPED_TRACE(limit);
    SimulatedClock clock;
    LoginRateLimiter limiter(clock, {.max_failures_per_account = limit, .window = minutes(15)});
    EXPECT_TRUE(limiter.Check("ann", "203.0.113.1").allowed());
    limiter.RecordFailure("ann", "203.0.113.1");
    EXPECT_EQ(limiter.Check("ann", "198.51.100.1").retry_after, minutes(15));
  }
}

TEST(LoginRateLimiterTest, BucketIsForgottenExactlyWhenFull) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock);  // one failure costs the account 90 s, the address 18 s
  limiter.RecordFailure("ann", "203.0.113.1");
  ASSERT_EQ(limiter.tracked_keys(), 2u);
  // Keys are forgotten when the next failure is recorded; "bob" from another address
  // adds two.
  clock.Advance(seconds(17));
  limiter.RecordFailure("bob", "198.51.100.1");
  EXPECT_EQ(limiter.tracked_keys(), 4u);
  clock.Advance(seconds(1));  // 18 s: the first address is full again
  limiter.RecordFailure("bob", "198.51.100.1");
  EXPECT_EQ(limiter.tracked_keys(), 3u);
  clock.Advance(seconds(71));  // 89 s
  limiter.RecordFailure("bob", "198.51.100.1");
  EXPECT_EQ(limiter.tracked_keys(), 3u);
  clock.Advance(seconds(1));  // 90 s: "ann" is full again
  limiter.RecordFailure("bob", "198.51.100.1");
  EXPECT_EQ(limiter.tracked_keys(), 2u);
}

TEST(LoginRateLimiterTest, WhenFullTheKeyClosestToForgivenIsDropped) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 1, .window = minutes(1),
                                   .max_tracked_keys = 2});
  limiter.RecordFailure("ann", "203.0.113.1");
  clock.Advance(seconds(1));
  limiter.RecordFailure("bob", "203.0.113.1");
  clock.Advance(seconds(1));
  limiter.RecordFailure("cy", "203.0.113.1");  // a third account: "ann" (due first) goes
  EXPECT_TRUE(limiter.Check("ann", "198.51.100.1").allowed());
  EXPECT_FALSE(limiter.Check("bob", "198.51.100.1").allowed());
  EXPECT_FALSE(limiter.Check("cy", "198.51.100.1").allowed());
}

TEST(LoginRateLimiterTest, AtMostTheBoundOfKeysIsKept) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_tracked_keys = 2});
  limiter.RecordFailure("a", "192.0.2.1");
  limiter.RecordFailure("b", "192.0.2.2");
  EXPECT_EQ(limiter.tracked_keys(), 4u);  // at the bound: nothing dropped
  limiter.RecordFailure("c", "192.0.2.3");
  EXPECT_EQ(limiter.tracked_keys(), 4u);
}

TEST(LoginRateLimiterTest, ABoundOfZeroKeysKeepsOne) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 1, .max_tracked_keys = 0});
  limiter.RecordFailure("a", "192.0.2.1");
  limiter.RecordFailure("b", "192.0.2.2");
  EXPECT_EQ(limiter.tracked_keys(), 2u);
  EXPECT_FALSE(limiter.Check("b", "198.51.100.1").allowed());
}

TEST(LoginRateLimiterTest, AccountNamesFoldOnlyAsciiLetters) {
  // '@' and '[' sit beside 'A' and 'Z', as '`' and '{' sit beside 'a' and 'z'.
  const struct {
    const char* failed;
    const char* checked;
    bool same_account;
  } cases[] = {{"A", "a", true}, {"Z", "z", true}, {"@", "`", false}, {"[", "{", false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.failed) + " and " + c.checked);
    SimulatedClock clock;
    LoginRateLimiter limiter(clock, {.max_failures_per_account = 1});
    limiter.RecordFailure(c.failed, "192.0.2.1");
    EXPECT_EQ(limiter.Check(c.checked, "198.51.100.1").allowed(), !c.same_account);
  }
}

TEST(LoginRateLimiterTest, Ipv6Slash64EndsAtTheEighthByte) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_address = 1});
  limiter.RecordFailure("a", "2001:db8:1:2:ffff:ffff:ffff:ffff");
  EXPECT_FALSE(limiter.Check("b", "2001:db8:1:2::").allowed());  // bytes 8 to 15 differ
  EXPECT_TRUE(limiter.Check("b", "2001:db8:1:3::").allowed());   // byte 7 differs
  EXPECT_TRUE(limiter.Check("b", "2001:db8:1:102::").allowed()); // byte 6 differs
}

TEST(LoginRateLimiterTest, MappedIpv4KeepsAllFourBytes) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_address = 1});
  limiter.RecordFailure("a", "::ffff:192.0.2.5");
  EXPECT_FALSE(limiter.Check("b", "192.0.2.5").allowed());
  EXPECT_TRUE(limiter.Check("b", "192.0.2.6").allowed());
  EXPECT_TRUE(limiter.Check("b", "193.0.2.5").allowed());
  // Not mapped (byte 10 or 11 is not 0xff): IPv6 addresses of their own /64.
  EXPECT_TRUE(limiter.Check("b", "::feff:192.0.2.5").allowed());
  EXPECT_TRUE(limiter.Check("b", "::fffe:192.0.2.5").allowed());
}

TEST(LoginRateLimiterTest, AFailureCountsOnceAgainstEach) {
  SimulatedClock clock;
  LoginRateLimiter limiter(clock, {.max_failures_per_account = 2, .max_failures_per_address = 2});
  limiter.RecordFailure("ann", "192.0.2.1");
  EXPECT_TRUE(limiter.Check("ann", "198.51.100.1").allowed());
  EXPECT_TRUE(limiter.Check("bob", "192.0.2.1").allowed());
  limiter.RecordFailure("ann", "192.0.2.1");
  EXPECT_FALSE(limiter.Check("ann", "198.51.100.1").allowed());
  EXPECT_FALSE(limiter.Check("bob", "192.0.2.1").allowed());
}

}  // namespace
}  // namespace maskfleet::auth
