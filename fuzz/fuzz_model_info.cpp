// model.json: the JSON a model folder carries, as detect, serve and evaluate read it.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model_info.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  (void)logoscope::model::model_info_from_json(json, "fuzz/model.json");
  return 0;
}
