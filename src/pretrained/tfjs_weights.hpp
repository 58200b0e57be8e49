// pretrained/tfjs_weights.hpp — the weights of a TensorFlow.js model (graph or layers format).
//
// A tfjs model is a model.json whose "weightsManifest" lists groups of binary shards ("paths",
// relative to the JSON) and, per group, the tensors packed back to back in the concatenated
// shards ("weights": name, shape, dtype, optional "quantization"). This reader decodes every
// tensor to float32 (float32; float16; uint8/uint16 affine: value = min + scale · q) or int32
// (int32, bool), and checks that the shards hold exactly the bytes the manifest describes.
// The network topology ("modelTopology") is not interpreted: callers map tensors by name
// (src/model/nanodet_net.cpp).
//
// Errors name the file and the tensor: a missing shard (kNotFound), a shard shorter than the
// manifest needs (kTruncated), longer (kCorrupt), an unknown dtype or quantization
// (kUnsupportedFormat), a malformed manifest field (kInvalidValue), text that is not JSON
// (kParse). Lookups of a missing tensor or a tensor of another shape are errors too (require()).
//
// No libtorch. Thread safety: plain values; concurrent reads of one TfjsWeights are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope::pretrained {

/// One decoded tensor. Float dtypes (and quantized ones) fill `floats`; int32 and bool fill `ints`.
struct WeightTensor {
  std::string name;
  std::vector<std::int64_t> shape;  ///< as stored (tfjs graph models keep HWIO for convolutions)
  bool is_float = true;
  std::vector<float> floats;
  std::vector<std::int32_t> ints;

  [[nodiscard]] std::int64_t element_count() const;
};

class TfjsWeights {
 public:
  /// Reads MODEL_JSON and the shards its manifest names (resolved against its folder).
  static Result<TfjsWeights> read(const std::string& model_json_path);
  /// Parses `json_text`; shards[i] are the bytes of the i-th path over all groups, in order.
  /// `source` names the model in errors.
  static Result<TfjsWeights> parse(const std::string& json_text, const std::vector<std::string>& shards,
                                   const std::string& source);

  /// Nullptr when there is no tensor of that name.
  [[nodiscard]] const WeightTensor* find(std::string_view name) const;
  /// The float tensor `name` with exactly `shape`; an error naming the model and tensor otherwise.
  [[nodiscard]] Result<const WeightTensor*> require(std::string_view name,
                                                    const std::vector<std::int64_t>& shape) const;

  [[nodiscard]] const std::vector<WeightTensor>& tensors() const { return tensors_; }
  [[nodiscard]] const std::string& source() const { return source_; }
  /// The JSON's "format" field ("graph-model", "layers-model"; empty when absent).
  [[nodiscard]] const std::string& format() const { return format_; }

 private:
  std::vector<WeightTensor> tensors_;
  std::string source_;
  std::string format_;
};

/// IEEE 754 binary16 → binary32, exact for every input (subnormals, infinities, NaN).
float half_to_float(std::uint16_t half);

}  // namespace logoscope::pretrained
