// augment/augment.hpp — training-time image augmentation for logos and small data.
//
// Pure functions of (image, boxes, rng): each returns a new image and boxes and never touches its
// inputs. Images are CV_8UC3 RGB; boxes are logoscope Boxes (xyxy pixels). Every switch lives in
// AugmentConfig so that runs are reproducible and ablations are one flag away.
//
// The composition (compose_training_sample) follows what measurably helps few-shot logo
// detection: copy-paste of labeled instances into other photos and negatives (Su et al., WACV
// 2017, "Deep learning logo detection with data expansion by synthesising context"; Ghiasi et
// al., CVPR 2021, "Simple Copy-Paste"), mosaic (Bochkovskiy et al. 2020, YOLOv4), unlabeled
// distractor pastes so that paste edges are no cue, and photometric changes for filtered and
// black-and-white photos.
//
// Thread safety: reentrant; an Augmenter is used by one thread (it owns its rng).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include <opencv2/core.hpp>

#include "logoscope/dataset.hpp"

namespace logoscope::augment {

struct AugmentConfig {
  int output_size = 320;            ///< square training crops
  double mosaic_prob = 0.4;
  double negative_base_prob = 0.35; ///< base image drawn from negatives (when there are any)
  int max_pastes = 3;               ///< labeled copy-paste instances per sample
  double paste_prob = 0.7;
  int max_distractors = 2;          ///< unlabeled pastes (other-photo crops, procedural marks)
  double min_box_side = 10;         ///< px after scaling; log-uniform sizes from here
  double max_box_side_fraction = 0.95;  ///< of output_size
  double flip_prob = 0.5;
  double rotate_deg = 20;           ///< pasted instances rotate within ±this
  double color_jitter = 0.4;        ///< hue/saturation/brightness strength
  double grayscale_prob = 0.1;
  double tint_prob = 0.1;
  double blur_prob = 0.15;
  double noise_prob = 0.15;
  double jpeg_prob = 0.2;
  double occlusion_prob = 0.2;
  double min_visible_fraction = 0.45;  ///< cropped boxes keeping less are dropped/ignored
  /// Procedural marks (synth::render_mark indices) usable as unlabeled distractors; the trainer
  /// removes any whose name is one of the dataset's labels.
  std::vector<int> distractor_marks = {0, 1, 2, 3, 4, 5, 6, 7};
};

/// A labeled image held in memory for training.
struct TrainImage {
  cv::Mat rgb;             ///< CV_8UC3
  std::vector<Box> boxes;  ///< may be empty (a negative image)
};

/// A labeled instance cut out of a training image, for copy-paste.
struct Instance {
  cv::Mat rgb;
  int label = 0;
};

/// Cuts every non-ignored, non-degenerate box out of `images` (with a 2 px margin clipped to the
/// image) as an instance bank.
std::vector<Instance> collect_instances(const std::vector<TrainImage>& images);

/// Labels whose mirror image is a different logo (e.g. text) are listed here by index; their
/// instances are never flipped and whole-image flips skip samples that contain them.
struct FlipPolicy {
  std::vector<bool> no_flip;  ///< indexed by label; missing = flip allowed
  [[nodiscard]] bool allowed(int label) const;
};

class Augmenter {
 public:
  Augmenter(AugmentConfig config, FlipPolicy flip_policy, std::uint64_t seed);

  /// One training sample of output_size², built from positives (labeled images), negatives
  /// (images with no logo) and the instance bank. Requires positives or instances non-empty.
  TrainImage compose_training_sample(const std::vector<TrainImage>& positives,
                                     const std::vector<TrainImage>& negatives,
                                     const std::vector<Instance>& instances);

  /// Chooses which negative (index into `negatives`) a sample's background comes from; unset:
  /// uniformly. The trainer sets it to prefer hard negatives.
  using NegativePicker = std::function<std::size_t(std::mt19937_64& rng, std::size_t count)>;
  void set_negative_picker(NegativePicker picker) { negative_picker_ = std::move(picker); }
  /// The negative the last composed sample was cut from when it is a single (non-mosaic) crop of
  /// one; −1 otherwise.
  [[nodiscard]] int last_negative() const { return last_negative_; }

  // Individual steps, public so that tests can check each one.
  TrainImage random_scaled_crop(const TrainImage& image, int size);
  TrainImage mosaic(const std::vector<const TrainImage*>& tiles, int size);
  void paste_instance(TrainImage& target, const Instance& instance, bool labeled);
  void photometric(cv::Mat& rgb);
  void occlude(TrainImage& image);
  void horizontal_flip(TrainImage& image);

  std::mt19937_64& rng() { return rng_; }

 private:
  double uniform(double lo, double hi);
  int uniform_int(int lo, int hi);
  bool chance(double p);

  AugmentConfig config_;
  FlipPolicy flip_policy_;
  std::mt19937_64 rng_;
  NegativePicker negative_picker_;
  int last_negative_ = -1;
};

/// Boxes after mapping through x' = x·scale + dx (same for y); clipped to [0,w]×[0,h]. Boxes
/// keeping less than min_visible of their area are dropped when ≥ 90 % is lost, else kept as
/// ignore; degenerate results are dropped.
std::vector<Box> transform_boxes(const std::vector<Box>& boxes, double scale_x, double scale_y, double dx, double dy,
                                 int width, int height, double min_visible);

}  // namespace logoscope::augment
