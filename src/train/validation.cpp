#include "train/validation.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "infer/dataset_runner.hpp"
#include "infer/predictor.hpp"

namespace logoscope::train {

Dataset in_model_labels(const Dataset& data, const std::vector<std::string>& labels) {
  Dataset out = data;
  out.labels = labels;
  for (auto& sample : out.samples) {
    for (auto& box : sample.boxes) {
      const std::string& name = data.labels[static_cast<std::size_t>(box.label)];
      const auto found = std::find(labels.begin(), labels.end(), name);
      box.label = found == labels.end() ? 0 : static_cast<int>(found - labels.begin());
      if (found == labels.end()) box.ignore = true;
    }
  }
  return out;
}

NetworkScore score_network(const model::ModelInfo& info, model::DetectorImpl& net, const Dataset& data,
                           TrainProgress::Phase phase, const ProgressFn& progress) {
  infer::PredictorOptions options;
  options.min_score = 0.01F;  // low, so that the curves reach high recall (as `evaluate`)
  auto predictor = value_or_throw(infer::Predictor::create(info, net, options));
  const char* what = phase == TrainProgress::Phase::kTesting ? "test images" : "validation images";
  auto run = infer::detect_dataset(*predictor, data, [&](std::size_t done, std::size_t total) {
    if (progress) {
      progress({phase, what, static_cast<std::int64_t>(done), static_cast<std::int64_t>(total), "", done == total});
    }
  });
  NetworkScore score;
  score.unreadable = static_cast<int>(run.problems.size());
  for (const auto& problem : run.problems) spdlog::warn("{}: {}", problem.image, problem.message);
  score.metrics = eval::compute_metrics(data.samples, run.detections, data.labels);
  score.detections = std::move(run.detections);
  return score;
}

}  // namespace logoscope::train
