#include "labeling/next_run.hpp"

#include <algorithm>
#include <filesystem>
#include <unordered_set>

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "imageio/image_io.hpp"
#include "infer/flip_fusion.hpp"
#include "labeling/image_hash.hpp"
#include "model/model_info.hpp"
#include "storage/storage.hpp"

namespace logoscope::labeling {

namespace {

namespace fs = std::filesystem;

// Local paths compare after making them absolute and normal ("a/../b.jpg" is "b.jpg"); URIs as given.
std::string comparable(const std::string& path) {
  if (storage::is_remote(path)) return path;
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

std::vector<Detection> detections_of(const DetectResult& result) {
  std::vector<Detection> detections;
  detections.reserve(result.labels.size());
  for (const auto& found : result.labels) {
    detections.push_back({found.pixel_box.x0, found.pixel_box.y0, found.pixel_box.x1, found.pixel_box.y1,
                          found.label_index, static_cast<float>(found.confidence / 100.0)});
  }
  return detections;
}

std::vector<bool> original_only_labels(const std::string& model_dir, const std::vector<std::string>& labels) {
  std::vector<bool> original_only(labels.size(), false);
  auto info = model::read_model_info(model_dir);
  if (!info) return original_only;
  for (const auto& name : info->no_flip_labels) {
    const auto at = std::find(labels.begin(), labels.end(), name);
    if (at != labels.end()) original_only[static_cast<std::size_t>(at - labels.begin())] = true;
  }
  return original_only;
}

// The labeled photos' hashes, and in `compared` their paths; those that cannot be read are warnings
// (the pool is still ranked).
std::vector<std::uint64_t> labeled_hashes(const std::vector<std::string>& labeled_images,
                                          std::vector<std::string>& compared, std::vector<std::string>& warnings) {
  std::vector<std::uint64_t> hashes;
  hashes.reserve(labeled_images.size());
  for (const auto& path : labeled_images) {
    auto decoded = imageio::decode_image_file(path);
    if (!decoded) {
      warnings.push_back(fmt::format("labeled photo not compared: {}", decoded.error().message));
      continue;
    }
    hashes.push_back(perceptual_hash(decoded->rgb));
    compared.push_back(path);
  }
  return hashes;
}

}  // namespace

Result<NextRun> rank_pool(const std::string& model_dir, const std::vector<std::string>& pool_images,
                          const std::vector<std::string>& labeled_images, const NextOptions& options,
                          const std::function<void()>& on_photo) {
  // The two views are run here, one at a time, so that both are at hand for the priority.
  ModelOptions model_options;
  model_options.flip_average = false;
  auto loaded = Model::load(model_dir, model_options);
  if (!loaded) return loaded.error();
  const std::shared_ptr<const Model> model = *loaded;

  NextRun run;
  run.model = model->description();
  for (const double threshold : run.model.min_confidence) run.thresholds.push_back(threshold / 100.0);
  const std::vector<bool> original_only = original_only_labels(model_dir, run.model.labels);

  std::unordered_set<std::string> labeled;
  for (const auto& path : labeled_images) labeled.insert(comparable(path));
  std::vector<std::string> paths;
  for (const auto& path : pool_images) {
    if (labeled.contains(comparable(path))) {
      ++run.already_labeled;
    } else {
      paths.push_back(path);
    }
  }
  const std::vector<std::uint64_t> labeled_hash = labeled_hashes(labeled_images, run.labeled_compared, run.warnings);

  Session session(model, {options.threads});
  Session mirror_session(model, {session.threads()});
  DetectOptions every_score;
  every_score.min_confidence = 0;
  FileOptions files;
  files.images_at_once = 1;
  run.pool.resize(paths.size());
  auto status = session.detect_files(paths, every_score, files, [&](const FileResult& file) {
    PoolPhoto& photo = run.pool[file.index];
    photo.path = file.path;
    if (file.error) {
      photo.error = file.error;
    } else {
      const cv::Mat rgb(file.pixels.height, file.pixels.width, CV_8UC3, const_cast<std::uint8_t*>(file.pixels.pixels),
                        file.pixels.row_bytes == 0 ? static_cast<std::size_t>(cv::Mat::AUTO_STEP) : file.pixels.row_bytes);
      photo.hash = perceptual_hash(rgb);
      cv::Mat mirrored;
      cv::flip(rgb, mirrored, 1);
      const ImageView view{mirrored.data, mirrored.cols, mirrored.rows, mirrored.step[0], PixelFormat::kRgb8};
      auto mirror = mirror_session.detect(view, every_score);
      if (!mirror) {
        photo.error = mirror.error();
      } else {
        PhotoEvidence evidence;
        evidence.original = detections_of(file.result);
        evidence.mirrored = infer::unmirror_detections(detections_of(*mirror), file.result.width);
        photo.priority = photo_priority(evidence, run.thresholds, original_only, options.threshold_band);
      }
    }
    if (on_photo) on_photo();
  });
  if (!status) return status.error();

  std::vector<PhotoPriority> priorities;
  std::vector<std::uint64_t> hashes;
  std::vector<bool> eligible;
  for (const auto& photo : run.pool) {
    priorities.push_back(photo.priority);
    hashes.push_back(photo.hash);
    eligible.push_back(!photo.error);
  }
  run.selection = choose_next(priorities, hashes, labeled_hash, options.count, options.near_duplicate_bits, eligible);
  return run;
}

}  // namespace logoscope::labeling
