// model.json read back: what the reader refuses, by name, instead of throwing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/model_info.hpp"

namespace logoscope::model {
namespace {

ModelInfo small_info() {
  ModelInfo info;
  info.labels = {"acme"};
  info.thresholds = {0.4F};
  info.architecture = "nanodet-g";
  info.strides = {8, 16, 32};
  return info;
}

TEST(ModelInfo, RoundTripsThroughJson) {
  const auto read = model_info_from_json(model_info_to_json(small_info()), "model.json");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->labels, std::vector<std::string>{"acme"});
  EXPECT_FLOAT_EQ(read->thresholds[0], 0.4F);
  EXPECT_EQ(read->architecture, "nanodet-g");
}

// Found by fuzz/fuzz_model_info (fuzz/corpus/model_info/regression-format-twice.json): a second
// "format" key that is a list made nlohmann's value() throw out of the reader.
TEST(ModelInfo, FieldsOfTheWrongTypeAreNamedErrors) {
  auto json = model_info_to_json(small_info());
  json["format"] = nlohmann::json::array({"logo"});
  const auto format = model_info_from_json(json, "m/model.json");
  ASSERT_FALSE(format);
  EXPECT_EQ(format.error().code, ErrorCode::kInvalidValue);
  EXPECT_NE(format.error().message.find("m/model.json: not a logoscope model"), std::string::npos)
      << format.error().message;

  json = model_info_to_json(small_info());
  json["network"]["architecture"] = 7;
  const auto architecture = model_info_from_json(json, "m/model.json");
  ASSERT_FALSE(architecture);
  EXPECT_NE(architecture.error().message.find("malformed field"), std::string::npos) << architecture.error().message;

  json = model_info_to_json(small_info());
  json["min_confidence"] = "high";
  EXPECT_FALSE(model_info_from_json(json, "m/model.json"));
  EXPECT_FALSE(model_info_from_json(nlohmann::json::array(), "m/model.json"));

  // Found by fuzz/fuzz_model_info (regression-huge-size.json): numbers beyond int's or float's range
  // were converted unchecked (undefined behaviour); now each is a malformed field named.
  for (const auto& [pointer, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"/input/train_size", 3.55556e118},
           {"/input/infer_long_side", 1e10},
           {"/input/infer_long_side", 512.5},
           {"/network/strides", nlohmann::json::array({8, 16, 1e300})},
           {"/min_confidence", nlohmann::json::array({1e300})},
           {"/min_confidence", nlohmann::json::array({-1})}}) {
    json = model_info_to_json(small_info());
    json[nlohmann::json::json_pointer(pointer)] = value;
    const auto read = model_info_from_json(json, "m/model.json");
    ASSERT_FALSE(read) << pointer << " = " << value.dump();
    EXPECT_NE(read.error().message.find("malformed field"), std::string::npos) << read.error().message;
  }
  json = model_info_to_json(small_info());
  json["version"] = 18446744073709551615ULL;
  EXPECT_NE(model_info_from_json(json, "m/model.json").error().message.find("not supported"), std::string::npos);
}

}  // namespace
}  // namespace logoscope::model
