// Dataset readers, one target per format (fuzz/CMakeLists.txt sets LOGOSCOPE_FUZZ_FORMAT and
// LOGOSCOPE_FUZZ_FILE): SageMaker Ground Truth manifests, COCO json, Pascal VOC xml, YOLO
// data.yaml (the YAML subset reader). Image sizes are not probed (no image files exist).
#include <cstdint>

#include "dataset/formats.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = logoscope::fuzz::write_input(LOGOSCOPE_FUZZ_FILE, data, size);
  logoscope::Problems problems;
  logoscope::dataset::ReadOptions options;
  options.probe_missing_sizes = false;
  (void)logoscope::dataset::read_dataset(path, logoscope::dataset::DatasetFormat::LOGOSCOPE_FUZZ_FORMAT, problems,
                                         options);
  return 0;
}
