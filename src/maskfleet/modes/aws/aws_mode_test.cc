#include "maskfleet/modes/aws/aws_mode.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

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
  Result<std::string> url = DatabaseUrlWithCredentials("mysql://old:old@db.example/maskfleet",
                                                       {"new user", "pw"});
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

constexpr char kAlb[] =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/maskf-Entry/50dc6c495c0c9188";
constexpr char kOtherAlb[] =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef";

TEST(AwsModeTest, TheCountingBalancerIsTheOneForwardingToTheTargetGroup) {
  EXPECT_EQ(ChooseCountingBalancer("", {kAlb}).value().arn, kAlb);
  // None forwards yet, or several: no counts, and the log says why.
  Result<CountingBalancer> none = ChooseCountingBalancer("", {});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->arn.empty());
  EXPECT_NE(none->note.find("no load balancer forwards"), std::string::npos) << none->note;
  Result<CountingBalancer> two = ChooseCountingBalancer("", {kAlb, kOtherAlb});
  ASSERT_TRUE(two);
  EXPECT_TRUE(two->arn.empty());
  EXPECT_NE(two->note.find("aws.load_balancer_arn"), std::string::npos) << two->note;
  // The one configured, among several.
  EXPECT_EQ(ChooseCountingBalancer(kOtherAlb, {kAlb, kOtherAlb}).value().arn, kOtherAlb);
}

TEST(AwsModeTest, AConfiguredCountingBalancerThatIsWrongIsRefusedByName) {
  Result<CountingBalancer> elsewhere = ChooseCountingBalancer(kOtherAlb, {kAlb});
  ASSERT_FALSE(elsewhere);
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(elsewhere.error().message.find("aws.load_balancer_arn"), std::string::npos);
  EXPECT_NE(elsewhere.error().message.find(kAlb), std::string::npos) << elsewhere.error().message;
  for (const char* wrong :
       {"app/maskf-Entry/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/maskf-Entry/50dc6c495c0c9188",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/maskf-Worke-ABC/0123456789abcdef"}) {
    Result<CountingBalancer> refused = ChooseCountingBalancer(wrong, {});
    ASSERT_FALSE(refused) << wrong;
    EXPECT_NE(refused.error().message.find("aws.load_balancer_arn"), std::string::npos) << wrong;
    EXPECT_NE(refused.error().message.find("Application Load Balancer"), std::string::npos)
        << refused.error().message;
  }
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

// What the manager needs is checked before any call to AWS, each missing setting named.
TEST(AwsModeTest, ManagerWithoutItsAwsSettingsIsRefusedByName) {
  manager::ManagerConfig config;
  config.shared.mode = "aws";
  config.lb_public_url = "http://balancer.example/";
  config.shared.aws.launch_template = "lt-0123";
  auto refused = [&](const std::string& key) {
    Result<manager::ManagerBackends> b = MakeManagerBackends(config, "", RealClock());
    if (b.has_value()) return ::testing::AssertionFailure() << "accepted";
    if (b.error().code != ErrorCode::kInvalidArgument || b.error().message.find(key) == std::string::npos) {
      return ::testing::AssertionFailure() << b.error().ToString();
    }
    return ::testing::AssertionSuccess();
  };
  EXPECT_TRUE(refused("aws.target_group_arn"));
  config.shared.aws.target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1";
  config.shared.aws.launch_template.clear();
  config.shared.aws.image_id = "ami-0123";  // an image without an instance type
  EXPECT_TRUE(refused("aws.launch_template"));
  config.shared.aws.instance_type = "t3.small";
  config.lb_public_url.clear();
  EXPECT_TRUE(refused("manager.lb_public_url"));
}

// Without a launch template the configuration file becomes the workers' user data,
// which anyone who may describe an instance reads: a file with a password is refused.
TEST(AwsModeTest, ConfigurationFileWithAPasswordIsNotSentAsUserData) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("maskfleet-aws-mode-" + std::to_string(::getpid()) + ".toml");
  manager::ManagerConfig config;
  config.shared.mode = "aws";
  config.lb_public_url = "http://balancer.example/";
  config.shared.aws.target_group_arn = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/1";
  config.shared.aws.image_id = "ami-0123";
  config.shared.aws.instance_type = "t3.small";
  config.config_file = file;
  for (const char* secret :
       {"[admin]\npassword = \"x\"\n", "[database]\npassword = \"x\"\n", "[mail]\nsmtp_password = \"x\"\n"}) {
    std::ofstream(file) << "[deployment]\nmode = \"aws\"\n" << secret;
    Result<manager::ManagerBackends> b = MakeManagerBackends(config, "", RealClock());
    ASSERT_FALSE(b.has_value()) << secret;
    EXPECT_EQ(b.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(b.error().message.find("user data"), std::string::npos) << b.error().message;
  }
  config.config_file.clear();  // no file at all: nothing to hand the workers
  Result<manager::ManagerBackends> none = MakeManagerBackends(config, "", RealClock());
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message.find("--config"), std::string::npos) << none.error().message;
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace maskfleet::modes::aws
