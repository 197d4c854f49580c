#include "maskfleet/auth/password_hash.h"

#include <gtest/gtest.h>

namespace maskfleet::auth {
namespace {

const PasswordHashOptions kFast = PasswordHashOptions::Minimum();

TEST(PasswordHashTest, VerifiesTheRightPasswordAndRefusesAWrongOne) {
  Result<std::string> hash = HashPassword("correct horse", kFast);
  ASSERT_TRUE(hash) << hash.error().ToString();
  EXPECT_TRUE(hash->starts_with("$argon2id$"));
  EXPECT_EQ(VerifyPassword("correct horse", *hash), true);
  EXPECT_EQ(VerifyPassword("correct horsE", *hash), false);
  EXPECT_EQ(VerifyPassword("", *hash), false);
}

TEST(PasswordHashTest, SaltsEachHash) {
  Result<std::string> a = HashPassword("same password", kFast);
  Result<std::string> b = HashPassword("same password", kFast);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
}

TEST(PasswordHashTest, PasswordsWithNulBytesAreHashedWhole) {
  const std::string with_nul("abc\0def", 7);
  Result<std::string> hash = HashPassword(with_nul, kFast);
  ASSERT_TRUE(hash);
  EXPECT_EQ(VerifyPassword(with_nul, *hash), true);
  EXPECT_EQ(VerifyPassword("abc", *hash), false);
}

TEST(PasswordHashTest, CorruptStoredHashIsAnInternalError) {
  Result<bool> verified = VerifyPassword("x", "not-a-hash");
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(VerifyPassword("x", std::string(200, '$')));
}

TEST(PasswordHashTest, CostsOutOfBoundsAreRefused) {
  Result<std::string> hash = HashPassword("pw", PasswordHashOptions{0, 8192});
  ASSERT_FALSE(hash);
  EXPECT_EQ(hash.error().code, ErrorCode::kInvalidArgument);
}

TEST(PasswordHashTest, NeedsRehashWhenCostsChange) {
  Result<std::string> hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(NeedsRehash(*hash, kFast));
  EXPECT_TRUE(NeedsRehash(*hash, PasswordHashOptions{2, 16384}));
  EXPECT_TRUE(NeedsRehash("garbage", kFast));
}

TEST(PasswordHashTest, DefaultCostsWork) {
  Result<std::string> hash = HashPassword("a real password");
  ASSERT_TRUE(hash);
  EXPECT_NE(hash->find("m=65536,t=2"), std::string::npos) << *hash;
  EXPECT_EQ(VerifyPassword("a real password", *hash), true);
}

}  // namespace
}  // namespace maskfleet::auth
