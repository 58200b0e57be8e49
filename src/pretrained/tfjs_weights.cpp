#include "pretrained/tfjs_weights.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "core/json_fields.hpp"

namespace fs = std::filesystem;

namespace logoscope::pretrained {

namespace {

enum class Storage { kFloat32, kInt32, kBool, kFloat16, kUint8Affine, kUint16Affine };

std::size_t bytes_per_element(Storage storage) {
  switch (storage) {
    case Storage::kFloat32:
    case Storage::kInt32:
      return 4;
    case Storage::kFloat16:
    case Storage::kUint16Affine:
      return 2;
    case Storage::kBool:
    case Storage::kUint8Affine:
      return 1;
  }
  return 4;
}

template <typename T>
T load_le(const unsigned char* bytes) {
  T value{};
  std::memcpy(&value, bytes, sizeof(T));  // x86-64 and every tfjs writer are little-endian
  return value;
}

struct Entry {
  std::string name;
  std::vector<std::int64_t> shape;
  Storage storage = Storage::kFloat32;
  bool is_float = true;
  double min = 0;
  double scale = 1;
};

Result<Entry> parse_entry(const nlohmann::json& spec, const std::string& where) {
  auto invalid = [&](const std::string& what) { return Error{ErrorCode::kInvalidValue, fmt::format("{}: {}", where, what)}; };
  if (!spec.is_object()) return invalid("a weights entry is not an object");
  Entry entry;
  if (!spec.contains("name") || !spec["name"].is_string()) return invalid("a weights entry has no \"name\"");
  entry.name = spec["name"].get<std::string>();
  const std::string at = fmt::format("{}: tensor \"{}\"", where, entry.name);
  if (!spec.contains("shape") || !spec["shape"].is_array()) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: field \"shape\" is missing or not a list", at)};
  }
  for (const auto& dim : spec["shape"]) {
    if (!dim.is_number_integer() || dim.get<std::int64_t>() < 0) {
      return Error{ErrorCode::kInvalidValue, fmt::format("{}: shape {} has a dimension that is not a count", at, spec["shape"].dump())};
    }
    entry.shape.push_back(dim.get<std::int64_t>());
  }
  const std::string dtype = field_or<std::string>(spec, "dtype", "");
  if (dtype == "float32") {
    entry.storage = Storage::kFloat32;
  } else if (dtype == "int32") {
    entry.storage = Storage::kInt32;
    entry.is_float = false;
  } else if (dtype == "bool") {
    entry.storage = Storage::kBool;
    entry.is_float = false;
  } else {
    return Error{ErrorCode::kUnsupportedFormat,
                 fmt::format("{}: dtype \"{}\" is not supported (float32, int32 and bool are)", at, dtype)};
  }
  if (spec.contains("quantization")) {
    const auto& quant = spec["quantization"];
    if (!quant.is_object()) return Error{ErrorCode::kInvalidValue, fmt::format("{}: field \"quantization\" is not an object", at)};
    const std::string qtype = field_or<std::string>(quant, "dtype", "");
    if (qtype == "float16") {
      if (!entry.is_float) {
        return Error{ErrorCode::kUnsupportedFormat, fmt::format("{}: float16 quantization of a {} tensor", at, dtype)};
      }
      entry.storage = Storage::kFloat16;
    } else if (qtype == "uint8" || qtype == "uint16") {
      if (!quant.contains("min") || !quant["min"].is_number() || !quant.contains("scale") || !quant["scale"].is_number()) {
        return Error{ErrorCode::kInvalidValue,
                     fmt::format("{}: {} quantization needs numeric \"min\" and \"scale\"", at, qtype)};
      }
      entry.min = quant["min"].get<double>();
      entry.scale = quant["scale"].get<double>();
      entry.storage = qtype == "uint8" ? Storage::kUint8Affine : Storage::kUint16Affine;
      // Every code 0..255 (or 65535) must dequantize to a value the tensor's type holds.
      const double top = entry.min + entry.scale * (qtype == "uint8" ? 255.0 : 65535.0);
      const double limit = entry.is_float ? static_cast<double>(std::numeric_limits<float>::max())
                                          : static_cast<double>(std::numeric_limits<std::int32_t>::max());
      if (!std::isfinite(top) || std::fabs(entry.min) > limit || std::fabs(top) > limit) {
        return Error{ErrorCode::kInvalidValue,
                     fmt::format("{}: {} quantization with min {} and scale {} gives values beyond the range of {}",
                                 at, qtype, entry.min, entry.scale, dtype)};
      }
    } else {
      return Error{ErrorCode::kUnsupportedFormat,
                   fmt::format("{}: quantization dtype \"{}\" is not supported (float16, uint8, uint16 are)", at, qtype)};
    }
  }
  return entry;
}

void decode_into(WeightTensor& tensor, const Entry& entry, const unsigned char* bytes, std::int64_t count) {
  const auto n = static_cast<std::size_t>(count);
  if (!entry.is_float) {
    tensor.ints.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      double value = 0;
      switch (entry.storage) {
        case Storage::kInt32: value = load_le<std::int32_t>(bytes + 4 * i); break;
        case Storage::kBool: value = bytes[i] != 0 ? 1 : 0; break;
        case Storage::kUint8Affine: value = std::round(entry.min + entry.scale * bytes[i]); break;
        case Storage::kUint16Affine: value = std::round(entry.min + entry.scale * load_le<std::uint16_t>(bytes + 2 * i)); break;
        case Storage::kFloat32:
        case Storage::kFloat16: break;  // not reachable for integer tensors (parse_entry)
      }
      tensor.ints[i] = static_cast<std::int32_t>(value);
    }
    return;
  }
  tensor.floats.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    float value = 0;
    switch (entry.storage) {
      case Storage::kFloat32: value = load_le<float>(bytes + 4 * i); break;
      case Storage::kFloat16: value = half_to_float(load_le<std::uint16_t>(bytes + 2 * i)); break;
      case Storage::kUint8Affine: value = static_cast<float>(entry.min + entry.scale * bytes[i]); break;
      case Storage::kUint16Affine:
        value = static_cast<float>(entry.min + entry.scale * load_le<std::uint16_t>(bytes + 2 * i));
        break;
      case Storage::kInt32:
      case Storage::kBool: break;  // not reachable for float tensors (parse_entry)
    }
    tensor.floats[i] = value;
  }
}

}  // namespace

std::int64_t WeightTensor::element_count() const {
  std::int64_t count = 1;
  for (const auto dim : shape) count *= dim;
  return count;
}

float half_to_float(std::uint16_t half) {
  const std::uint32_t sign = (static_cast<std::uint32_t>(half) & 0x8000U) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1FU;
  const std::uint32_t mantissa = half & 0x3FFU;
  std::uint32_t bits = 0;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000U | (mantissa << 13);  // infinity or NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // 127 - 15 = 112
  } else if (mantissa != 0) {
    // Subnormal: value = mantissa · 2^-24, exactly representable as a normal float.
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign != 0 ? -magnitude : magnitude;
  } else {
    bits = sign;
  }
  float value = 0;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

Result<TfjsWeights> TfjsWeights::read(const std::string& model_json_path) {
  auto text = read_text_file(model_json_path);
  if (!text) return text.error();
  const auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", model_json_path)};
  if (!json.is_object() || !json.contains("weightsManifest") || !json["weightsManifest"].is_array()) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: not a TensorFlow.js model (no \"weightsManifest\" list)", model_json_path)};
  }
  const fs::path folder = fs::path(model_json_path).parent_path();
  std::vector<std::string> shards;
  for (const auto& group : json["weightsManifest"]) {
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array()) {
      return Error{ErrorCode::kInvalidValue, fmt::format("{}: a weightsManifest group has no \"paths\" list", model_json_path)};
    }
    for (const auto& path : group["paths"]) {
      if (!path.is_string()) {
        return Error{ErrorCode::kInvalidValue, fmt::format("{}: a shard path is not a string", model_json_path)};
      }
      const fs::path relative(path.get<std::string>());
      if (relative.is_absolute() || relative.lexically_normal().string().rfind("..", 0) == 0) {
        return Error{ErrorCode::kInvalidValue,
                     fmt::format("{}: shard path \"{}\" leaves the model's folder", model_json_path, relative.string())};
      }
      auto bytes = read_binary_file((folder / relative).string());
      if (!bytes) {
        return Error{bytes.error().code, fmt::format("{}: shard {}: {}", model_json_path, relative.string(), bytes.error().message)};
      }
      shards.push_back(std::move(bytes).value());
    }
  }
  return parse(*text, shards, model_json_path);
}

Result<TfjsWeights> TfjsWeights::parse(const std::string& json_text, const std::vector<std::string>& shards,
                                       const std::string& source) {
  const auto json = nlohmann::json::parse(json_text, nullptr, false);
  if (json.is_discarded()) return Error{ErrorCode::kParse, fmt::format("{}: not valid JSON", source)};
  if (!json.is_object() || !json.contains("weightsManifest") || !json["weightsManifest"].is_array()) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: not a TensorFlow.js model (no \"weightsManifest\" list)", source)};
  }
  TfjsWeights weights;
  weights.source_ = source;
  weights.format_ = field_or<std::string>(json, "format", "");
  std::unordered_set<std::string> names;
  std::size_t shard_index = 0;
  for (const auto& group : json["weightsManifest"]) {
    if (!group.is_object() || !group.contains("paths") || !group["paths"].is_array() || !group.contains("weights") ||
        !group["weights"].is_array()) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: a weightsManifest group needs \"paths\" and \"weights\" lists", source)};
    }
    std::string data;
    std::string shard_names;
    for (const auto& path : group["paths"]) {
      if (shard_index >= shards.size()) {
        return Error{ErrorCode::kNotFound, fmt::format("{}: shard {} was not given", source, path.dump())};
      }
      data += shards[shard_index++];
      shard_names += (shard_names.empty() ? "" : "+") + (path.is_string() ? path.get<std::string>() : path.dump());
    }
    const std::string where = fmt::format("{} ({})", source, shard_names);
    std::size_t offset = 0;
    for (const auto& spec : group["weights"]) {
      auto entry = parse_entry(spec, source);
      if (!entry) return entry.error();
      if (!names.insert(entry->name).second) {
        return Error{ErrorCode::kInvalidValue, fmt::format("{}: tensor \"{}\" appears twice", source, entry->name)};
      }
      std::int64_t count = 1;
      for (const auto dim : entry->shape) {
        if (dim != 0 && count > std::numeric_limits<std::int64_t>::max() / 8 / dim) {
          return Error{ErrorCode::kInvalidValue, fmt::format("{}: tensor \"{}\" is impossibly large", source, entry->name)};
        }
        count *= dim;
      }
      const auto bytes = static_cast<std::size_t>(count) * bytes_per_element(entry->storage);
      if (offset + bytes > data.size()) {
        return Error{ErrorCode::kTruncated,
                     fmt::format("{}: {} bytes, but tensor \"{}\" {} needs bytes {}–{}: the weights file is truncated",
                                 where, data.size(), entry->name, fmt::join(entry->shape, "×"), offset, offset + bytes)};
      }
      WeightTensor tensor;
      tensor.name = entry->name;
      tensor.shape = entry->shape;
      tensor.is_float = entry->is_float;
      decode_into(tensor, *entry, reinterpret_cast<const unsigned char*>(data.data()) + offset, count);
      offset += bytes;
      weights.tensors_.push_back(std::move(tensor));
    }
    if (offset != data.size()) {
      return Error{ErrorCode::kCorrupt,
                   fmt::format("{}: {} bytes, but the manifest describes {}: size mismatch (a different or damaged file)",
                               where, data.size(), offset)};
    }
  }
  if (shard_index != shards.size()) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: {} shards given, the manifest names {}", source, shards.size(), shard_index)};
  }
  return weights;
}

const WeightTensor* TfjsWeights::find(std::string_view name) const {
  for (const auto& tensor : tensors_) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

Result<const WeightTensor*> TfjsWeights::require(std::string_view name, const std::vector<std::int64_t>& shape) const {
  const WeightTensor* tensor = find(name);
  if (tensor == nullptr) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: tensor \"{}\" is missing", source_, name)};
  }
  if (!tensor->is_float) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: tensor \"{}\" holds integers, not weights", source_, name)};
  }
  if (tensor->shape != shape) {
    return Error{ErrorCode::kInvalidValue, fmt::format("{}: tensor \"{}\" has shape [{}], expected [{}]", source_, name,
                                                       fmt::join(tensor->shape, ", "), fmt::join(shape, ", "))};
  }
  return tensor;
}

}  // namespace logoscope::pretrained
