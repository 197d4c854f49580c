#include "maskfleet/common/error.h"

#include <gtest/gtest.h>

namespace maskfleet {
namespace {

Result<int> ParsePositive(int value) {
  if (value <= 0) return MakeError(ErrorCode::kInvalidArgument, "not positive");
  return value;
}

TEST(ErrorTest, ResultCarriesValueOrError) {
  EXPECT_EQ(ParsePositive(3).value(), 3);
  Result<int> bad = ParsePositive(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().ToString(), "invalid_argument: not positive");
}

TEST(ErrorTest, WithContextPrefixesMessageAndKeepsCode) {
  Error e{ErrorCode::kNotFound, "no such file"};
  Error wrapped = e.WithContext("photo.jpg");
  EXPECT_EQ(wrapped.code, ErrorCode::kNotFound);
  EXPECT_EQ(wrapped.message, "photo.jpg: no such file");
}

TEST(ErrorTest, WithContextKeepsTheRetryHint) {
  Result<int> throttled = MakeRetryableError(ErrorCode::kResourceExhausted, "slow down",
                                             std::chrono::milliseconds(1500));
  Error wrapped = throttled.error().WithContext("login");
  EXPECT_EQ(wrapped.retry_after, std::chrono::milliseconds(1500));
  EXPECT_FALSE(Error{}.retry_after.has_value());
}

TEST(ErrorTest, MediaTypeAndUnimplementedHaveDistinctNames) {
  // "unsupported" is what clients of the JSON API see for 415 (docs/api.md).
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnsupportedMediaType), "unsupported");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kUnimplemented), "unimplemented");
}

TEST(ErrorTest, HttpStatusFollowsTheApiContract) {
  EXPECT_EQ(HttpStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kTooLarge), 413);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnsupportedMediaType), 415);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kResourceExhausted), 429);
}

}  // namespace
}  // namespace maskfleet
