// library/boundary.hpp — the public API's promise: Result errors, never exceptions. Each entry
// point runs its body through never_throws, which turns what escapes (a Failure from
// value_or_throw, a libtorch or OpenCV exception, running out of memory) into an Error naming the
// call.
#pragma once

#include <exception>
#include <new>
#include <string>

#include <fmt/format.h>

#include "logoscope/result.hpp"

namespace logoscope::library {

template <typename Body>
auto never_throws(const char* call, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Failure& failure) {
    return failure.error();
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::kTooLarge, fmt::format("{}: out of memory", call)};
  } catch (const std::exception& error) {
    return Error{ErrorCode::kInternal, fmt::format("{}: {}", call, error.what())};
  } catch (...) {
    return Error{ErrorCode::kInternal, fmt::format("{}: an unknown exception", call)};
  }
}

}  // namespace logoscope::library
