#include "maskfleet/auth/token.h"

#include <gtest/gtest.h>

#include <set>

namespace maskfleet::auth {
namespace {

TEST(TokenTest, IsBase64UrlWithoutPadding) {
  const std::string token = NewToken();
  ASSERT_EQ(token.size(), kTokenChars);
  for (const char c : token) {
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << c;
  }
  EXPECT_TRUE(IsWellFormedToken(token));
}

TEST(TokenTest, TokensDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(NewToken());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(TokenTest, MalformedTokensAreRecognised) {
  std::string token = NewToken();
  EXPECT_FALSE(IsWellFormedToken(""));
  EXPECT_FALSE(IsWellFormedToken(token.substr(1)));
  EXPECT_FALSE(IsWellFormedToken(token + "A"));
  std::string bad = token;
  bad[5] = '+';  // standard base64, not base64url
  EXPECT_FALSE(IsWellFormedToken(bad));
  bad = token;
  bad[10] = '=';
  EXPECT_FALSE(IsWellFormedToken(bad));
}

TEST(TokenTest, HashIsSha256Hex) {
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string token = NewToken();
  EXPECT_EQ(TokenHash(token), TokenHash(token));
  EXPECT_NE(TokenHash(token), TokenHash(NewToken()));
}

TEST(TokenTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abcdef", "abcdef"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abcdeg"));
  EXPECT_FALSE(ConstantTimeEquals("abcdef", "abcde"));
  EXPECT_FALSE(ConstantTimeEquals("a", ""));
}

}  // namespace
}  // namespace maskfleet::auth
