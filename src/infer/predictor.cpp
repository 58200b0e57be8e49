#include "infer/predictor.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <torch/torch.h>
#include <opencv2/imgproc.hpp>

#include "core/thread_pool.hpp"
#include "infer/flip_fusion.hpp"
#include "infer/intra_op_threads.hpp"
#include "infer/network_runner.hpp"
#include "model/network_io.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope::infer {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// training.augment.<key> when it is a positive number.
std::optional<double> augment_setting(const model::ModelInfo& info, const char* key) {
  const auto& augment = info.training.is_object() ? info.training.value("augment", nlohmann::json::object())
                                                  : nlohmann::json::object();
  const auto it = augment.find(key);
  if (it != augment.end() && it->is_number() && it->get<double>() > 0) return it->get<double>();
  return std::nullopt;
}

// A pass over the whole image resized to `pixels`, mapped back to the image's pixels.
PassInput resized_pass(const cv::Mat& pixels, const cv::Mat& rgb) {
  PassInput pass;
  pass.pixels = pixels;
  pass.scale_x = static_cast<double>(pixels.cols) / rgb.cols;
  pass.scale_y = static_cast<double>(pixels.rows) / rgb.rows;
  pass.extent_w = rgb.cols;
  pass.extent_h = rgb.rows;
  return pass;
}

// Detections of the large-logo pass that are large in whole-pass pixels (see predictor.hpp).
void keep_large(std::vector<Detection>& detections, double min_side_image_px) {
  std::erase_if(detections, [&](const Detection& d) {
    return std::max(d.x1 - d.x0, d.y1 - d.y0) < min_side_image_px;
  });
}

}  // namespace

double reliable_logo_side(const model::ModelInfo& info) {
  return 1.6 * augment_setting(info, "min_box_side").value_or(10.0);
}

int large_logo_pass_side(const model::ModelInfo& info) {
  const int side = static_cast<int>(std::floor(kLargePassFill * largest_learnt_logo_side(info) / 32.0)) * 32;
  return std::clamp(side, 64, std::max(64, info.train_size));
}

double largest_learnt_logo_side(const model::ModelInfo& info) {
  return std::min(1.0, augment_setting(info, "max_box_side_fraction").value_or(0.95)) * info.train_size;
}

struct Predictor::Impl {
  model::ModelInfo info;
  PredictorOptions options;
  RunOptions run;
  int long_side = 512;
  int large_long_side = 0;  ///< 0: no large-logo pass
  int threads = 0;          ///< intra-op threads per call on the calling thread; 0: as it is
  bool flip = false;        ///< flip averaging (PredictorOptions::flip_average resolved)
  std::vector<bool> original_only;  ///< per label: the mirror view does not speak for it
  double largest_learnt = 304;
  std::unique_ptr<NetworkRunner> runner;

  // One resized pass over `rgb` (its pixels `pixels`), with its mirror image when flip averaging.
  std::vector<Detection> resized(const cv::Mat& pixels, const cv::Mat& rgb, PassTimes* times) const {
    const PassInput input = resized_pass(pixels, rgb);
    const int canvas_w = pad_to_32(pixels.cols);
    const int canvas_h = pad_to_32(pixels.rows);
    if (!flip) return std::move(runner->run_passes({input}, canvas_w, canvas_h, run, times).front());
    cv::Mat mirror;
    cv::flip(pixels, mirror, 1);
    // Each view keeps candidates down to half the minimum: a pair may average above it.
    RunOptions views = run;
    views.min_score = 0.5F * run.min_score;
    auto both = runner->run_passes({input, resized_pass(mirror, rgb)}, canvas_w, canvas_h, views, times);
    const auto start = Clock::now();
    auto fused = fuse_flipped(both[0], unmirror_detections(std::move(both[1]), rgb.cols), original_only);
    std::erase_if(fused, [&](const Detection& d) { return d.score < run.min_score; });
    if (times != nullptr) times->postprocess_ms += ms_since(start);
    return fused;
  }

  // The large-logo pass's detections for an image, filtered and appended to `whole`.
  void add_large(std::vector<Detection> large, const cv::Mat& rgb, std::vector<Detection>& whole) const {
    const double whole_scale = static_cast<double>(long_side) / std::max(rgb.cols, rgb.rows);
    keep_large(large, 0.5 * largest_learnt / whole_scale);
    whole.insert(whole.end(), std::make_move_iterator(large.begin()), std::make_move_iterator(large.end()));
  }
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::~Predictor() = default;

const model::ModelInfo& Predictor::info() const {
  return impl_->info;
}
const TilingOptions& Predictor::tiling() const {
  return impl_->options.tiling;
}
int Predictor::long_side() const {
  return impl_->long_side;
}
int Predictor::large_logo_long_side() const {
  return impl_->large_long_side;
}
bool Predictor::flip_average() const {
  return impl_->flip;
}

Result<std::unique_ptr<Predictor>> Predictor::load(const std::string& model_uri,
                                                   const PredictorOptions& options) {
  // A model folder in S3 is read from its downloaded copy (storage/: the object cache).
  std::string model_dir = model_uri;
  if (storage::is_remote(model_uri)) {
    auto local = storage::local_folder(model_uri);
    if (!local) return local.error();
    model_dir = *local;
  }
  auto info = model::read_model_info(model_dir);
  if (!info) return info.error();
  // libtorch starts with one intra-op thread on these machines; use the free cores unless told.
  PredictorOptions resolved = options;
  resolved.threads = options.threads < 0 ? 0 : choose_thread_count(options.threads);
  auto net = model::load_network(*info, (fs::path(model_dir) / "weights.pt").string());
  if (!net) return net.error();
  auto predictor = create(std::move(info).value(), **net, resolved);
  if (!predictor) return Error{predictor.error().code, fmt::format("{}: {}", model_uri, predictor.error().message)};
  return predictor;
}

Result<std::unique_ptr<Predictor>> Predictor::create(model::ModelInfo info, model::DetectorImpl& net,
                                                     const PredictorOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->info = std::move(info);
  impl->options = options;
  if (impl->options.tiling.min_reliable_side <= 0)
    impl->options.tiling.min_reliable_side = reliable_logo_side(impl->info);
  impl->options.max_batch = std::max(1, options.max_batch);
  impl->threads = std::max(0, options.threads);
  impl->long_side = options.long_side > 0 ? options.long_side : impl->info.infer_long_side;
  impl->run.long_side = impl->long_side;
  impl->largest_learnt = largest_learnt_logo_side(impl->info);
  if (options.large_logo_pass && impl->long_side > impl->largest_learnt && impl->info.train_size < impl->long_side) {
    impl->large_long_side = large_logo_pass_side(impl->info);
  }
  impl->flip = options.flip_average.value_or(impl->info.flip_average);
  impl->original_only.assign(impl->info.labels.size(), false);
  for (const auto& name : impl->info.no_flip_labels) {
    const auto it = std::find(impl->info.labels.begin(), impl->info.labels.end(), name);
    if (it != impl->info.labels.end()) impl->original_only[static_cast<std::size_t>(it - impl->info.labels.begin())] = true;
  }
  impl->run.min_score = options.min_score;
  impl->run.top_k = options.top_k;
  impl->run.nms = options.nms;
  if (impl->run.nms.iou_threshold < 0) impl->run.nms.iou_threshold = impl->info.nms_iou;
  if (impl->run.nms.containment_threshold < 0)
    impl->run.nms.containment_threshold = impl->info.nms_containment;
  if (options.bf16 && options.int8) {
    return Error{ErrorCode::kInvalidArgument, "choose one of bf16 and int8, not both"};
  }
  const Precision precision = options.int8   ? Precision::kInt8
                              : options.bf16 ? Precision::kBf16
                                             : Precision::kFloat32;
  const bool was_training = net.is_training();
  net.eval();
  try {
    impl->runner = std::make_unique<NetworkRunner>(net, precision, impl->info.quantization);
  } catch (const Failure& failure) {
    net.train(was_training);
    return failure.error();
  }
  net.train(was_training);
  return std::unique_ptr<Predictor>(new Predictor(std::move(impl)));
}

PreparedImage Predictor::prepare(const cv::Mat& rgb) const {
  LOGOSCOPE_CHECK(rgb.type() == CV_8UC3 && !rgb.empty());
  const auto start = Clock::now();
  PreparedImage image;
  image.rgb = rgb;
  image.plan = plan_tiles(rgb.cols, rgb.rows, impl_->long_side, impl_->options.tiling);
  image.whole = resize_to_long_side(rgb, impl_->long_side);
  if (impl_->large_long_side > 0) image.large = resize_to_long_side(rgb, impl_->large_long_side);
  image.times.preprocess_ms += ms_since(start);
  return image;
}

std::vector<Detection> Predictor::run(PreparedImage& image) const {
  const ScopedIntraOpThreads threads(impl_->threads);
  const cv::Mat& rgb = image.rgb;
  PassTimes times;
  // Network time of the passes since the last call: each kind of pass is reported on its own.
  double counted_ms = 0;
  auto network_since = [&] {
    const double ms = times.network_ms - counted_ms;
    counted_ms = times.network_ms;
    return ms;
  };
  const int views = impl_->flip ? 2 : 1;
  auto whole_detections = impl_->resized(image.whole, rgb, &times);
  image.times.passes = views;
  image.times.whole_ms += network_since();
  const bool large_pass = !image.large.empty();
  if (large_pass) {
    impl_->add_large(impl_->resized(image.large, rgb, &times), rgb, whole_detections);
    image.times.passes += views;
    image.times.large_ms += network_since();
  }
  std::vector<Detection> result;
  if (image.plan.tiles.empty()) {
    if (large_pass || impl_->flip) {
      const auto start = Clock::now();
      result = non_max_suppression(std::move(whole_detections), impl_->run.nms);
      times.postprocess_ms += ms_since(start);
    } else {
      result = std::move(whole_detections);
    }
  } else {
    const TilePlan& plan = image.plan;
    std::vector<std::vector<Detection>> per_tile;
    per_tile.reserve(plan.tiles.size());
    const auto batch = static_cast<std::size_t>(impl_->options.max_batch);
    for (std::size_t first = 0; first < plan.tiles.size(); first += batch) {
      std::vector<PassInput> passes;
      for (std::size_t i = first; i < std::min(plan.tiles.size(), first + batch); ++i) {
        const TileRect& tile = plan.tiles[i];
        PassInput pass;
        pass.pixels = rgb(cv::Rect(tile.x, tile.y, tile.width, tile.height));
        pass.offset_x = tile.x;
        pass.offset_y = tile.y;
        pass.extent_w = tile.width;
        pass.extent_h = tile.height;
        passes.push_back(pass);
      }
      auto detections = impl_->runner->run_passes(passes, pad_to_32(plan.tile_width),
                                                  pad_to_32(plan.tile_height), impl_->run, &times);
      for (auto& d : detections) per_tile.push_back(std::move(d));
    }
    image.times.passes += static_cast<int>(plan.tiles.size());
    image.times.tiles_ms += network_since();
    const auto start = Clock::now();
    result = merge_tiled_detections(plan, std::move(whole_detections), per_tile, impl_->run.nms);
    times.postprocess_ms += ms_since(start);
  }
  image.times.preprocess_ms += times.preprocess_ms;
  image.times.network_ms += times.network_ms;
  image.times.network_gflop += times.network_gflop;
  image.times.postprocess_ms += times.postprocess_ms;
  return result;
}

bool Predictor::batchable(const PreparedImage& a, const PreparedImage& b) {
  return a.plan.tiles.empty() && b.plan.tiles.empty() && !a.whole.empty() && a.whole.size() == b.whole.size() &&
         a.large.size() == b.large.size();
}

std::vector<std::vector<Detection>> Predictor::run_batch(const std::vector<PreparedImage*>& images) const {
  const ScopedIntraOpThreads threads(impl_->threads);
  std::vector<std::vector<Detection>> results;
  // Flip averaging pairs each image with its mirror image in one pass instead.
  const bool together =
      images.size() > 1 && !impl_->flip && std::all_of(images.begin(), images.end(), [&](const PreparedImage* image) {
        return batchable(*images.front(), *image);
      });
  if (!together) {
    for (auto* image : images) results.push_back(run(*image));
    return results;
  }
  std::vector<PassInput> passes;
  for (const auto* image : images) passes.push_back(resized_pass(image->whole, image->rgb));
  PassTimes times;
  const auto& first = images.front()->whole;
  results =
      impl_->runner->run_passes(passes, pad_to_32(first.cols), pad_to_32(first.rows), impl_->run, &times);
  const double whole_ms = times.network_ms;
  const bool large_pass = !images.front()->large.empty();
  if (large_pass) {
    std::vector<PassInput> large_passes;
    for (const auto* image : images) large_passes.push_back(resized_pass(image->large, image->rgb));
    const auto& large = images.front()->large;
    auto large_results = impl_->runner->run_passes(large_passes, pad_to_32(large.cols), pad_to_32(large.rows),
                                                   impl_->run, &times);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < images.size(); ++i) {
      impl_->add_large(std::move(large_results[i]), images[i]->rgb, results[i]);
      results[i] = non_max_suppression(std::move(results[i]), impl_->run.nms);
    }
    times.postprocess_ms += ms_since(start);
  }
  const double share = 1.0 / static_cast<double>(images.size());
  for (auto* image : images) {
    image->times.passes = large_pass ? 2 : 1;
    image->times.preprocess_ms += times.preprocess_ms * share;
    image->times.network_ms += times.network_ms * share;
    image->times.whole_ms += whole_ms * share;
    image->times.large_ms += (times.network_ms - whole_ms) * share;
    image->times.network_gflop += times.network_gflop * share;
    image->times.postprocess_ms += times.postprocess_ms * share;
  }
  return results;
}

std::vector<Detection> Predictor::detect(const cv::Mat& rgb, StageTimes* times) const {
  PreparedImage image = prepare(rgb);
  auto detections = run(image);
  if (times != nullptr) {
    image.times.decode_ms = times->decode_ms;
    *times = image.times;
  }
  return detections;
}

}  // namespace logoscope::infer
