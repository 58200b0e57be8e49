// Dataset reader: COCO json. Image sizes are not probed (no image files exist).
#include <cstdint>

#include "dataset/formats.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = logoscope::fuzz::write_input("input.json", data, size);
  logoscope::Problems problems;
  logoscope::dataset::ReadOptions options;
  options.probe_missing_sizes = false;
  (void)logoscope::dataset::read_dataset(path, logoscope::dataset::DatasetFormat::kCoco, problems, options);
  return 0;
}
