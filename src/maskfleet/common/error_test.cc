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

TEST(ErrorTest, HttpStatusFollowsTheApiContract) {
  EXPECT_EQ(HttpStatus(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatus(ErrorCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kTooLarge), 413);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnsupported), 415);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
  EXPECT_EQ(HttpStatus(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kResourceExhausted), 429);
}

}  // namespace
}  // namespace maskfleet
