// SettingsStore against every configured back end (SQLite always; PostgreSQL and MariaDB
// when scripts/test-services.sh's variables are set).
#include "maskfleet/manager/settings_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::manager {
namespace {

class SettingsStoreTest : public storage::testing::ScratchDatabaseTest {
 protected:
  void SetUp() override {
    ScratchDatabaseTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    settings_ = std::make_unique<SettingsStore>(database());
  }

  std::optional<std::string> Get(std::string_view name) {
    auto value = settings_->Get(name);
    EXPECT_TRUE(value) << value.error().ToString();
    return value.value_or(std::nullopt);
  }

  std::unique_ptr<SettingsStore> settings_;
};

TEST_P(SettingsStoreTest, MissingNameIsNullopt) { EXPECT_EQ(Get("initial_password_admin"), std::nullopt); }

TEST_P(SettingsStoreTest, SetOverwriteErase) {
  ASSERT_TRUE(settings_->Set("initial_password_admin", "1"));
  EXPECT_EQ(Get("initial_password_admin"), "1");
  ASSERT_TRUE(settings_->Set("initial_password_admin", "17"));
  EXPECT_EQ(Get("initial_password_admin"), "17");
  ASSERT_TRUE(settings_->Set("other", "x"));

  ASSERT_TRUE(settings_->Erase("initial_password_admin"));
  EXPECT_EQ(Get("initial_password_admin"), std::nullopt);
  EXPECT_EQ(Get("other"), "x");
  EXPECT_TRUE(settings_->Erase("initial_password_admin"));  // erasing again succeeds
  EXPECT_TRUE(settings_->Erase("never_set"));
}

TEST_P(SettingsStoreTest, EmptyValueIsAValue) {
  ASSERT_TRUE(settings_->Set("empty", ""));
  EXPECT_EQ(Get("empty"), "");
}

TEST_P(SettingsStoreTest, NamesCompareByteForByte) {
  ASSERT_TRUE(settings_->Set("admin", "lower"));
  ASSERT_TRUE(settings_->Set("Admin", "upper"));
  ASSERT_TRUE(settings_->Set("admin ", "spaced"));
  EXPECT_EQ(Get("admin"), "lower");
  EXPECT_EQ(Get("Admin"), "upper");
  EXPECT_EQ(Get("admin "), "spaced");
  EXPECT_EQ(Get("ADMIN"), std::nullopt);
}

TEST_P(SettingsStoreTest, AwkwardAndLongestValuesComeBackVerbatim) {
  const std::vector<std::string> values = {
      "Robert'); DROP TABLE manager_settings;--",
      "\\' OR 1=1 -- ",
      "a\"b`c",
      ":name ? $1 @p %_",
      "名前 😀 Zoë",
      "line\nbreak\ttab",
      "trailing space   ",
      std::string(kMaxSettingValueLength, 'v'),
  };
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string name = "k" + std::to_string(i) + " 名前";
    ASSERT_TRUE(settings_->Set(name, values[i])) << i;
    EXPECT_EQ(Get(name), values[i]) << i;
  }
  const std::string longest_name(kMaxSettingNameLength, 'n');
  ASSERT_TRUE(settings_->Set(longest_name, "ok"));
  EXPECT_EQ(Get(longest_name), "ok");
}

TEST_P(SettingsStoreTest, BadNamesAndValuesAreInvalidArgument) {
  const std::vector<std::string> not_utf8 = {"\xff",
                                             "\xC0\xAF" /* overlong */,
                                             "\xED\xA0\x80" /* surrogate */,
                                             "\xF4\x90\x80\x80" /* above U+10FFFF */,
                                             "cut \xE2\x82",
                                             std::string("nul\0", 4)};
  std::vector<std::string> bad_names = not_utf8;
  bad_names.push_back("");
  bad_names.push_back(std::string(kMaxSettingNameLength + 1, 'n'));
  for (const std::string& name : bad_names) {
    EXPECT_EQ(settings_->Set(name, "v").error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(settings_->Get(name).error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(settings_->Erase(name).error().code, ErrorCode::kInvalidArgument);
  }
  std::vector<std::string> bad_values = not_utf8;
  bad_values.push_back(std::string(kMaxSettingValueLength + 1, 'v'));
  ASSERT_TRUE(settings_->Set("name", "kept"));
  for (const std::string& value : bad_values) {
    EXPECT_EQ(settings_->Set("name", value).error().code, ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(Get("name"), "kept");
}

TEST_P(SettingsStoreTest, ConcurrentSetsOfOneNameAllSucceed) {
  constexpr int kThreads = 4;
  std::latch start(kThreads);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      if (!settings_->Set("raced", std::to_string(i))) ++failed;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  auto value = Get("raced");
  ASSERT_TRUE(value.has_value());
  EXPECT_EQ(value->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(manager, SettingsStoreTest,
                         ::testing::ValuesIn(storage::testing::TestBackendNames()),
                         storage::testing::BackendTestName);

}  // namespace
}  // namespace maskfleet::manager
