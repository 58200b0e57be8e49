// logoscope/result.hpp — the error model shared by every module.
//
// Three tiers (see docs/architecture.md):
//   * Result<T>  for failures the caller is expected to handle (missing file, undecodable image,
//                bad manifest line). It converts to bool and carries an Error.
//   * exceptions (logoscope::Failure) for what ends an operation; caught only at boundaries
//                (CLI main, server handler).
//   * LOGOSCOPE_CHECK for programmer errors; never fires on user input.
//
// Thread safety: Result and Error are plain values.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace logoscope {

/// What kind of failure happened. Stable names (error_code_name) appear in JSON output.
enum class ErrorCode {
  kNotFound,           ///< the file or object does not exist
  kIo,                 ///< it exists but could not be read or written
  kUnsupportedFormat,  ///< not an image / dataset format logoscope reads
  kCorrupt,            ///< the format was recognised but the content is damaged
  kTruncated,          ///< the file ends before its format says it should
  kTooLarge,           ///< over a configured limit (pixels, bytes)
  kParse,              ///< a text format (JSON, XML, YAML, TXT) could not be parsed
  kInvalidValue,       ///< parsed, but a field holds a value that is not allowed
  kInvalidArgument,    ///< the caller passed an unusable argument
  kAccessDenied,       ///< the storage refused the credentials, their signature or the clock
  kInternal,           ///< a failure inside logoscope or a library under it (a bug: please report it)
};

/// A stable snake_case name for the code, e.g. "truncated".
const char* error_code_name(ErrorCode code);

/// A failure: what kind, and a message that names the file / line / field and the value.
struct Error {
  ErrorCode code;
  std::string message;
};

/// Either a value or an Error. `if (result)` tests for a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  /// Requires ok().
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  /// Requires !ok().
  [[nodiscard]] const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Result for operations without a value.
struct Ok {};
using Status = Result<Ok>;

/// Thrown for failures that end an operation; caught at the CLI / server boundary.
class Failure : public std::runtime_error {
 public:
  explicit Failure(Error error) : std::runtime_error(error.message), error_(std::move(error)) {}
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
};

/// Returns the value or throws Failure with the error.
template <typename T>
T value_or_throw(Result<T> result) {
  if (!result) throw Failure(result.error());
  return std::move(result).value();
}

}  // namespace logoscope

/// Always-on check for programmer errors (violated preconditions). Aborts with location.
#define LOGOSCOPE_CHECK(cond)                                                                \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "logoscope: internal check failed: %s at %s:%d\n", #cond, __FILE__, \
                   __LINE__);                                                                \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
