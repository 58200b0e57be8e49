// core/json_fields.hpp — a field of a JSON object read without exceptions, for files a user (or a
// stranger) may have edited. nlohmann's value(key, default) throws when the field exists with
// another type ({"format": ["x"]}), and on an object that is not one; field_or returns the default
// in both cases, as it does for a missing field.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace logoscope {

/// object[key] as T, or `fallback` when object is not an object, has no such key, or holds another
/// type there (numbers convert among themselves as nlohmann converts them).
template <typename T>
T field_or(const nlohmann::json& object, std::string_view key, T fallback) {
  if (!object.is_object()) return fallback;
  const auto it = object.find(key);
  if (it == object.end()) return fallback;
  try {
    return it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    return fallback;
  }
}

}  // namespace logoscope
