// train/batch_loader.hpp — composes augmented training batches on a background thread.
//
// The producer owns an Augmenter (seeded) and fills a bounded queue, so that the training loop
// never waits on OpenCV work while libtorch uses the cores. OpenCV's own threading is switched
// off on the producer thread to avoid oversubscribing the cores.
//
// Hard negatives (Shrivastava et al. 2016, "Training Region-based Object Detectors with Online
// Hard Example Mining", here at the level of whole negative photos): the loop reports, per sample
// cut from a negative photo, the highest score the network gave it; half of the negative
// backgrounds are then drawn in proportion to (ε + hardness)^2 instead of uniformly, so the photos
// the network currently mistakes for logos come back more often.
//
// Thread safety: next() is called by one consumer thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "augment/augment.hpp"
#include "model/fcos_targets.hpp"

namespace logoscope::train {

struct Batch {
  torch::Tensor images;      ///< [B, 3, S, S] float 0–1, channels-last
  torch::Tensor labels;      ///< [B, L] int64
  torch::Tensor boxes;       ///< [B, L, 4] float
  torch::Tensor centerness;  ///< [B, L] float
  int positives = 0;
  std::vector<int> negative_sources;  ///< per sample: the negative photo it was cut from, or −1
};

class BatchLoader {
 public:
  BatchLoader(const std::vector<augment::TrainImage>& positives, const std::vector<augment::TrainImage>& negatives,
              const std::vector<augment::Instance>& instances, augment::AugmentConfig config,
              augment::FlipPolicy flip_policy, std::vector<int> strides, int batch_size, std::uint64_t seed,
              double hard_negative_weight = 0);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  Batch next();

  /// CPU time the loader's thread has spent making batches (on 2 cores, time the network did not get).
  double cpu_seconds();

  /// The highest background score per sample of a batch (same order as negative_sources).
  void report_scores(const std::vector<int>& negative_sources, const std::vector<float>& scores);

 private:
  std::size_t pick_negative(std::mt19937_64& rng, std::size_t count);
  void produce();
  Batch make_batch();

  const std::vector<augment::TrainImage>& positives_;
  const std::vector<augment::TrainImage>& negatives_;
  const std::vector<augment::Instance>& instances_;
  augment::AugmentConfig config_;
  augment::Augmenter augmenter_;
  model::GridLayout layout_;
  int batch_size_;
  double hard_negative_weight_;
  std::vector<float> hardness_;  ///< per negative, last reported score (guarded by mutex_)
  std::deque<Batch> queue_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  double cpu_seconds_ = 0;  ///< guarded by mutex_
  std::thread worker_;
};

}  // namespace logoscope::train
