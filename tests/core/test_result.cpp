#include <gtest/gtest.h>

#include "logoscope/result.hpp"

namespace logoscope {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return Error{ErrorCode::kInvalidValue, "value must be positive, got " + std::to_string(value)};
  return value;
}

TEST(Result, CarriesValueOrError) {
  const auto good = parse_positive(3);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 3);
  const auto bad = parse_positive(-2);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidValue);
  EXPECT_EQ(bad.error().message, "value must be positive, got -2");
}

TEST(Result, ValueOrThrowThrowsFailureWithTheError) {
  try {
    (void)value_or_throw(parse_positive(0));
    FAIL() << "expected a Failure";
  } catch (const Failure& failure) {
    EXPECT_EQ(failure.error().code, ErrorCode::kInvalidValue);
    EXPECT_STREQ(failure.what(), "value must be positive, got 0");
  }
}

TEST(Result, ErrorCodeNamesAreStable) {
  EXPECT_STREQ(error_code_name(ErrorCode::kTruncated), "truncated");
  EXPECT_STREQ(error_code_name(ErrorCode::kTooLarge), "too_large");
  EXPECT_STREQ(error_code_name(ErrorCode::kUnsupportedFormat), "unsupported_format");
}

}  // namespace
}  // namespace logoscope
