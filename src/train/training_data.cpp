#include "train/training_data.hpp"

#include <algorithm>
#include <atomic>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "core/thread_pool.hpp"
#include "dataset/split.hpp"
#include "imageio/image_io.hpp"

namespace logoscope::train {

namespace {

constexpr int kMaxTrainLongSide = 1024;
constexpr int kMaxNegativeLongSide = 640;

// The fewest images any label has in `data`.
int fewest_images_per_label(const Dataset& data) {
  std::vector<int> images_per_label(data.labels.size(), 0);
  for (const auto& sample : data.samples) {
    std::vector<bool> seen(data.labels.size(), false);
    for (const auto& box : sample.boxes) {
      if (box.label >= 0 && !seen[static_cast<std::size_t>(box.label)]) {
        seen[static_cast<std::size_t>(box.label)] = true;
        ++images_per_label[static_cast<std::size_t>(box.label)];
      }
    }
  }
  return images_per_label.empty() ? 0 : *std::min_element(images_per_label.begin(), images_per_label.end());
}

}  // namespace

std::vector<augment::TrainImage> decode_samples(const std::vector<Sample>& samples, int max_long_side,
                                                const std::string& what, const ProgressFn& progress,
                                                std::int64_t& skipped) {
  std::vector<augment::TrainImage> images(samples.size());
  std::vector<char> ok(samples.size(), 0);
  std::atomic<std::int64_t> done{0};
  const auto total = static_cast<std::int64_t>(samples.size());
  auto report = [&](std::int64_t count, bool finished) {
    if (progress) progress({TrainProgress::Phase::kDecoding, what, count, total, "", finished});
  };
  parallel_for(samples.size(), default_thread_count(), [&](std::size_t i) {
    auto decoded = imageio::decode_image_file(samples[i].image);
    report(++done, false);
    if (!decoded) {
      spdlog::warn("skipping {}: {}", samples[i].image, decoded.error().message);
      return;
    }
    cv::Mat rgb = decoded->rgb;
    double scale = 1.0;
    if (std::max(rgb.cols, rgb.rows) > max_long_side) {
      scale = static_cast<double>(max_long_side) / std::max(rgb.cols, rgb.rows);
      cv::resize(rgb, rgb, {}, scale, scale, cv::INTER_AREA);
    }
    images[i].rgb = rgb;
    for (Box box : samples[i].boxes) {
      if (box.area() <= 0) continue;
      box.x0 *= scale;
      box.y0 *= scale;
      box.x1 *= scale;
      box.y1 *= scale;
      images[i].boxes.push_back(box);
    }
    ok[i] = 1;
  });
  report(total, true);
  std::vector<augment::TrainImage> kept;
  for (std::size_t i = 0; i < images.size(); ++i) {
    if (ok[i] != 0) kept.push_back(std::move(images[i]));
  }
  skipped += static_cast<std::int64_t>(samples.size() - kept.size());
  return kept;
}

Result<TrainingData> prepare_training_data(const TrainInputs& inputs, const TrainConfig& config) {
  const bool preloaded = !inputs.images.empty();
  if (inputs.train.labels.empty() || (!preloaded && inputs.train.box_count() == 0)) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: no labeled boxes to learn from", inputs.train_source)};
  }
  TrainingData data;
  Dataset train_set = inputs.train;
  const int fewest = fewest_images_per_label(train_set);
  if (!inputs.validation.samples.empty()) {
    data.validation = inputs.validation;
    spdlog::info("validation set: {} images", data.validation.samples.size());
  } else if (!preloaded && config.val_fraction > 0 && fewest >= config.min_val_label_images) {
    dataset::SplitOptions split;
    split.test_fraction = config.val_fraction;
    split.seed = config.seed;
    auto parts = dataset::split_dataset(train_set, split);
    if (parts) {
      train_set = std::move(parts->train);
      data.validation = std::move(parts->test);
      spdlog::info("validation split: {} images carved from {} training images", data.validation.samples.size(),
                   inputs.train.samples.size());
    }
  }
  if (data.validation.samples.empty()) {
    spdlog::info("no validation split (a label has only {} images; {} needed): training on all, keeping the final "
                 "EMA weights", fewest, config.min_val_label_images);
  }

  // Generated images (pretraining, one-shot) and labeled photos (one-shot with --train) mix.
  if (preloaded) data.positives = inputs.images;
  if (!train_set.samples.empty()) {
    auto decoded = decode_samples(train_set.samples, kMaxTrainLongSide, "training images", config.on_progress,
                                  data.skipped);
    data.positives.insert(data.positives.end(), std::make_move_iterator(decoded.begin()),
                          std::make_move_iterator(decoded.end()));
  }
  data.train_images = static_cast<std::int64_t>(inputs.images.size() + train_set.samples.size());
  std::vector<Sample> negative_samples;
  for (const auto& path : inputs.negatives) negative_samples.push_back(Sample{path, 0, 0, {}, {}});
  data.negatives = decode_samples(negative_samples, kMaxNegativeLongSide, "negative images", config.on_progress,
                                  data.skipped);
  if (data.positives.empty()) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: none of the training images could be read", inputs.train_source)};
  }
  if (data.skipped > 0 && !config.skip_bad) {
    return Error{ErrorCode::kNotFound,
                 fmt::format("{} of {} images could not be read (each is named above), so nothing was trained: fix "
                             "or remove them (`logoscope dataset validate` lists every problem), or train on the rest "
                             "with --skip-bad",
                             data.skipped, train_set.samples.size() + negative_samples.size())};
  }
  if (data.skipped > 0) {
    spdlog::warn("{} of {} images could not be read and are left out of training (each is named above); fix or remove "
                 "them (`logoscope dataset validate` lists every problem)",
                 data.skipped, train_set.samples.size() + negative_samples.size());
  }
  data.instances = augment::collect_instances(data.positives);
  spdlog::info("training on {} images ({} labeled instances, {} negatives, {} unreadable skipped), {} labels",
               data.positives.size(), data.instances.size(), data.negatives.size(), data.skipped,
               inputs.train.labels.size());
  return data;
}

}  // namespace logoscope::train
