#include "maskfleet/auth/login_delay.h"

#include <gtest/gtest.h>

namespace maskfleet::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(LoginDelayTest, TheTenthFailureStartsAWaitThatDoublesWithEachFurtherOne) {
  const DelayPolicy policy{10, seconds(1), minutes(5)};
  for (int failures = 0; failures <= 9; ++failures) {
    EXPECT_EQ(DelayAfter(failures, policy), milliseconds::zero()) << failures;
  }
  EXPECT_EQ(DelayAfter(10, policy), seconds(1));
  EXPECT_EQ(DelayAfter(11, policy), seconds(2));
  EXPECT_EQ(DelayAfter(12, policy), seconds(4));
  EXPECT_EQ(DelayAfter(18, policy), seconds(256));
  EXPECT_EQ(DelayAfter(19, policy), minutes(5));  // 512 s is past the cap
  EXPECT_EQ(DelayAfter(1'000'000, policy), minutes(5));
}

TEST(LoginDelayTest, TheCapIsReachedExactly) {
  const DelayPolicy policy{1, seconds(1), seconds(4)};
  EXPECT_EQ(DelayAfter(0, policy), milliseconds::zero());
  EXPECT_EQ(DelayAfter(1, policy), seconds(1));
  EXPECT_EQ(DelayAfter(2, policy), seconds(2));
  EXPECT_EQ(DelayAfter(3, policy), seconds(4));
  EXPECT_EQ(DelayAfter(4, policy), seconds(4));
  const DelayPolicy odd{1, seconds(3), seconds(10)};
  EXPECT_EQ(DelayAfter(2, odd), seconds(6));
  EXPECT_EQ(DelayAfter(3, odd), seconds(10));  // 12 s is over: the cap, not 12
}

TEST(LoginDelayTest, OutOfRangePoliciesAreClamped) {
  EXPECT_EQ(DelayAfter(1, {-5, seconds(1), seconds(1)}), seconds(1));  // the first failure waits
  EXPECT_EQ(DelayAfter(1, {0, seconds(1), seconds(8)}), seconds(1));
  EXPECT_EQ(DelayAfter(2, {0, seconds(1), seconds(8)}), seconds(2));
  EXPECT_EQ(DelayAfter(0, {-5, seconds(1), seconds(1)}), milliseconds::zero());
  EXPECT_EQ(DelayAfter(1, {1, milliseconds(0), seconds(1)}), milliseconds(1));
  EXPECT_EQ(DelayAfter(1, {1, seconds(2), seconds(1)}), seconds(2));  // cap below the first wait
  EXPECT_EQ(DelayAfter(-3, {1, seconds(1), seconds(1)}), milliseconds::zero());
}

TEST(LoginDelayTest, KeysAreHexDigestsOfFixedLength) {
  EXPECT_EQ(AccountKey("ann").size(), 32u);
  EXPECT_EQ(AccountKey(std::string(10000, 'a')).size(), 32u);
  EXPECT_EQ(AddressKey("192.0.2.1").size(), 32u);
  EXPECT_EQ(PairKey("ann", "192.0.2.1").size(), 32u);
  EXPECT_EQ(AccountKey("ann").find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(AccountKey("ann"), AccountKey("bob"));
  EXPECT_NE(PairKey("ann", "192.0.2.1"), PairKey("ann", "192.0.2.2"));
  EXPECT_NE(PairKey("ann", "192.0.2.1"), PairKey("bob", "192.0.2.1"));
  EXPECT_EQ(PairKey("Ann", "192.0.2.1"), PairKey("ann", "::ffff:192.0.2.1"));
  // An account and an address with the same text are different keys.
  EXPECT_NE(AccountKey("192.0.2.1"), AddressKey("192.0.2.1"));
}

TEST(LoginDelayTest, AccountNamesFoldOnlyAsciiLetters) {
  // '@' and '[' sit beside 'A' and 'Z', as '`' and '{' sit beside 'a' and 'z'.
  EXPECT_EQ(AccountKey("A"), AccountKey("a"));
  EXPECT_EQ(AccountKey("Z"), AccountKey("z"));
  EXPECT_NE(AccountKey("@"), AccountKey("`"));
  EXPECT_NE(AccountKey("["), AccountKey("{"));
  EXPECT_EQ(AccountKey("MiXeD.Name"), AccountKey("mixed.name"));
}

TEST(LoginDelayTest, Ipv6Slash64EndsAtTheEighthByte) {
  EXPECT_EQ(AddressKey("2001:db8:1:2:ffff:ffff:ffff:ffff"), AddressKey("2001:db8:1:2::"));  // bytes 8..15
  EXPECT_NE(AddressKey("2001:db8:1:2::"), AddressKey("2001:db8:1:3::"));                    // byte 7 differs
  EXPECT_NE(AddressKey("2001:db8:1:2::"), AddressKey("2001:db8:1:102::"));                  // byte 6 differs
}

TEST(LoginDelayTest, MappedIpv4KeepsAllFourBytes) {
  EXPECT_EQ(AddressKey("::ffff:192.0.2.5"), AddressKey("192.0.2.5"));
  EXPECT_NE(AddressKey("192.0.2.5"), AddressKey("192.0.2.6"));
  EXPECT_NE(AddressKey("192.0.2.5"), AddressKey("193.0.2.5"));
  // Not mapped (byte 10 or 11 is not 0xff): IPv6 addresses of their own /64.
  EXPECT_NE(AddressKey("::feff:192.0.2.5"), AddressKey("192.0.2.5"));
  EXPECT_NE(AddressKey("::fffe:192.0.2.5"), AddressKey("192.0.2.5"));
  // An IPv4 address and the IPv6 /64 that starts with the same four bytes differ.
  EXPECT_NE(AddressKey("c000:205::"), AddressKey("192.0.2.5"));
}

TEST(LoginDelayTest, NotAnAddressIsItsText) {
  EXPECT_EQ(AddressKey("unix:/run/socket"), AddressKey("unix:/run/socket"));
  EXPECT_NE(AddressKey("unix:/run/socket"), AddressKey("unix:/run/other"));
}

}  // namespace
}  // namespace maskfleet::auth
