// Dataset reader: YOLO data.yaml (the YAML subset reader). Image sizes are not probed (no image files exist).
#include <cstdint>

#include "dataset/formats.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = logoscope::fuzz::write_input("input.yaml", data, size);
  logoscope::Problems problems;
  logoscope::dataset::ReadOptions options;
  options.probe_missing_sizes = false;
  (void)logoscope::dataset::read_dataset(path, logoscope::dataset::DatasetFormat::kYolo, problems, options);
  return 0;
}
