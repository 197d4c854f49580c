#include "maskfleet/metrics/local/exposed_request_counts.h"

#include <gtest/gtest.h>

#include "maskfleet/metrics/local/request_rate_scraper.h"

namespace maskfleet::metrics::local {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

sys_seconds Minute(int i) { return sys_seconds(seconds(1'700'000'040 + 60 * i)); }

TEST(metrics_ExposedRequestCountsTest, PublishedMinutesReadBackThroughTheManagersParser) {
  ExposedRequestCounts counts;
  const std::vector<RequestMinute> published{{Minute(2), 7}, {Minute(0), 12}, {Minute(1), 0}};
  ASSERT_TRUE(counts.Publish(published));
  const ParsedRequestMinutes parsed = ParseRequestMinutes(counts.Exposition());
  EXPECT_EQ(parsed.skipped_lines, 0);
  EXPECT_EQ(parsed.minutes, (std::vector<RequestMinute>{{Minute(0), 12}, {Minute(1), 0}, {Minute(2), 7}}));
}

TEST(metrics_ExposedRequestCountsTest, AMinutePublishedAgainReplacesItsCount) {
  ExposedRequestCounts counts;
  ASSERT_TRUE(counts.Publish(std::vector<RequestMinute>{{Minute(0), 3}}));
  ASSERT_TRUE(counts.Publish(std::vector<RequestMinute>{{Minute(0), 5}, {Minute(1), 1}}));
  EXPECT_EQ(counts.Minutes(), (std::vector<RequestMinute>{{Minute(0), 5}, {Minute(1), 1}}));
}

TEST(metrics_ExposedRequestCountsTest, KeepsTheLatestRetainedMinutesOnly) {
  ExposedRequestCounts counts(/*retained_minutes=*/2);
  ASSERT_TRUE(counts.Publish(std::vector<RequestMinute>{{Minute(0), 1}, {Minute(1), 2}}));
  EXPECT_EQ(counts.Minutes().size(), 2u);  // at the limit
  ASSERT_TRUE(counts.Publish(std::vector<RequestMinute>{{Minute(2), 3}}));
  EXPECT_EQ(counts.Minutes(), (std::vector<RequestMinute>{{Minute(1), 2}, {Minute(2), 3}}));
}

TEST(metrics_ExposedRequestCountsTest, AMinuteThatIsNoneIsRefusedAndNothingPublished) {
  ExposedRequestCounts counts;
  const std::vector<RequestMinute> bad{{Minute(0), 1}, {Minute(1) + seconds(1), 2}};
  Status st = counts.Publish(bad);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(counts.Minutes().empty());
  EXPECT_EQ(ParseRequestMinutes(counts.Exposition()).minutes.size(), 0u);
}

}  // namespace
}  // namespace maskfleet::metrics::local
