#include "train/batch_loader.hpp"

#include <algorithm>
#include <ctime>
#include <random>

#include <opencv2/core.hpp>

namespace logoscope::train {

namespace {
constexpr std::size_t kQueueDepth = 3;
}

BatchLoader::BatchLoader(const std::vector<augment::TrainImage>& positives,
                         const std::vector<augment::TrainImage>& negatives,
                         const std::vector<augment::Instance>& instances, augment::AugmentConfig config,
                         augment::FlipPolicy flip_policy, std::vector<int> strides, int batch_size, std::uint64_t seed,
                         double hard_negative_weight)
    : positives_(positives),
      negatives_(negatives),
      instances_(instances),
      config_(config),
      augmenter_(config, std::move(flip_policy), seed),
      layout_(model::GridLayout::make(config.output_size, config.output_size, strides)),
      batch_size_(batch_size),
      hard_negative_weight_(hard_negative_weight),
      hardness_(negatives.size(), 0.0F) {
  if (hard_negative_weight_ > 0 && !negatives_.empty()) {
    augmenter_.set_negative_picker([this](std::mt19937_64& rng, std::size_t count) { return pick_negative(rng, count); });
  }
  worker_ = std::thread([this] { produce(); });
}

std::size_t BatchLoader::pick_negative(std::mt19937_64& rng, std::size_t count) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (unit(rng) >= 0.5 * std::min(1.0, hard_negative_weight_)) {
    return std::uniform_int_distribution<std::size_t>(0, count - 1)(rng);
  }
  std::vector<double> cumulative(count);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    double sum = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const double weight = 0.05 + hardness_[i];
      sum += weight * weight;
      cumulative[i] = sum;
    }
  }
  const double target = unit(rng) * cumulative.back();
  const auto found = std::lower_bound(cumulative.begin(), cumulative.end(), target);
  return std::min(count - 1, static_cast<std::size_t>(found - cumulative.begin()));
}

void BatchLoader::report_scores(const std::vector<int>& negative_sources, const std::vector<float>& scores) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < negative_sources.size() && i < scores.size(); ++i) {
    const int source = negative_sources[i];
    if (source >= 0 && static_cast<std::size_t>(source) < hardness_.size()) {
      hardness_[static_cast<std::size_t>(source)] = scores[i];
    }
  }
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

double BatchLoader::cpu_seconds() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cpu_seconds_;
}

Batch BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !queue_.empty(); });
  Batch batch = std::move(queue_.front());
  queue_.pop_front();
  changed_.notify_all();
  return batch;
}

void BatchLoader::produce() {
  cv::setNumThreads(1);
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || queue_.size() < kQueueDepth; });
      if (stop_) return;
    }
    timespec before{};
    timespec after{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before);
    Batch batch = make_batch();
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after);
    const double cpu_s = static_cast<double>(after.tv_sec - before.tv_sec) + 1e-9 * static_cast<double>(after.tv_nsec - before.tv_nsec);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(batch));
      cpu_seconds_ += cpu_s;
    }
    changed_.notify_all();
  }
}

Batch BatchLoader::make_batch() {
  const int size = config_.output_size;
  const auto locations = layout_.total;
  auto images = torch::empty({batch_size_, size, size, 3}, torch::kUInt8);
  auto labels = torch::empty({batch_size_, locations}, torch::kInt64);
  auto boxes = torch::empty({batch_size_, locations, 4}, torch::kFloat);
  auto centerness = torch::empty({batch_size_, locations}, torch::kFloat);
  Batch batch;
  for (int i = 0; i < batch_size_; ++i) {
    const augment::TrainImage sample = augmenter_.compose_training_sample(positives_, negatives_, instances_);
    batch.negative_sources.push_back(augmenter_.last_negative());
    cv::Mat target(size, size, CV_8UC3, images[i].data_ptr<std::uint8_t>());
    sample.rgb.copyTo(target);
    const auto targets = model::assign_targets(sample.boxes, layout_);
    std::memcpy(labels[i].data_ptr<std::int64_t>(), targets.labels.data(), targets.labels.size() * sizeof(std::int64_t));
    std::memcpy(boxes[i].data_ptr<float>(), targets.boxes.data(), targets.boxes.size() * sizeof(float));
    std::memcpy(centerness[i].data_ptr<float>(), targets.centerness.data(), targets.centerness.size() * sizeof(float));
    batch.positives += targets.positives;
  }
  batch.images = images.permute({0, 3, 1, 2}).to(torch::kFloat).div_(255.0).contiguous(torch::MemoryFormat::ChannelsLast);
  batch.labels = labels;
  batch.boxes = boxes;
  batch.centerness = centerness;
  return batch;
}

}  // namespace logoscope::train
