// core/json_fields.hpp — a field of a JSON object read without exceptions or unchecked
// conversions, for files a user (or a stranger) may have edited. nlohmann's value(key, default)
// throws when the field exists with another type ({"format": ["x"]}) and on an object that is not
// one, and get<int>() of 3.5e118 is undefined behaviour; field_or returns the default in all of
// these cases, as it does for a missing field.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace logoscope {

/// object[key] as T, or `fallback` when object is not an object, has no such key, or holds a
/// value T cannot hold: another type, a fractional or out-of-range number for an integer T, a
/// number beyond float's range for float. Integers and floating-point numbers convert into a
/// floating-point T.
template <typename T>
T field_or(const nlohmann::json& object, std::string_view key, T fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  const nlohmann::json& value = *it;
  if constexpr (std::is_same_v<T, bool>) {
    return value.is_boolean() ? value.get<bool>() : fallback;
  } else if constexpr (std::is_integral_v<T>) {
    if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      return number <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()) ? static_cast<T>(number) : fallback;
    }
    if (!value.is_number_integer()) return fallback;
    const auto number = value.get<std::int64_t>();
    if constexpr (std::is_signed_v<T>) {
      return number >= std::numeric_limits<T>::min() && number <= std::numeric_limits<T>::max() ? static_cast<T>(number)
                                                                                                 : fallback;
    } else {
      return number >= 0 && static_cast<std::uint64_t>(number) <= std::numeric_limits<T>::max() ? static_cast<T>(number)
                                                                                                  : fallback;
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) return fallback;
    const double number = value.get<double>();
    if (number > static_cast<double>(std::numeric_limits<T>::max()) ||
        number < static_cast<double>(std::numeric_limits<T>::lowest())) {
      return fallback;
    }
    return static_cast<T>(number);
  } else {
    try {
      return value.template get<T>();
    } catch (const nlohmann::json::exception&) {
      return fallback;
    }
  }
}

}  // namespace logoscope
