#include "maskfleet/objectstore/object_key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace maskfleet::objectstore {
namespace {

TEST(objectstore_ObjectKeyTest, AcceptsOrdinaryKeys) {
  for (const char* key : {"a", "images/42/17/original.jpg", "A-Z_a-z.0-9", "x/y.z/w", "a..b",
                          "images/1/thumb-256x256.webp", "trailing.dot."}) {
    EXPECT_TRUE(ValidateObjectKey(key)) << key;
  }
  EXPECT_TRUE(ValidateObjectKey(std::string(kMaxObjectKeySegmentLength, 'a')));
  std::string longest;
  while (longest.size() + 3 <= kMaxObjectKeyLength) longest += "a/";
  longest += "a";
  ASSERT_LE(longest.size(), kMaxObjectKeyLength);
  EXPECT_TRUE(ValidateObjectKey(longest));
}

TEST(objectstore_ObjectKeyTest, RefusesHostileKeys) {
  const std::vector<std::string> hostile = {
      "",
      "/etc/passwd",
      "..",
      ".",
      "../x",
      "a/../../etc/passwd",
      "a/./b",
      "a/..",
      "a//b",
      "a/",
      "/",
      "a\\..\\b",
      "..\\windows",
      ".hidden",
      "a/.tmp-123",
      std::string("a\0b", 3),
      "a b",
      "a\nb",
      "a%2e%2e/b",
      "caf\xc3\xa9",
      "a:b",
      "~/x",
      "$HOME",
      "a*",
      "a?b",
      "%2F",
      std::string(kMaxObjectKeySegmentLength + 1, 'a'),
      std::string(kMaxObjectKeyLength + 1, 'a'),
  };
  for (const std::string& key : hostile) {
    auto st = ValidateObjectKey(key);
    ASSERT_FALSE(st) << "accepted: " << key;
    EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
    EXPECT_LT(st.error().message.size(), 200u);  // never echoes a huge key
  }
}

TEST(objectstore_ObjectKeyTest, PrefixesMayBeEmptyOrEndMidwayOrWithSlash) {
  for (const char* prefix : {"", "images", "images/", "images/4", "images/42/"}) {
    EXPECT_TRUE(ValidateObjectPrefix(prefix)) << prefix;
  }
  for (const char* prefix : {"/", "/images", "../", "images//", "images/../", "images/.", "a b"}) {
    EXPECT_FALSE(ValidateObjectPrefix(prefix)) << prefix;
  }
}

TEST(objectstore_ObjectKeyTest, SanitizeMakesValidSegments) {
  EXPECT_EQ(SanitizeKeySegment("photo.jpg"), "photo.jpg");
  EXPECT_EQ(SanitizeKeySegment("my photo (1).jpg"), "my_photo__1_.jpg");
  EXPECT_EQ(SanitizeKeySegment("../../etc/passwd"), "___.._etc_passwd");
  EXPECT_EQ(SanitizeKeySegment(".."), "__");
  EXPECT_EQ(SanitizeKeySegment("."), "_");
  EXPECT_EQ(SanitizeKeySegment(""), "_");
  EXPECT_EQ(SanitizeKeySegment(".bashrc"), "_bashrc");
  EXPECT_EQ(SanitizeKeySegment("a/b\\c"), "a_b_c");
  EXPECT_EQ(SanitizeKeySegment("caf\xc3\xa9"), "caf__");
  EXPECT_EQ(SanitizeKeySegment(std::string("a\0b", 3)), "a_b");
  EXPECT_EQ(SanitizeKeySegment("abcdef", 3), "abc");
  EXPECT_EQ(SanitizeKeySegment(std::string(1000, 'x')).size(), kMaxObjectKeySegmentLength);
  for (const char* text : {"..", "/", "", "../x", ".", "a b", "\xff\xfe", "x/../..", "...."}) {
    EXPECT_TRUE(ValidateObjectKey(SanitizeKeySegment(text))) << text;
    EXPECT_TRUE(ValidateObjectKey("images/1/" + SanitizeKeySegment(text))) << text;
  }
}

}  // namespace
}  // namespace maskfleet::objectstore
