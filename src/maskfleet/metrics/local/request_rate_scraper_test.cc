#include "maskfleet/metrics/local/request_rate_scraper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "maskfleet/metrics/local/test_http_server.h"

namespace maskfleet::metrics::local {
namespace {

using std::chrono::seconds;

std::chrono::sys_seconds At(long long s) { return std::chrono::sys_seconds(seconds(s)); }

// What a worker's /metrics looks like around the family (prometheus-cpp's layout).
constexpr std::string_view kExposition = R"(# HELP maskfleet_http_requests_total HTTP requests answered
# TYPE maskfleet_http_requests_total counter
maskfleet_http_requests_total{method="GET",route="/healthz",status="200"} 42
# HELP maskfleet_requests_per_minute Requests in the last complete minute
# TYPE maskfleet_requests_per_minute gauge
maskfleet_requests_per_minute 7
# HELP maskfleet_requests_minute_total Requests per completed wall-clock minute
# TYPE maskfleet_requests_minute_total gauge
maskfleet_requests_minute_total{minute="1700000040"} 0
maskfleet_requests_minute_total{minute="1700000100"} 12
maskfleet_requests_minute_total{minute="1700000160"} 7
maskfleet_requests_minute_total_created 1700000000
)";

TEST(metrics_ParseRequestMinutesTest, PicksTheFamilyOutOfAWholeExposition) {
  ParsedRequestMinutes parsed = ParseRequestMinutes(kExposition);
  EXPECT_EQ(parsed.skipped_lines, 0);
  EXPECT_EQ(parsed.minutes,
            (std::vector<RequestMinute>{{At(1700000040), 0}, {At(1700000100), 12}, {At(1700000160), 7}}));
}

TEST(metrics_ParseRequestMinutesTest, EmptyOrForeignTextGivesNothing) {
  EXPECT_TRUE(ParseRequestMinutes("").minutes.empty());
  ParsedRequestMinutes html = ParseRequestMinutes("<html><body>maskfleet</body></html>\n");
  EXPECT_TRUE(html.minutes.empty());
  EXPECT_EQ(html.skipped_lines, 0);
}

TEST(metrics_ParseRequestMinutesTest, OtherLabelsEscapesBlanksTimestampsAndCrlf) {
  constexpr std::string_view text =
      "maskfleet_requests_minute_total{worker=\"a\\\"b\\\\c\\nd\",minute=\"1700000040\"} 3\r\n"
      "  maskfleet_requests_minute_total { minute = \"1700000100\" , } \t 4 1700000100123\n"
      "maskfleet_requests_minute_total{minute=\"1700000160\",path=\"}{,=\"} 1.2e+01\n"
      "maskfleet_requests_minute_total{minute=\"1700000220\"} 5.0\n"
      "# maskfleet_requests_minute_total{minute=\"1700000280\"} 99\n"
      "\n";
  ParsedRequestMinutes parsed = ParseRequestMinutes(text);
  EXPECT_EQ(parsed.skipped_lines, 0);
  EXPECT_EQ(parsed.minutes,
            (std::vector<RequestMinute>{
                {At(1700000040), 3}, {At(1700000100), 4}, {At(1700000160), 12}, {At(1700000220), 5}}));
}

TEST(metrics_ParseRequestMinutesTest, MalformedLinesOfTheFamilyAreSkippedAndCounted) {
  constexpr std::string_view text =
      "maskfleet_requests_minute_total{minute=\"1700000040\"} 1\n"
      "maskfleet_requests_minute_total 5\n"                           // no minute
      "maskfleet_requests_minute_total{minute=\"1700000041\"} 5\n"    // not a minute start
      "maskfleet_requests_minute_total{minute=\"-60\"} 5\n"           // negative
      "maskfleet_requests_minute_total{minute=\"17e8\"} 5\n"          // not a whole number
      "maskfleet_requests_minute_total{minute=\"1700000100\"} 2.5\n"  // not a count
      "maskfleet_requests_minute_total{minute=\"1700000100\"} -1\n"
      "maskfleet_requests_minute_total{minute=\"1700000100\"} NaN\n"
      "maskfleet_requests_minute_total{minute=\"1700000100\"} +Inf\n"
      "maskfleet_requests_minute_total{minute=\"1700000100\"}\n"                // no value
      "maskfleet_requests_minute_total{minute=\"1700000100\" 3\n"               // unclosed braces
      "maskfleet_requests_minute_total{minute=\"1700000100} 3\n"                // unclosed quote
      "maskfleet_requests_minute_total{minute=\"1700000100\",bad=\"\\x\"} 3\n"  // bad escape
      "maskfleet_requests_minute_total{minute=\"1700000100\"} 3 soon\n"         // bad timestamp
      "maskfleet_requests_minute_total{minute=\"1700000100\"} 3 1 2\n"          // trailing text
      "maskfleet_requests_minute_total{=\"1700000100\"} 3\n"                    // no label name
      "maskfleet_requests_minute_total{minute=\"1700000160\"} 6\n";
  ParsedRequestMinutes parsed = ParseRequestMinutes(text);
  EXPECT_EQ(parsed.skipped_lines, 15);
  EXPECT_EQ(parsed.minutes, (std::vector<RequestMinute>{{At(1700000040), 1}, {At(1700000160), 6}}));
}

TEST(metrics_ParseRequestMinutesTest, SimilarNamesAreOtherFamilies) {
  constexpr std::string_view text =
      "maskfleet_requests_minute_total_bucket{minute=\"1700000040\"} 1\n"
      "maskfleet_requests_minute_totals{minute=\"1700000040\"} 1\n"
      "xmaskfleet_requests_minute_total{minute=\"1700000040\"} 1\n"
      "maskfleet_requests_minute_total:rate{minute=\"1700000040\"} 1\n";
  ParsedRequestMinutes parsed = ParseRequestMinutes(text);
  EXPECT_TRUE(parsed.minutes.empty());
  EXPECT_EQ(parsed.skipped_lines, 0);
}

TEST(metrics_ParseRequestMinutesTest, OfDuplicateMinutesTheLastLineWinsAndOrderIsByMinute) {
  constexpr std::string_view text =
      "maskfleet_requests_minute_total{minute=\"1700000100\"} 1\n"
      "maskfleet_requests_minute_total{minute=\"1700000040\"} 2\n"
      "maskfleet_requests_minute_total{minute=\"1700000100\"} 3\n";
  EXPECT_EQ(ParseRequestMinutes(text).minutes,
            (std::vector<RequestMinute>{{At(1700000040), 2}, {At(1700000100), 3}}));
}

TEST(metrics_RequestRateScraperTest, ReadsACannedExpositionOverHttp) {
  testing::CannedMetricsServer server;
  server.Set(std::string(kExposition));
  RequestRateScraper scraper;
  auto parsed = scraper.Scrape("127.0.0.1", server.port());
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->minutes.size(), 3u);
  EXPECT_EQ(parsed->minutes[1], (RequestMinute{At(1700000100), 12}));
}

TEST(metrics_RequestRateScraperTest, HttpErrorIsUnavailable) {
  testing::CannedMetricsServer server;
  server.Set("busy", 503);
  auto parsed = RequestRateScraper().Scrape("127.0.0.1", server.port());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(parsed.error().message.find("503"), std::string::npos) << parsed.error().message;
}

TEST(metrics_RequestRateScraperTest, NobodyListeningIsUnavailable) {
  std::uint16_t port = 0;
  {
    testing::CannedMetricsServer server;
    port = server.port();
  }
  auto parsed = RequestRateScraper().Scrape("127.0.0.1", port);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kUnavailable);
}

TEST(metrics_RequestRateScraperTest, OversizedAnswerIsTooLarge) {
  testing::CannedMetricsServer server;
  server.Set(std::string(100'000, '#'));
  ScrapeOptions options;
  options.max_body_bytes = 10'000;
  auto parsed = RequestRateScraper(options).Scrape("127.0.0.1", server.port());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kTooLarge);
}

TEST(metrics_RequestRateScraperTest, SlowWorkerTimesOut) {
  httplib::Server slow;
  slow.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("", "text/plain");
  });
  const int port = slow.bind_to_any_port("127.0.0.1");
  std::thread thread([&] { slow.listen_after_bind(); });
  ScrapeOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  auto parsed = RequestRateScraper(options).Scrape("127.0.0.1", static_cast<std::uint16_t>(port));
  const auto took = std::chrono::steady_clock::now() - start;
  slow.stop();
  thread.join();
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kUnavailable);
  EXPECT_LT(took, std::chrono::milliseconds(1200));
}

}  // namespace
}  // namespace maskfleet::metrics::local
