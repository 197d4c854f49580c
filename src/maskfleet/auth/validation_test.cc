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
  for (std::string_view good :
       {"ann@example.com", "a.b+tag@mail.example.co.uk", "x_y-z@a-b.io", "o'neil@example.org"}) {
    EXPECT_TRUE(ValidateEmail(good)) << good;
  }
}

TEST(ValidateEmailTest, RefusesMalformed) {
  for (std::string_view bad :
       {"", "ann", "@example.com", "ann@", "ann@localhost", "ann@@example.com", ".ann@example.com",
        "ann.@example.com", "a..b@example.com", "ann@-example.com", "ann@example-.com", "ann@exa_mple.com",
        "ann@example..com", "ann lee@example.com", "ann@example.com\r\nBcc: x@y.z", "\"ann\"@example.com"}) {
    ExpectRefused(ValidateEmail(bad), "email must look like name@example.com");
  }
  ExpectRefused(ValidateEmail(std::string(65, 'a') + "@example.com"), "1 to 64");
  ExpectRefused(ValidateEmail("a@" + std::string(250, 'b') + ".com"), "254");
}

// ---- Exact boundaries: the value at each limit, one under, one over.

TEST(ValidateUsernameTest, CharacterClassEdges) {
  // Each end of a-z, A-Z, 0-9 is accepted; the ASCII neighbours outside are not
  // ('@' is the one neighbour that is allowed on its own).
  for (std::string_view good : {"a", "z", "A", "Z", "0", "9", ".", "_", "-", "@"}) {
    EXPECT_TRUE(ValidateUsername(good)) << good;
  }
  for (std::string_view bad : {"`", "{", "[", "/", ":", "?", ",", "^", "~"}) {
    ExpectRefused(ValidateUsername(bad), "(character 1 is not one of them)");
  }
}

TEST(ValidateUsernameTest, NamesTheFirstOffendingCharacter) {
  ExpectRefused(ValidateUsername("ab!c!"), "(character 3 is not one of them)");
  ExpectRefused(ValidateUsername("!"), "(character 1 is not one of them)");
  ExpectRefused(ValidateUsername(std::string(99, 'a') + "!"), "(character 100 is not one of them)");
}

TEST(ValidatePasswordTest, ControlCharacterEdges) {
  const struct {
    const char* name;
    char c;
    bool allowed;
  } cases[] = {{"NUL", '\x00', false},      {"unit separator 0x1f", '\x1f', false},
               {"space 0x20", ' ', true},   {"tilde 0x7e", '~', true},
               {"DEL 0x7f", '\x7f', false}, {"first non-ASCII byte 0x80", '\x80', true},
               {"byte 0xff", '\xff', true}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string password = "abcd" + std::string(1, c.c) + "efgh";
    if (c.allowed) {
      EXPECT_TRUE(ValidatePassword(password));
    } else {
      ExpectRefused(ValidatePassword(password), "control characters");
    }
  }
}

TEST(ValidatePasswordTest, ControlCharacterAtEitherEnd) {
  ExpectRefused(ValidatePassword("\tpassword"), "control characters");
  ExpectRefused(ValidatePassword("password\x7f"), "control characters");
}

TEST(ValidatePasswordTest, CustomUpperBound) {
  const PasswordRules rules{.min_bytes = 4, .max_bytes = 10};
  EXPECT_TRUE(ValidatePassword(std::string(10, 'x'), rules));
  ExpectRefused(ValidatePassword(std::string(11, 'x'), rules), "4 to 10");
  ExpectRefused(ValidatePassword(std::string(3, 'x'), rules), "4 to 10");
}

// A valid address of exactly `size` characters: a 64-character local part, '@',
// then labels of at most 63 characters.
std::string EmailOfLength(std::size_t size) {
  std::string domain;
  const std::size_t domain_size = size - 65;
  while (domain.size() + 64 < domain_size) domain += std::string(63, 'd') + ".";
  domain += std::string(domain_size - domain.size(), 'c');
  return std::string(64, 'l') + "@" + domain;
}

TEST(ValidateEmailTest, TotalLengthAt254And255) {
  const std::string at_limit = EmailOfLength(254);
  ASSERT_EQ(at_limit.size(), 254u);
  EXPECT_TRUE(ValidateEmail(at_limit)) << at_limit;
  const std::string over = EmailOfLength(255);
  ASSERT_EQ(over.size(), 255u);
  ExpectRefused(ValidateEmail(over), "it is longer than 254 characters");
}

TEST(ValidateEmailTest, LocalPartAt1And64) {
  EXPECT_TRUE(ValidateEmail("a@example.com"));
  EXPECT_TRUE(ValidateEmail(std::string(64, 'a') + "@example.com"));
  ExpectRefused(ValidateEmail(std::string(65, 'a') + "@example.com"),
                "the part before @ must be 1 to 64 characters");
  ExpectRefused(ValidateEmail("@example.com"), "the part before @ must be 1 to 64 characters");
}

TEST(ValidateEmailTest, DomainLabelAt63And64) {
  EXPECT_TRUE(ValidateEmail("a@" + std::string(63, 'b') + ".com"));
  ExpectRefused(ValidateEmail("a@" + std::string(64, 'b') + ".com"), "the domain after @ is malformed");
  EXPECT_TRUE(ValidateEmail("a@example." + std::string(63, 'c')));
  ExpectRefused(ValidateEmail("a@example." + std::string(64, 'c')), "the domain after @ is malformed");
}

TEST(ValidateEmailTest, EveryAtextSpecialIsAllowedBeforeTheAt) {
  for (const char c : std::string_view("!#$%&'*+-/=?^_`{|}~")) {
    EXPECT_TRUE(ValidateEmail(std::string("a") + c + "b@example.com")) << c;
  }
}

TEST(ValidateEmailTest, CharactersOutsideAtextAreRefusedBeforeTheAt) {
  for (const char c : std::string_view("\"(),:;<>[\\] @")) {
    SCOPED_TRACE(std::string(1, c));
    ExpectRefused(ValidateEmail(std::string("a") + c + "b@example.com"),
                  "the part before @ has a character not allowed there");
  }
}

TEST(ValidateEmailTest, DotsInTheLocalPart) {
  EXPECT_TRUE(ValidateEmail("a.b@example.com"));
  for (std::string_view bad : {".a@example.com", "a.@example.com", "a..b@example.com", ".@example.com"}) {
    ExpectRefused(ValidateEmail(bad), "dots before @ must separate words");
  }
}

TEST(ValidateEmailTest, DomainLabelEdges) {
  EXPECT_TRUE(ValidateEmail("a@b.c"));  // two one-character labels
  EXPECT_TRUE(ValidateEmail("a@a-b.c-d"));
  EXPECT_TRUE(ValidateEmail("a@A-Z.0-9"));
  for (std::string_view bad : {"a@-b.com", "a@b-.com", "a@b.-com", "a@b.com-"}) {
    ExpectRefused(ValidateEmail(bad), "the domain after @ is malformed");
  }
  for (std::string_view bad : {"a@.example.com", "a@example.com.", "a@example..com", "a@."}) {
    ExpectRefused(ValidateEmail(bad), "the domain after @ is malformed");
  }
  ExpectRefused(ValidateEmail("a@b_c.com"), "the domain after @ has a character not allowed there");
  ExpectRefused(ValidateEmail("a@b.c_"), "the domain after @ has a character not allowed there");
}

TEST(ValidateEmailTest, DomainNeedsTwoLabels) {
  ExpectRefused(ValidateEmail("a@localhost"), "the domain after @ needs a dot, as in example.com");
  EXPECT_TRUE(ValidateEmail("a@example.com"));
  ExpectRefused(ValidateEmail("a@"), "nothing after @");
  ExpectRefused(ValidateEmail("ann"), "it has no @");
  ExpectRefused(ValidateEmail(""), "it is empty");
}

TEST(ValidateEmailTest, TheLastAtSeparatesTheParts) {
  // "a@b" before the last @ holds an @, which atext does not allow.
  ExpectRefused(ValidateEmail("a@b@example.com"), "the part before @ has a character not allowed there");
}

}  // namespace
}  // namespace maskfleet::auth
