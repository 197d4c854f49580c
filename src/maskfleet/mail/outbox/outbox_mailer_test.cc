#include "maskfleet/mail/outbox/outbox_mailer.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace maskfleet::mail::outbox {
namespace {

namespace fs = std::filesystem;

class OutboxMailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/maskfleet-outbox-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
    log_sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    previous_logger_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", log_sink_));
  }
  void TearDown() override {
    spdlog::set_default_logger(previous_logger_);
    fs::remove_all(root_);
  }

  std::vector<fs::path> Files(const fs::path& dir) const {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
  }
  static std::string Read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path root_;
  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink_;
  std::shared_ptr<spdlog::logger> previous_logger_;
};

TEST_F(OutboxMailerTest, WritesOneEmlFilePerMessageAndLogsWithoutTheBody) {
  SimulatedClock clock(Clock::TimePoint(std::chrono::seconds(1'795'811'135)));
  const fs::path dir = root_ / "outbox" / "nested";
  auto mailer = OutboxMailer::Create({.directory = dir, .from_address = "noreply@maskfleet.test"}, clock);
  ASSERT_TRUE(mailer) << mailer.error().ToString();
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);

  const std::string secret_link = "https://maskfleet.test/reset?token=S3CRET-T0KEN";
  ASSERT_TRUE((*mailer)->Send(Message{"ann@example.com", "Reset your password", "Open " + secret_link}));

  const std::vector<fs::path> files = Files(dir);
  ASSERT_EQ(files.size(), 1u);
  const std::string name = files[0].filename().string();
  EXPECT_TRUE(name.starts_with("20261127T202535Z-")) << name;
  EXPECT_TRUE(name.ends_with(".eml")) << name;
  EXPECT_EQ(fs::status(files[0]).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  const std::string text = Read(files[0]);
  EXPECT_TRUE(text.starts_with("Date: Fri, 27 Nov 2026 20:25:35 +0000\r\n")) << text;
  EXPECT_NE(text.find("\r\nFrom: \"maskfleet\" <noreply@maskfleet.test>\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nTo: <ann@example.com>\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nSubject: Reset your password\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nMessage-ID: <"), std::string::npos);
  EXPECT_NE(text.find("\r\nContent-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\n\r\nOpen " + secret_link + "\r\n"), std::string::npos);

  const std::string log = log_.str();
  EXPECT_NE(log.find("ann@example.com"), std::string::npos) << log;
  EXPECT_NE(log.find(name), std::string::npos) << log;
  EXPECT_EQ(log.find("S3CRET"), std::string::npos) << log;
  EXPECT_EQ(log.find("Reset your password"), std::string::npos) << log;
}

TEST_F(OutboxMailerTest, RefusedMessageWritesNothing) {
  auto mailer = OutboxMailer::Create({.directory = root_});
  ASSERT_TRUE(mailer);
  Status sent = (*mailer)->Send(Message{"ann@example.com", "Hi\r\nBcc: eve@evil.test", "b"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Files(root_).empty());
}

TEST_F(OutboxMailerTest, ConcurrentSendsEachGetTheirOwnCompleteFile) {
  SimulatedClock clock;  // every file has the same time stamp
  auto mailer = OutboxMailer::Create({.directory = root_}, clock);
  ASSERT_TRUE(mailer);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE((*mailer)->Send(
            Message{"user" + std::to_string(t) + "@example.com", "s", "body " + std::to_string(i)}));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const std::vector<fs::path> files = Files(root_);
  ASSERT_EQ(files.size(), 100u);
  for (const fs::path& file : files) {
    EXPECT_EQ(file.extension(), ".eml");  // no temporary file left behind
    EXPECT_TRUE(Read(file).ends_with("\r\n"));
  }
}

TEST_F(OutboxMailerTest, WriteFailureIsUnavailableWithTheFileName) {
  auto mailer = OutboxMailer::Create({.directory = root_ / "gone"});
  ASSERT_TRUE(mailer);
  fs::remove_all(root_ / "gone");
  Status sent = (*mailer)->Send(Message{"ann@example.com", "s", "b"});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(sent.error().message.find("mail outbox: creating " + (root_ / "gone").string()), std::string::npos)
      << sent.error().message;
}

TEST_F(OutboxMailerTest, CreateRefusesBadOptions) {
  EXPECT_EQ(OutboxMailer::Create({}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(OutboxMailer::Create({.directory = root_, .from_address = "not an address"}).error().code,
            ErrorCode::kInvalidArgument);
  std::ofstream(root_ / "file") << "x";
  EXPECT_EQ(OutboxMailer::Create({.directory = root_ / "file"}).error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace maskfleet::mail::outbox
