#include "infer/dataset_runner.hpp"

#include <chrono>

#include "core/progress.hpp"
#include "imageio/image_io.hpp"

namespace logoscope::infer {

DatasetRun detect_dataset(const Predictor& predictor, const Dataset& data, const std::string& progress_label) {
  Progress bar(progress_label, static_cast<std::int64_t>(data.samples.size()), !progress_label.empty());
  auto run = detect_dataset(predictor, data, [&](std::size_t, std::size_t) { bar.advance(); });
  bar.finish();
  return run;
}

DatasetRun detect_dataset(const Predictor& predictor, const Dataset& data,
                          const std::function<void(std::size_t, std::size_t)>& on_image) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  DatasetRun run;
  run.detections.resize(data.samples.size());
  const std::size_t total = data.samples.size();
  for (std::size_t i = 0; i < data.samples.size(); ++i) {
    const Sample& sample = data.samples[i];
    ImageDetections& out = run.detections[i];
    out.image = sample.image;
    out.width = sample.width;
    out.height = sample.height;
    auto decoded = imageio::decode_image_file(sample.image);
    if (!decoded) {
      run.problems.push_back(Problem{Severity::kError, "unreadable_image", sample.source, "", sample.image,
                                     decoded.error().message + "; scored as no detections"});
      if (on_image) on_image(i + 1, total);
      continue;
    }
    out.width = decoded->rgb.cols;
    out.height = decoded->rgb.rows;
    const auto network_start = Clock::now();
    out.detections = predictor.detect(decoded->rgb);
    run.network_seconds += std::chrono::duration<double>(Clock::now() - network_start).count();
    if (on_image) on_image(i + 1, total);
  }
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return run;
}

}  // namespace logoscope::infer
