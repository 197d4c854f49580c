#include "maskfleet/observability/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ctime>
#include <string>
#include <vector>

namespace maskfleet::observability {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// A fresh folder under the system's temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "maskfleet-log-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> ReadLines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(observability_LoggingTest, ValuesAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(QuoteLogValue("plain/value-1.2"), "plain/value-1.2");
  EXPECT_EQ(QuoteLogValue(""), "\"\"");
  EXPECT_EQ(QuoteLogValue("two words"), "\"two words\"");
  EXPECT_EQ(QuoteLogValue("a=b"), "\"a=b\"");
  EXPECT_EQ(QuoteLogValue("say \"hi\" \\o/"), "\"say \\\"hi\\\" \\\\o/\"");
  EXPECT_EQ(QuoteLogValue("line1\nline2\r\tx\x01"), "\"line1\\nline2\\r\\tx\\x01\"");
}

TEST(observability_LoggingTest, EventHasRequestIdMessageAndFieldsInOrder) {
  EXPECT_EQ(FormatEvent("abc", "image stored", {{"image_id", "42"}, {"key", "u/1/a b.jpg"}}),
            "request_id=abc msg=\"image stored\" image_id=42 key=\"u/1/a b.jpg\"");
  EXPECT_EQ(FormatEvent("", "started"), "msg=started");
  EXPECT_EQ(FormatEvent("", "x", {{"bad key!", "v"}}), "msg=x bad_key_=v");
}

TEST(observability_LoggingTest, AccessLineHasNoQueryString) {
  const AccessLogEntry entry{.method = "GET",
                             .target = "/reset?token=SECRET-TOKEN#frag",
                             .status = 200,
                             .duration = std::chrono::microseconds(12345),
                             .bytes = 512,
                             .request_id = "5f0c0a6e1b2d3c4f",
                             .client_address = "127.0.0.1"};
  const std::string line = FormatAccess(entry);
  EXPECT_EQ(line,
            "request_id=5f0c0a6e1b2d3c4f msg=access method=GET path=/reset status=200 "
            "duration_ms=12.345 bytes=512 client=127.0.0.1");
  EXPECT_THAT(line, Not(HasSubstr("SECRET")));
  EXPECT_EQ(PathWithoutQuery("/a/b?x=1"), "/a/b");
  EXPECT_EQ(PathWithoutQuery("/a#x"), "/a");
  EXPECT_EQ(PathWithoutQuery("/a"), "/a");
  EXPECT_EQ(PathWithoutQuery("?only"), "");
}

TEST(observability_LoggingTest, FileLoggerWritesOneStructuredLinePerEvent) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "worker.log";
  auto logger = MakeLogger({.worker_name = "w-1", .file = file.string(), .level = "info"});
  ASSERT_TRUE(logger.has_value()) << logger.error().ToString();

  LogEvent(**logger, spdlog::level::info, "rid-1", "two\nlines", {{"n", "3"}});
  LogEvent(**logger, spdlog::level::debug, "rid-2", "below the level");
  LogAccess(**logger, {.method = "POST",
                       .target = "/api/upload?password=hunter2",
                       .status = 413,
                       .duration = std::chrono::milliseconds(2),
                       .bytes = 90,
                       .request_id = "rid-3",
                       .client_address = "10.0.0.9"});
  (*logger)->warn("raw\nmessage 100%");  // straight to spdlog, still one line

  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 3u);
  const std::string prefix = R"(time=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z )";
  EXPECT_THAT(lines[0],
              MatchesRegex(prefix + R"(level=info worker=w-1 request_id=rid-1 msg="two\\nlines" n=3)"));
  EXPECT_THAT(
      lines[1],
      MatchesRegex(
          prefix +
          R"(level=info worker=w-1 request_id=rid-3 msg=access method=POST path=/api/upload status=413 duration_ms=2\.000 bytes=90 client=10\.0\.0\.9)"));
  EXPECT_THAT(lines[2], MatchesRegex(prefix + R"(level=warning worker=w-1 raw\\nmessage 100%)"));
  for (const std::string& line : lines) EXPECT_THAT(line, Not(HasSubstr("hunter2")));
}

TEST(observability_LoggingTest, WorkerNameIsQuotedAndPercentIsNotAPatternFlag) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "w.log";
  auto logger = MakeLogger({.worker_name = "w 100%v", .file = file.string()});
  ASSERT_TRUE(logger.has_value());
  LogEvent(**logger, spdlog::level::info, "", "hello");
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr(" worker=\"w 100%v\" msg=hello"));
}

TEST(observability_LoggingTest, TimeIsUtc) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "utc.log";
  ::setenv("TZ", "America/New_York", 1);  // a local time would differ from UTC
  ::tzset();
  auto logger = MakeLogger({.file = file.string()});
  ASSERT_TRUE(logger.has_value());
  const auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  LogEvent(**logger, spdlog::level::info, "", "now");
  ::unsetenv("TZ");
  ::tzset();
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 1u);
  std::tm parts{};
  const std::string stamp = lines[0].substr(5, 19);
  ASSERT_NE(::strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &parts), nullptr) << lines[0];
  const std::chrono::sys_seconds logged{std::chrono::seconds(::timegm(&parts))};
  EXPECT_LE(std::chrono::abs(logged - before), std::chrono::seconds(5)) << lines[0];
}

TEST(observability_LoggingTest, BadOptionsAreErrors) {
  auto bad_level = MakeLogger({.level = "verbose"});
  ASSERT_FALSE(bad_level.has_value());
  EXPECT_EQ(bad_level.error().code, ErrorCode::kInvalidArgument);

  TempDir dir;
  // spdlog creates missing folders, but not below a regular file.
  std::ofstream(dir.path() / "plain-file") << "x";
  auto bad_file = MakeLogger({.file = (dir.path() / "plain-file" / "x.log").string()});
  ASSERT_FALSE(bad_file.has_value());
  EXPECT_EQ(bad_file.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(bad_file.error().message, HasSubstr("x.log"));
}

TEST(observability_LoggingTest, SetUpLoggingReplacesTheDefaultLogger) {
  TempDir dir;
  const std::filesystem::path file = dir.path() / "default.log";
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  ASSERT_TRUE(SetUpLogging({.worker_name = "w-2", .file = file.string()}).has_value());
  spdlog::info("through the default logger");
  spdlog::set_default_logger(previous);
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("level=info worker=w-2 through the default logger"));
}

}  // namespace
}  // namespace maskfleet::observability
