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
  for (const char* mode : {"aws", "Local", "", "local "}) {
    Result<SharedConfig> c = Read(std::string("[deployment]\nmode = \"") + mode + "\"\n");
    ASSERT_FALSE(c.has_value()) << mode;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(c.error().message.find("deployment.mode must be local"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find(std::string("'") + mode + "'"), std::string::npos) << c.error().message;
  }
  env_["MASKFLEET_DEPLOYMENT_MODE"] = "aws";
  EXPECT_FALSE(Read("[deployment]\nmode = \"local\"\n").has_value());
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
