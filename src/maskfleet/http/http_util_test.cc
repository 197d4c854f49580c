#include "maskfleet/http/http_util.h"

#include <gtest/gtest.h>

namespace maskfleet::http {
namespace {

httplib::Response Answer(const Error& error) {
  httplib::Response res;
  RespondError(res, error, ErrorStyle::kApiV1, "req-1");
  return res;
}

TEST(http_RespondErrorTest, RetryAfterIsTheHintInWholeSecondsRoundedUp) {
  const struct {
    int milliseconds;
    const char* header;
  } cases[] = {{1, "1"}, {999, "1"}, {1000, "1"}, {1001, "2"}, {90'000, "90"}};
  for (const auto& c : cases) {
    httplib::Response res =
        Answer(Error{ErrorCode::kResourceExhausted, "slow down", std::chrono::milliseconds(c.milliseconds)});
    EXPECT_EQ(res.status, 429);
    EXPECT_EQ(res.get_header_value("Retry-After"), c.header) << c.milliseconds << " ms";
  }
}

TEST(http_RespondErrorTest, NoHintOrAZeroHintSetsNoRetryAfter) {
  EXPECT_FALSE(Answer(Error{ErrorCode::kUnavailable, "busy"}).has_header("Retry-After"));
  EXPECT_FALSE(Answer(Error{ErrorCode::kUnavailable, "busy", std::chrono::milliseconds(0)}).has_header("Retry-After"));
}

TEST(http_RespondErrorTest, MediaTypeIs415AndNamedUnsupported) {
  httplib::Response res = Answer(Error{ErrorCode::kUnsupportedMediaType, "not an image"});
  EXPECT_EQ(res.status, 415);
  EXPECT_NE(res.body.find("\"reason\":\"unsupported\""), std::string::npos) << res.body;
}

// A row stored before file names were made valid at the door holds bytes that are not
// UTF-8; its JSON used to throw (the history answered 500 for good).
TEST(http_RespondJsonTest, StringThatIsNotUtf8IsSentWithReplacementNotAnError) {
  httplib::Response res;
  ASSERT_NO_THROW(RespondJson(res, 200, {{"source_name", "bad\xFF.jpg"}}));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "{\"source_name\":\"bad\xEF\xBF\xBD.jpg\"}");
  EXPECT_EQ(nlohmann::json::parse(res.body)["source_name"], "bad\xEF\xBF\xBD.jpg");
}

}  // namespace
}  // namespace maskfleet::http
