#include "maskfleet/loadgen/csv_log.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

TEST(CsvLogTest, RowsForEachOutcome) {
  EXPECT_EQ(CsvRow({.seq = 0,
                    .start_s = 0.2,
                    .outcome = Outcome::kAnswered,
                    .latency_ms = 123.4564,
                    .http_status = 200,
                    .worker = "127.0.0.1:8081",
                    .num_faces = 3,
                    .file = "a.jpg"}),
            "0,0.200000,123.456,200,127.0.0.1:8081,3,a.jpg");
  EXPECT_EQ(CsvRow({.seq = 1,
                    .start_s = 1.5,
                    .outcome = Outcome::kAnswered,
                    .latency_ms = 2,
                    .http_status = 401,
                    .file = "b.png"}),
            "1,1.500000,2.000,401,,,b.png");
  EXPECT_EQ(CsvRow({.seq = 7,
                    .start_s = 1.4,
                    .outcome = Outcome::kTransportError,
                    .error = "connection",
                    .file = "b.png"}),
            "7,1.400000,,connection,,,b.png");
  EXPECT_EQ(CsvRow({.seq = 9, .start_s = 1.8, .outcome = Outcome::kDropped, .file = "c.jpg"}),
            "9,1.800000,,dropped,,,c.jpg");
}

TEST(CsvLogTest, QuotesFieldsThatNeedIt) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
}

TEST(CsvLogTest, WritesHeaderAndRows) {
  const std::filesystem::path path = std::filesystem::path(testing::TempDir()) / "loadgen_csv_log_test.csv";
  {
    Result<std::unique_ptr<CsvLog>> log = CsvLog::Create(path);
    ASSERT_TRUE(log) << log.error().ToString();
    (*log)->Append({.seq = 0, .outcome = Outcome::kDropped, .file = "x,y.jpg"});
    ASSERT_TRUE((*log)->Close());
    (*log)->Append({.seq = 1, .outcome = Outcome::kDropped});  // after Close: ignored
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), std::string(CsvHeader()) + "\n0,0.000000,,dropped,,,\"x,y.jpg\"\n");
  std::filesystem::remove(path);
}

TEST(CsvLogTest, UnwritablePathIsAnError) {
  Result<std::unique_ptr<CsvLog>> log = CsvLog::Create("/nonexistent-folder/x.csv");
  ASSERT_FALSE(log);
  EXPECT_NE(log.error().message.find("/nonexistent-folder/x.csv"), std::string::npos);
}

}  // namespace
}  // namespace maskfleet::loadgen
