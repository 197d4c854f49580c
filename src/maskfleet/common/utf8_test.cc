#include "maskfleet/common/utf8.h"

#include <string>

#include <gtest/gtest.h>

namespace maskfleet {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8Test, ValidTextWithinTheLimitIsUnchanged) {
  EXPECT_EQ(ToValidUtf8("photo.jpg", 100), "photo.jpg");
  EXPECT_EQ(ToValidUtf8("f\xC3\xBCr.png", 8), "f\xC3\xBCr.png");  // "für.png", exactly 8 bytes
  EXPECT_EQ(ToValidUtf8("f\xC3\xBCr.png", 7), "f\xC3\xBCr.pn");
  EXPECT_EQ(ToValidUtf8("", 0), "");
}

TEST(Utf8Test, InvalidSequencesBecomeTheReplacementCharacter) {
  EXPECT_EQ(ToValidUtf8("a\xFF"
                        "b",
                        100),
            "a" + kReplacement + "b");
  EXPECT_EQ(ToValidUtf8("\x80", 100), kReplacement);                     // stray continuation
  EXPECT_EQ(ToValidUtf8("\xC0\xAF", 100).find('/'), std::string::npos);  // overlong '/'
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xED\xA0\x80", 100)));            // a surrogate
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xF4\x90\x80\x80", 100)));        // above U+10FFFF
  EXPECT_EQ(ToValidUtf8("ab\xE2\x82", 100), "ab" + kReplacement);        // cut short at the end
  EXPECT_FALSE(IsValidUtf8("a\xFF"));
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));
}

// "€" is 3 bytes: a limit that ends inside it drops it whole.
TEST(Utf8Test, CutsOnACharacterBoundary) {
  const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC";  // 6 bytes, 2 characters
  EXPECT_EQ(ToValidUtf8(euros, 6), euros);
  EXPECT_EQ(ToValidUtf8(euros, 5), "\xE2\x82\xAC");
  EXPECT_EQ(ToValidUtf8(euros, 4), "\xE2\x82\xAC");
  EXPECT_EQ(ToValidUtf8(euros, 3), "\xE2\x82\xAC");
  EXPECT_EQ(ToValidUtf8(euros, 2), "");
  EXPECT_EQ(ToValidUtf8("abc", 2), "ab");
  EXPECT_EQ(ToValidUtf8("abc", 3), "abc");
}

TEST(Utf8Test, ALongNonAsciiNameIsCutValid) {
  std::string name;
  for (int i = 0; i < 1000; ++i) name += "\xC3\xA9";  // "é" x 1000 = 2000 bytes
  name = "x" + name + name;                           // 4001 bytes: odd, so 2048 splits one
  const std::string cut = ToValidUtf8(name, 2048);
  EXPECT_EQ(cut.size(), 2047u);
  EXPECT_TRUE(IsValidUtf8(cut));
}

TEST(Utf8Test, ReplacementCountsAgainstTheLimit) {
  const std::string cut = ToValidUtf8("ab\xFF\xFF", 4);  // "ab" + U+FFFD U+FFFD = 8 bytes
  EXPECT_EQ(cut, "ab");
  EXPECT_EQ(ToValidUtf8("ab\xFF", 5), "ab" + kReplacement);
}

}  // namespace
}  // namespace maskfleet
