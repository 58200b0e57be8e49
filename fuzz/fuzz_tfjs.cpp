// A TensorFlow.js weights manifest and its shards (pretrained/tfjs_weights.hpp). The input is the
// model.json text, a NUL byte, then the bytes of the first shard; later paths get copies of it.
#include <cstdint>
#include <string>
#include <vector>

#include "pretrained/tfjs_weights.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string json = input.substr(0, split);
  const std::string shard = split == std::string::npos ? std::string() : input.substr(split + 1);
  const std::vector<std::string> shards(4, shard);
  (void)logoscope::pretrained::TfjsWeights::parse(json, shards, "fuzz/model.json");
  return 0;
}
