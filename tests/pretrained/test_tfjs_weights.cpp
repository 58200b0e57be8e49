// The TensorFlow.js weights reader: every dtype and quantization decodes exactly, and each kind of
// bad input (truncated shard, size mismatch, unknown dtype, missing tensor, malformed manifest) is
// an error that names the file and the tensor. Also the pretrained cache's verification.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "pretrained/pretrained_files.hpp"
#include "pretrained/tfjs_weights.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace logoscope::pretrained {
namespace {

template <typename T>
void append(std::string& bytes, T value) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  bytes.append(raw, sizeof(T));
}

// A manifest with one tensor of each supported encoding, and the matching shard.
struct Model {
  std::string json = R"({"format": "graph-model", "weightsManifest": [{"paths": ["a.bin"], "weights": [
      {"name": "f32", "shape": [2, 2], "dtype": "float32"},
      {"name": "f16", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16"}},
      {"name": "u8", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}},
      {"name": "u16", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint16", "min": 2.0, "scale": 0.25}},
      {"name": "i32", "shape": [2], "dtype": "int32"},
      {"name": "flag", "shape": [], "dtype": "bool"}]}]})";
  std::string shard;
  Model() {
    for (float v : {1.5F, -2.0F, 0.0F, 3.25F}) append(shard, v);
    for (std::uint16_t h : {std::uint16_t{0x3C00}, std::uint16_t{0xC000}, std::uint16_t{0x0001}}) append(shard, h);  // 1, -2, 2^-24
    append(shard, std::uint8_t{0});
    append(shard, std::uint8_t{6});
    append(shard, std::uint16_t{8});
    append(shard, std::int32_t{-7});
    append(shard, std::int32_t{123456});
    append(shard, std::uint8_t{1});
  }
};

TEST(TfjsWeights, DecodesEveryEncoding) {
  Model model;
  const auto weights = TfjsWeights::parse(model.json, {model.shard}, "m.json");
  ASSERT_TRUE(weights) << weights.error().message;
  EXPECT_EQ(weights->format(), "graph-model");
  ASSERT_EQ(weights->tensors().size(), 6U);
  EXPECT_EQ(weights->find("f32")->floats, (std::vector<float>{1.5F, -2.0F, 0.0F, 3.25F}));
  EXPECT_EQ(weights->find("f32")->shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(weights->find("f16")->floats, (std::vector<float>{1.0F, -2.0F, std::ldexp(1.0F, -24)}));
  EXPECT_EQ(weights->find("u8")->floats, (std::vector<float>{-1.0F, 2.0F}));
  EXPECT_EQ(weights->find("u16")->floats, (std::vector<float>{4.0F}));
  EXPECT_EQ(weights->find("i32")->ints, (std::vector<std::int32_t>{-7, 123456}));
  EXPECT_FALSE(weights->find("i32")->is_float);
  EXPECT_EQ(weights->find("flag")->ints, (std::vector<std::int32_t>{1}));
  EXPECT_EQ(weights->find("flag")->element_count(), 1);
  EXPECT_EQ(weights->find("nothing"), nullptr);
}

TEST(TfjsWeights, HalfFloatsConvertExactly) {
  EXPECT_EQ(half_to_float(0x0000), 0.0F);
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
  EXPECT_EQ(half_to_float(0x3C00), 1.0F);
  EXPECT_EQ(half_to_float(0x7BFF), 65504.0F);                   // largest finite
  EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0F, -14));      // smallest normal
  EXPECT_EQ(half_to_float(0x03FF), std::ldexp(1023.0F, -24));   // largest subnormal
  EXPECT_EQ(half_to_float(0x3555), 0.333251953125F);
  EXPECT_EQ(half_to_float(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
}

TEST(TfjsWeights, RequireChecksNameAndShape) {
  Model model;
  const auto weights = TfjsWeights::parse(model.json, {model.shard}, "m.json");
  ASSERT_TRUE(weights);
  EXPECT_TRUE(weights->require("f32", {2, 2}));
  const auto missing = weights->require("conv9", {3});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("m.json: tensor \"conv9\" is missing"), std::string::npos) << missing.error().message;
  const auto shape = weights->require("f32", {4});
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().message.find("has shape [2, 2], expected [4]"), std::string::npos) << shape.error().message;
  EXPECT_FALSE(weights->require("i32", {2}));  // integers are not weights
}

struct BadCase {
  const char* what;
  std::string json;
  std::string shard;
  ErrorCode code;
  const char* message_part;
};

TEST(TfjsWeights, BadInputsAreNamedErrors) {
  const Model good;
  std::string longer = good.shard + "xx";
  const std::vector<BadCase> cases = {
      {"truncated shard", good.json, good.shard.substr(0, 20), ErrorCode::kTruncated, "truncated"},
      {"size mismatch", good.json, longer, ErrorCode::kCorrupt, "size mismatch"},
      {"unknown dtype", R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "c", "shape": [1], "dtype": "complex64"}]}]})",
       "12345678", ErrorCode::kUnsupportedFormat, "\"complex64\""},
      {"unknown quantization",
       R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "q", "shape": [1], "dtype": "float32", "quantization": {"dtype": "int4"}}]}]})",
       "1", ErrorCode::kUnsupportedFormat, "\"int4\""},
      {"affine without scale",
       R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "q", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint8", "min": 0}}]}]})",
       "1", ErrorCode::kInvalidValue, "\"scale\""},
      {"negative dimension", R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "n", "shape": [-1], "dtype": "float32"}]}]})",
       "", ErrorCode::kInvalidValue, "tensor \"n\""},
      {"no manifest", R"({"format": "graph-model"})", "", ErrorCode::kInvalidValue, "weightsManifest"},
      {"not JSON", "{nope", "", ErrorCode::kParse, "not valid JSON"},
      // nlohmann's value(key, default) threw on a field of another type; these are plain errors.
      {"dtype not a string", R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "c", "shape": [1], "dtype": 7}]}]})",
       "1234", ErrorCode::kUnsupportedFormat, "dtype \"\""},
      {"quantization dtype not a string",
       R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "q", "shape": [1], "dtype": "float32", "quantization": {"dtype": []}}]}]})",
       "1", ErrorCode::kUnsupportedFormat, "tensor \"q\""},
      // Found by fuzz_tfjs: an int32 tensor whose uint16 codes dequantize beyond int32 (scale 2e14)
      // was converted unchecked (UBSan).
      {"quantized beyond int32",
       R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "q", "shape": [1], "dtype": "int32", "quantization": {"dtype": "uint16", "min": 260, "scale": 211111111111110.25}}]}]})",
       "12", ErrorCode::kInvalidValue, "beyond the range of int32"},
      {"quantized beyond float",
       R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "q", "shape": [1], "dtype": "float32", "quantization": {"dtype": "uint8", "min": 0, "scale": 1e307}}]}]})",
       "1", ErrorCode::kInvalidValue, "beyond the range of float32"},
      {"duplicate tensor",
       R"({"weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "d", "shape": [1], "dtype": "float32"}, {"name": "d", "shape": [1], "dtype": "float32"}]}]})",
       "12345678", ErrorCode::kInvalidValue, "appears twice"},
  };
  for (const auto& bad : cases) {
    const auto result = TfjsWeights::parse(bad.json, {bad.shard}, "model.json");
    ASSERT_FALSE(result) << bad.what;
    EXPECT_EQ(result.error().code, bad.code) << bad.what << ": " << result.error().message;
    EXPECT_NE(result.error().message.find(bad.message_part), std::string::npos) << bad.what << ": " << result.error().message;
    EXPECT_NE(result.error().message.find("model.json"), std::string::npos) << bad.what;
  }
}

TEST(TfjsWeights, ReadsShardsBesideTheJsonAndNamesAMissingOne) {
  testing::TempDir dir;
  Model model;
  std::ofstream(dir.file("model.json")) << model.json;
  {
    std::ofstream out(dir.file("a.bin"), std::ios::binary);
    out.write(model.shard.data(), static_cast<std::streamsize>(model.shard.size()));
  }
  const auto read = TfjsWeights::read(dir.file("model.json"));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->find("u8")->floats[1], 2.0F);
  fs::remove(dir.file("a.bin"));
  const auto missing = TfjsWeights::read(dir.file("model.json"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("a.bin"), std::string::npos) << missing.error().message;
  std::ofstream(dir.file("escape.json")) << R"({"weightsManifest": [{"paths": ["../x.bin"], "weights": []}]})";
  const auto escape = TfjsWeights::read(dir.file("escape.json"));
  ASSERT_FALSE(escape);
  EXPECT_NE(escape.error().message.find("leaves the model's folder"), std::string::npos) << escape.error().message;
}

TEST(PretrainedFiles, VerifiesSizeAndHashAndNamesTheFix) {
  testing::TempDir dir;
  const std::string text = "abc";
  std::ofstream(dir.file("abc.txt")) << text;
  const auto digest = sha256_file(dir.file("abc.txt"));
  ASSERT_TRUE(digest);
  EXPECT_EQ(*digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2 example

  PretrainedPackage package{"pkg", "some-npm@1.0.0", "", "", "", {{"abc.txt", *digest, 3}}};
  setenv("LOGOSCOPE_PRETRAINED_DIR", dir.path().c_str(), 1);
  const auto absent = locate_verified(package);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::kNotFound);
  EXPECT_NE(absent.error().message.find("scripts/fetch-pretrained.sh"), std::string::npos) << absent.error().message;

  fs::create_directories(dir.file("pkg"));
  std::ofstream(dir.file("pkg/abc.txt")) << "abd";
  const auto damaged = locate_verified(package);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(damaged.error().message.find("--force"), std::string::npos) << damaged.error().message;

  std::ofstream(dir.file("pkg/abc.txt")) << text;
  const auto found = locate_verified(package);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(fs::path(*found), fs::path(dir.file("pkg")));
  unsetenv("LOGOSCOPE_PRETRAINED_DIR");
}

}  // namespace
}  // namespace logoscope::pretrained
