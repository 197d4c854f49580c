#include "maskfleet/storage/database_url.h"

#include <gtest/gtest.h>

namespace maskfleet::storage {
namespace {

TEST(storage_DatabaseUrlTest, SqliteRelativeAndAbsolute) {
  auto rel = ParseDatabaseUrl("sqlite:data/maskfleet.db");
  ASSERT_TRUE(rel) << rel.error().ToString();
  EXPECT_EQ(rel->backend, Backend::kSqlite);
  EXPECT_EQ(rel->database, "data/maskfleet.db");
  EXPECT_EQ(rel->connect_string, "db=\"data/maskfleet.db\"");

  auto abs = ParseDatabaseUrl("sqlite:///var/lib/maskfleet/db.sqlite");
  ASSERT_TRUE(abs);
  EXPECT_EQ(abs->database, "/var/lib/maskfleet/db.sqlite");

  auto spaced = ParseDatabaseUrl("sqlite:/tmp/a b/c.db");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->connect_string, "db=\"/tmp/a b/c.db\"");
}

TEST(storage_DatabaseUrlTest, SqliteRefusesWhatItCannotQuote) {
  EXPECT_EQ(ParseDatabaseUrl("sqlite:").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseDatabaseUrl("sqlite:a\"b.db").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseDatabaseUrl("sqlite://host/db").error().code, ErrorCode::kInvalidArgument);
}

TEST(storage_DatabaseUrlTest, PostgresqlFull) {
  auto url = ParseDatabaseUrl("postgresql://alice:s3cr%27t@db.example:6543/mask%20fleet?sslmode=require");
  ASSERT_TRUE(url) << url.error().ToString();
  EXPECT_EQ(url->backend, Backend::kPostgresql);
  EXPECT_EQ(url->database, "mask fleet");
  EXPECT_EQ(url->connect_string,
            "dbname='mask fleet' host='db.example' port=6543 user='alice' password='s3cr\\'t' "
            "sslmode='require' connect_timeout=10");
  EXPECT_EQ(url->redacted, "postgresql://alice:***@db.example:6543/mask%20fleet");
}

TEST(storage_DatabaseUrlTest, MysqlWithoutPortOrPassword) {
  auto url = ParseDatabaseUrl("mysql://bob@127.0.0.1/maskfleet");
  ASSERT_TRUE(url) << url.error().ToString();
  EXPECT_EQ(url->backend, Backend::kMysql);
  EXPECT_EQ(url->connect_string,
            "db='maskfleet' host='127.0.0.1' user='bob' charset=utf8mb4 connect_timeout=10");
  EXPECT_EQ(url->redacted, "mysql://bob@127.0.0.1/maskfleet");
}

TEST(storage_DatabaseUrlTest, GivenConnectTimeoutReplacesTheDefault) {
  auto url = ParseDatabaseUrl("mysql://u@h/db?connect_timeout=3");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->connect_string.ends_with(" connect_timeout='3'")) << url->connect_string;
}

TEST(storage_DatabaseUrlTest, Ipv6Host) {
  auto url = ParseDatabaseUrl("postgres://u:p@[::1]:5432/db");
  ASSERT_TRUE(url) << url.error().ToString();
  EXPECT_NE(url->connect_string.find("host='::1' port=5432"), std::string::npos);
}

TEST(storage_DatabaseUrlTest, BackslashInPasswordIsEscaped) {
  auto url = ParseDatabaseUrl("mysql://u:a%5Cb@h/db");
  ASSERT_TRUE(url);
  EXPECT_NE(url->connect_string.find("password='a\\\\b'"), std::string::npos);
}

TEST(storage_DatabaseUrlTest, ErrorsNeverContainThePassword) {
  for (const char* bad :
       {"postgresql://u:topsecret@h:99999/db", "postgresql://u:topsecret@h", "mysql://u:topsecret@/db",
        "postgresql://u:topsecret@h/db?x%=1", "postgresql://u:topsecret@h/db?Bad=1", "u:topsecret@h/db",
        "postgresql://u:topsecret%zz@h/db"}) {
    auto url = ParseDatabaseUrl(bad);
    ASSERT_FALSE(url) << bad;
    EXPECT_EQ(url.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_EQ(url.error().message.find("topsecret"), std::string::npos) << url.error().message;
  }
}

TEST(storage_DatabaseUrlTest, UnknownScheme) {
  EXPECT_EQ(ParseDatabaseUrl("oracle://h/db").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseDatabaseUrl("").error().code, ErrorCode::kInvalidArgument);
}

TEST(storage_DatabaseUrlTest, BackendNames) {
  EXPECT_EQ(BackendName(Backend::kSqlite), "sqlite");
  EXPECT_EQ(BackendName(Backend::kPostgresql), "postgresql");
  EXPECT_EQ(BackendName(Backend::kMysql), "mysql");
}

}  // namespace
}  // namespace maskfleet::storage
