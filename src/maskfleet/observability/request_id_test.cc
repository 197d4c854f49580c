#include "maskfleet/observability/request_id.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace maskfleet::observability {
namespace {

TEST(observability_RequestIdTest, SaneIncomingIdsAreKept) {
  EXPECT_EQ(RequestIdFor("a"), "a");
  EXPECT_EQ(RequestIdFor("5f0c0a6e1b2d3c4f"), "5f0c0a6e1b2d3c4f");
  EXPECT_EQ(RequestIdFor("req-1.2_ABC"), "req-1.2_ABC");
  const std::string longest(kMaxRequestIdLength, 'z');
  EXPECT_EQ(RequestIdFor(longest), longest);
}

TEST(observability_RequestIdTest, AcceptanceRules) {
  EXPECT_TRUE(IsAcceptableRequestId("0123456789abcdefABCDEF.-_"));
  EXPECT_FALSE(IsAcceptableRequestId(""));
  EXPECT_FALSE(IsAcceptableRequestId(std::string(kMaxRequestIdLength + 1, 'a')));
  for (std::string bad : {"a b", "a\"b", "a\nb", "a=b", "a/b", "a;b", "a%20", "\xc3\xa9"}) {
    EXPECT_FALSE(IsAcceptableRequestId(bad)) << bad;
  }
}

TEST(observability_RequestIdTest, BadIncomingIdsAreReplacedByNewOnes) {
  for (const std::string& bad :
       std::vector<std::string>{"", "has space", std::string(65, 'a'), "quote\"", "new\nline"}) {
    const std::string id = RequestIdFor(bad);
    EXPECT_NE(id, bad);
    EXPECT_THAT(id, ::testing::MatchesRegex("[0-9a-f]{16}"));
  }
}

TEST(observability_RequestIdTest, NewIdsAreSixteenHexDigitsAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewRequestId();
    EXPECT_THAT(id, ::testing::MatchesRegex("[0-9a-f]{16}"));
    EXPECT_TRUE(IsAcceptableRequestId(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(observability_RequestIdTest, FormatKeepsLeadingZeros) {
  EXPECT_EQ(FormatRequestId(0), "0000000000000000");
  EXPECT_EQ(FormatRequestId(0xabc), "0000000000000abc");
  EXPECT_EQ(FormatRequestId(0xffffffffffffffffULL), "ffffffffffffffff");
}

}  // namespace
}  // namespace maskfleet::observability
