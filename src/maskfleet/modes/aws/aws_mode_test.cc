#include "maskfleet/modes/aws/aws_mode.h"

#include <gtest/gtest.h>

namespace maskfleet::modes::aws {
namespace {

TEST(AwsModeTest, SecretAsRdsWritesItGivesUserAndPassword) {
  Result<DatabaseCredentials> c = ParseDatabaseSecret(
      R"({"username": "maskfleet", "password": "p@ss:w/rd", "host": "db.example", "port": 5432})");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->username, "maskfleet");
  EXPECT_EQ(c->password, "p@ss:w/rd");
}

TEST(AwsModeTest, PlainTextSecretIsThePasswordAlone) {
  Result<DatabaseCredentials> c = ParseDatabaseSecret("just-the-password");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->username, "");
  EXPECT_EQ(c->password, "just-the-password");
}

TEST(AwsModeTest, JsonSecretWithoutPasswordIsRefused) {
  for (const char* secret : {R"({"username": "u"})", R"({"password": 5})", "{not json"}) {
    Result<DatabaseCredentials> c = ParseDatabaseSecret(secret);
    ASSERT_FALSE(c.has_value()) << secret;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(AwsModeTest, PasswordGoesIntoTheUrlEncoded) {
  Result<std::string> url = DatabaseUrlWithCredentials(
      "postgresql://maskfleet@db.example:5432/maskfleet?sslmode=verify-full", {"", "p@ss:w/rd"});
  ASSERT_TRUE(url.has_value()) << url.error().ToString();
  EXPECT_EQ(*url, "postgresql://maskfleet:p%40ss%3Aw%2Frd@db.example:5432/maskfleet?sslmode=verify-full");
}

TEST(AwsModeTest, SecretsUserReplacesTheUrlsAndAnOldPasswordIsDropped) {
  Result<std::string> url = DatabaseUrlWithCredentials("mysql://old:old@db.example/maskfleet", {"new user", "pw"});
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(*url, "mysql://new%20user:pw@db.example/maskfleet");
  Result<std::string> bare = DatabaseUrlWithCredentials("postgresql://db.example/m", {"u", "pw"});
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(*bare, "postgresql://u:pw@db.example/m");
}

TEST(AwsModeTest, SqliteUrlIsLeftAlone) {
  EXPECT_EQ(DatabaseUrlWithCredentials("sqlite:data/m.db", {"u", "pw"}).value(), "sqlite:data/m.db");
}

TEST(AwsModeTest, UrlWithoutSchemeOrHostIsRefused) {
  EXPECT_FALSE(DatabaseUrlWithCredentials("db.example/m", {"", "pw"}).has_value());
  EXPECT_FALSE(DatabaseUrlWithCredentials("postgresql:///m", {"", "pw"}).has_value());
}

TEST(AwsModeTest, UserDataWritesTheWorkersConfigurationFile) {
  EXPECT_EQ(WorkerUserData("[deployment]\nmode = \"aws\"\n"),
            "#cloud-config\n"
            "write_files:\n"
            "  - path: /etc/maskfleet/worker.toml\n"
            "    permissions: \"0644\"\n"
            "    content: |\n"
            "      [deployment]\n"
            "      mode = \"aws\"\n");
}

}  // namespace
}  // namespace maskfleet::modes::aws
