#include "train/batch_loader.hpp"

#include <opencv2/core.hpp>

namespace logoscope::train {

namespace {
constexpr std::size_t kQueueDepth = 3;
}

BatchLoader::BatchLoader(const std::vector<augment::TrainImage>& positives,
                         const std::vector<augment::TrainImage>& negatives,
                         const std::vector<augment::Instance>& instances, augment::AugmentConfig config,
                         augment::FlipPolicy flip_policy, std::vector<int> strides, int batch_size, std::uint64_t seed)
    : positives_(positives),
      negatives_(negatives),
      instances_(instances),
      config_(config),
      augmenter_(config, std::move(flip_policy), seed),
      layout_(model::GridLayout::make(config.output_size, config.output_size, strides)),
      batch_size_(batch_size),
      worker_([this] { produce(); }) {}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  worker_.join();
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
    Batch batch = make_batch();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(batch));
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
