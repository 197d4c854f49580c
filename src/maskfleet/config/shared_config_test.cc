#include "maskfleet/config/shared_config.h"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace maskfleet::config {
namespace {

class SharedConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("maskfleet-shared-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<SharedConfig> Read(const std::string& text) {
    const auto path = dir_ / "maskfleet.toml";
    std::ofstream(path) << text;
    Result<ConfigSource> source = ConfigSource::FromFile(path, [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    });
    if (!source) return std::unexpected(source.error());
    Result<SharedConfig> read = SharedConfig::Read(*source);
    if (read) {
      EXPECT_TRUE(source->RejectUnknownKeys().has_value()) << "a shared key went unread";
    }
    return read;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(SharedConfigTest, ModeIsLocalByDefault) {
  Result<SharedConfig> c = Read("");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->mode, "local");
}

TEST_F(SharedConfigTest, ModeLocalFromTheFileOrTheEnvironment) {
  Result<SharedConfig> file = Read("[deployment]\nmode = \"local\"\n");
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  EXPECT_EQ(file->mode, "local");
  env_["MASKFLEET_DEPLOYMENT_MODE"] = "local";
  EXPECT_TRUE(Read("").has_value());
}

TEST_F(SharedConfigTest, UnknownModeIsRefusedByName) {
  for (const char* mode : {"AWS", "Local", "", "local ", "kubernetes"}) {
    Result<SharedConfig> c = Read(std::string("[deployment]\nmode = \"") + mode + "\"\n");
    ASSERT_FALSE(c.has_value()) << mode;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find("deployment.mode must be local or aws"), std::string::npos)
        << c.error().message;
    EXPECT_NE(c.error().message.find(std::string("'") + mode + "'"), std::string::npos) << c.error().message;
  }
  env_["MASKFLEET_DEPLOYMENT_MODE"] = "cloud";
  EXPECT_FALSE(Read("[deployment]\nmode = \"local\"\n").has_value());
}

TEST_F(SharedConfigTest, ModeAwsIsAccepted) {
  Result<SharedConfig> c = Read("[deployment]\nmode = \"aws\"\n");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->mode, "aws");
}

// The [aws] section exactly as the CloudFormation stack writes it
// (deploy/aws/maskfleet.yaml, docs/aws.md): every key read, none unknown.
TEST_F(SharedConfigTest, TheStacksAwsSectionIsReadWhole) {
  Result<SharedConfig> c = Read(
      "[aws]\nregion = \"us-east-1\"\nlaunch_template = \"lt-0123\"\nimage_id = \"ami-0123\"\n"
      "instance_type = \"t3.small\"\nsubnets = [\"subnet-0aaa\", \"subnet-0bbb\"]\n"
      "security_group = \"sg-0123\"\ntarget_group_arn = \"arn:aws:elasticloadbalancing:tg\"\n"
      "bucket = \"photos\"\nprefix = \"img/\"\nmetric_namespace = \"mf\"\npool_name = \"p1\"\n"
      "max_instances = 5\ndatabase_secret_arn = \"arn:aws:secretsmanager:s\"\n");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->aws.region, "us-east-1");
  EXPECT_EQ(c->aws.launch_template, "lt-0123");
  EXPECT_EQ(c->aws.image_id, "ami-0123");
  EXPECT_EQ(c->aws.instance_type, "t3.small");
  EXPECT_EQ(c->aws.subnets, (std::vector<std::string>{"subnet-0aaa", "subnet-0bbb"}));
  EXPECT_EQ(c->aws.security_group, "sg-0123");
  EXPECT_EQ(c->aws.target_group_arn, "arn:aws:elasticloadbalancing:tg");
  EXPECT_EQ(c->aws.bucket, "photos");
  EXPECT_EQ(c->aws.prefix, "img/");
  EXPECT_EQ(c->aws.metric_namespace, "mf");
  EXPECT_EQ(c->aws.pool_name, "p1");
  EXPECT_EQ(c->aws.max_instances, 5);
  EXPECT_EQ(c->aws.database_secret_arn, "arn:aws:secretsmanager:s");
}

TEST_F(SharedConfigTest, AwsDefaultsAndBounds) {
  Result<SharedConfig> c = Read("");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->aws.prefix, "images/");
  EXPECT_EQ(c->aws.pool_name, "maskfleet");
  EXPECT_EQ(c->aws.metric_namespace, "maskfleet");
  EXPECT_EQ(c->aws.max_instances, 8);
  EXPECT_EQ(c->aws.deregistration_delay_seconds, 30);
  EXPECT_EQ(c->aws.metrics_delay_seconds, 180);
  EXPECT_TRUE(c->aws.subnets.empty());
  EXPECT_TRUE(Read("[aws]\nmax_instances = 1\n").has_value());
  EXPECT_TRUE(Read("[aws]\nmax_instances = 100\n").has_value());
  EXPECT_FALSE(Read("[aws]\nmax_instances = 0\n").has_value());
  EXPECT_FALSE(Read("[aws]\nmax_instances = 101\n").has_value());
  EXPECT_TRUE(Read("[aws]\nmetrics_delay_seconds = 0\n").has_value());
  EXPECT_FALSE(Read("[aws]\nmetrics_delay_seconds = -1\n").has_value());
  EXPECT_TRUE(Read("[aws]\nderegistration_delay_seconds = 3600\n").has_value());
  EXPECT_FALSE(Read("[aws]\nderegistration_delay_seconds = 3601\n").has_value());
  // A list where a list belongs, and only there.
  EXPECT_FALSE(Read("[aws]\nsubnets = \"subnet-0aaa\"\n").has_value());
  EXPECT_FALSE(Read("[aws]\nbucket = [\"a\"]\n").has_value());
}

TEST_F(SharedConfigTest, SubnetsFromTheEnvironmentAreCommaSeparated) {
  env_["MASKFLEET_AWS_SUBNETS"] = " subnet-1 ,subnet-2,, ";
  Result<SharedConfig> c = Read("[aws]\nsubnets = [\"subnet-file\"]\n");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->aws.subnets, (std::vector<std::string>{"subnet-1", "subnet-2"}));
}

TEST_F(SharedConfigTest, DatabasePasswordFromTheEnvironment) {
  env_["MASKFLEET_DATABASE_PASSWORD"] = "s3cret";
  Result<SharedConfig> c = Read("");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(c->database_password, "s3cret");
}

TEST_F(SharedConfigTest, TheWorkersKeysStayWhereTheyWere) {
  Result<SharedConfig> c = Read(
      "[worker]\ndata_dir = \"/srv/mf\"\nsession_days = 3\n[database]\npool_size = 9\n"
      "[mail]\nkind = \"outbox\"\n[admin]\nusername = \"root\"\n");
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  c->FillDefaults();
  EXPECT_EQ(c->data_dir, "/srv/mf");
  EXPECT_EQ(c->session_days, 3);
  EXPECT_EQ(c->database_pool, 9);
  EXPECT_EQ(c->admin_username, "root");
  EXPECT_EQ(c->database_url, "sqlite:/srv/mf/maskfleet.db");
  EXPECT_EQ(c->objects_root, "/srv/mf/objects");
  EXPECT_EQ(c->outbox_dir, "/srv/mf/outbox");
}

}  // namespace
}  // namespace maskfleet::config
