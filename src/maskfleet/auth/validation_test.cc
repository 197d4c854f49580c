#include "maskfleet/auth/validation.h"

#include <gtest/gtest.h>

namespace maskfleet::auth {
namespace {

void ExpectRefused(const Status& status, std::string_view message_part) {
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(status.error().message.find(message_part), std::string::npos) << status.error().message;
}

TEST(ValidateUsernameTest, AcceptsTheStatedSet) {
  EXPECT_TRUE(ValidateUsername("a"));
  EXPECT_TRUE(ValidateUsername("Ann.Lee_2-x@example.com"));
  EXPECT_TRUE(ValidateUsername(std::string(100, 'z')));
}

TEST(ValidateUsernameTest, RefusesWithAnActionableMessage) {
  constexpr std::string_view kRule = "username must be 1 to 100 characters: letters, digits, . _ - @";
  ExpectRefused(ValidateUsername(""), kRule);
  ExpectRefused(ValidateUsername(std::string(101, 'a')), "(it has 101)");
  ExpectRefused(ValidateUsername("ann lee"), "character 4");
  for (std::string_view bad : {"a'b", "a;b", "<script>", "a\nb", "a/b", "ann\xc3\xa9", "a+b"}) {
    ExpectRefused(ValidateUsername(bad), kRule);
  }
}

TEST(ValidatePasswordTest, Bounds) {
  EXPECT_TRUE(ValidatePassword("12345678"));
  EXPECT_TRUE(ValidatePassword(std::string(256, 'x')));
  EXPECT_TRUE(ValidatePassword("pässwörd with spaces"));
  ExpectRefused(ValidatePassword("1234567"), "password must be 8 to 256 characters long");
  ExpectRefused(ValidatePassword(std::string(257, 'x')), "8 to 256");
  ExpectRefused(ValidatePassword("abc", PasswordRules{.min_bytes = 4, .max_bytes = 10}), "4 to 10");
  EXPECT_TRUE(ValidatePassword("abcd", PasswordRules{.min_bytes = 4, .max_bytes = 10}));
}

TEST(ValidatePasswordTest, RefusesControlCharactersWithoutEchoingThePassword) {
  Status status = ValidatePassword("secret\npassword");
  ExpectRefused(status, "control characters");
  EXPECT_EQ(status.error().message.find("secret"), std::string::npos);
  ExpectRefused(ValidatePassword(std::string("secret\0password", 15)), "control characters");
}

TEST(ValidateEmailTest, AcceptsEverydayAddresses) {
  for (std::string_view good : {"ann@example.com", "a.b+tag@mail.example.co.uk", "x_y-z@a-b.io",
                                "o'neil@example.org"}) {
    EXPECT_TRUE(ValidateEmail(good)) << good;
  }
}

TEST(ValidateEmailTest, RefusesMalformed) {
  for (std::string_view bad :
       {"", "ann", "@example.com", "ann@", "ann@localhost", "ann@@example.com", ".ann@example.com",
        "ann.@example.com", "a..b@example.com", "ann@-example.com", "ann@example-.com",
        "ann@exa_mple.com", "ann@example..com", "ann lee@example.com", "ann@example.com\r\nBcc: x@y.z",
        "\"ann\"@example.com"}) {
    ExpectRefused(ValidateEmail(bad), "email must look like name@example.com");
  }
  ExpectRefused(ValidateEmail(std::string(65, 'a') + "@example.com"), "1 to 64");
  ExpectRefused(ValidateEmail("a@" + std::string(250, 'b') + ".com"), "254");
}

}  // namespace
}  // namespace maskfleet::auth
