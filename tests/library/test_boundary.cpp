// The public API returns errors, never exceptions (library/boundary.hpp): what escapes an entry
// point's body becomes an Error naming the call.
#include <gtest/gtest.h>

#include <functional>
#include <new>
#include <stdexcept>

#include "library/boundary.hpp"

namespace logoscope::library {
namespace {

Result<int> run(const std::function<Result<int>()>& body) {
  return never_throws("Session::detect", body);
}

TEST(NeverThrows, PassesValuesAndErrorsThrough) {
  EXPECT_EQ(*run([] { return Result<int>(7); }), 7);
  const auto error = run([]() -> Result<int> { return Error{ErrorCode::kNotFound, "a.jpg: no such file"}; });
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().code, ErrorCode::kNotFound);
}

TEST(NeverThrows, TurnsWhatEscapesIntoAnErrorNamingTheCall) {
  const auto failure = run([]() -> Result<int> { throw Failure(Error{ErrorCode::kParse, "m/model.json: line 3"}); });
  ASSERT_FALSE(failure);
  EXPECT_EQ(failure.error().code, ErrorCode::kParse);
  EXPECT_EQ(failure.error().message, "m/model.json: line 3");

  const auto library = run([]() -> Result<int> { throw std::runtime_error("shape mismatch in conv2d"); });
  ASSERT_FALSE(library);
  EXPECT_EQ(library.error().code, ErrorCode::kInternal);
  EXPECT_EQ(library.error().message, "Session::detect: shape mismatch in conv2d");

  const auto memory = run([]() -> Result<int> { throw std::bad_alloc(); });
  ASSERT_FALSE(memory);
  EXPECT_EQ(memory.error().code, ErrorCode::kTooLarge);

  const auto other = run([]() -> Result<int> { throw 42; });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, ErrorCode::kInternal);
  EXPECT_STREQ(error_code_name(ErrorCode::kInternal), "internal");
}

}  // namespace
}  // namespace logoscope::library
