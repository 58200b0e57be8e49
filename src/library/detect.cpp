// The public detection API (include/logoscope/detect.hpp) over infer::Predictor.
#include "logoscope/detect.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <opencv2/imgproc.hpp>

#include "api/custom_labels.hpp"
#include "core/thread_pool.hpp"
#include "imageio/image_io.hpp"
#include "infer/detect_pipeline.hpp"
#include "infer/intra_op_threads.hpp"
#include "library/boundary.hpp"
#include "library/model_impl.hpp"
#include "model/model_info.hpp"

namespace fs = std::filesystem;

namespace logoscope {

namespace {

using Clock = std::chrono::steady_clock;

// The network's candidates below 1 % are never reported (evaluation uses the same floor).
constexpr float kMinScore = 0.01F;

infer::TileMode tile_mode(Tiling tiling) {
  switch (tiling) {
    case Tiling::kOn:
      return infer::TileMode::kOn;
    case Tiling::kOff:
      return infer::TileMode::kOff;
    case Tiling::kAuto:
      break;
  }
  return infer::TileMode::kAuto;
}

// When the model's weights were written, as ISO 8601 UTC ("" when unknown).
std::string weights_time(const std::string& directory) {
  const std::int64_t written_ms = model::weights_written_ms(directory);
  if (written_ms <= 0) return "";
  const std::time_t seconds = static_cast<std::time_t>(written_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

ModelDescription describe_info(const model::ModelInfo& info, const std::string& directory) {
  ModelDescription description;
  description.directory = directory;
  description.architecture = info.architecture;
  description.labels = info.labels;
  for (std::size_t i = 0; i < info.labels.size(); ++i) {
    const float threshold = i < info.thresholds.size() ? info.thresholds[i] : 0.5F;
    description.min_confidence.push_back(static_cast<double>(threshold) * 100.0);
  }
  description.created = weights_time(directory);
  if (info.metrics.is_object() && info.metrics.contains("mean_f1") && info.metrics["mean_f1"].is_number()) {
    description.f1 = info.metrics["mean_f1"].get<double>();
  }
  description.train_size = info.train_size;
  description.infer_size = info.infer_long_side;
  description.flip_average = info.flip_average;
  return description;
}

DetectResult to_result(const std::vector<Detection>& detections, int width, int height,
                       const std::vector<std::string>& names) {
  DetectResult result;
  result.width = width;
  result.height = height;
  const double w = width > 0 ? width : 1;
  const double h = height > 0 ? height : 1;
  result.labels.reserve(detections.size());
  for (const auto& d : detections) {
    CustomLabel label;
    label.label_index = d.label;
    label.name = api::label_name(d.label, names);
    label.confidence = static_cast<double>(d.score) * 100.0;
    label.bounding_box = {(d.x1 - d.x0) / w, (d.y1 - d.y0) / h, d.x0 / w, d.y0 / h};
    label.pixel_box = {d.x0, d.y0, d.x1, d.y1};
    result.labels.push_back(std::move(label));
  }
  return result;
}

DetectTimings to_timings(const infer::StageTimes& times) {
  return {times.decode_ms, times.preprocess_ms, times.network_ms, times.postprocess_ms, times.passes,
          times.whole_ms,  times.large_ms,      times.tiles_ms,   times.network_gflop};
}

int bytes_per_pixel(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRgb8:
    case PixelFormat::kBgr8:
      return 3;
    case PixelFormat::kRgba8:
    case PixelFormat::kBgra8:
      return 4;
    case PixelFormat::kGray8:
      return 1;
  }
  return 3;
}

// The view as a CV_8UC3 RGB image: the caller's pixels themselves for RGB (any row pitch), else a
// converted copy.
Result<cv::Mat> to_rgb(const ImageView& view) {
  if (view.pixels == nullptr || view.width <= 0 || view.height <= 0) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("image view is empty ({}x{}, pixels {})", view.width, view.height,
                             view.pixels == nullptr ? "null" : "set")};
  }
  const int channels = bytes_per_pixel(view.format);
  const std::size_t packed = static_cast<std::size_t>(view.width) * static_cast<std::size_t>(channels);
  const std::size_t row_bytes = view.row_bytes == 0 ? packed : view.row_bytes;
  if (row_bytes < packed) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("image view row_bytes {} is less than width {} x {} bytes per pixel", row_bytes,
                             view.width, channels)};
  }
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): the header is read-only below.
  const cv::Mat source(view.height, view.width, CV_8UC(channels), const_cast<std::uint8_t*>(view.pixels),
                       row_bytes);
  cv::Mat rgb;
  switch (view.format) {
    case PixelFormat::kRgb8:
      rgb = source;  // read only, for the length of the call: no copy
      break;
    case PixelFormat::kBgr8:
      cv::cvtColor(source, rgb, cv::COLOR_BGR2RGB);
      break;
    case PixelFormat::kRgba8:
      cv::cvtColor(source, rgb, cv::COLOR_RGBA2RGB);
      break;
    case PixelFormat::kBgra8:
      cv::cvtColor(source, rgb, cv::COLOR_BGRA2RGB);
      break;
    case PixelFormat::kGray8:
      cv::cvtColor(source, rgb, cv::COLOR_GRAY2RGB);
      break;
  }
  return rgb;
}

}  // namespace

Result<api::LabelFilter> resolve_filter(const ModelDescription& model, const DetectOptions& options) {
  if (options.min_confidence > 100.0) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("min confidence {} is over 100 (confidences are 0-100)", options.min_confidence)};
  }
  api::LabelFilter filter;
  filter.max_results = options.max_results;
  filter.min_confidence.resize(model.labels.size());
  for (std::size_t i = 0; i < model.labels.size(); ++i) {
    const double percent = options.min_confidence >= 0 ? options.min_confidence : model.min_confidence[i];
    filter.min_confidence[i] = static_cast<float>(percent / 100.0);
  }
  if (!options.labels.empty()) {
    filter.allowed.assign(model.labels.size(), false);
    for (const auto& name : options.labels) {
      const auto it = std::find(model.labels.begin(), model.labels.end(), name);
      if (it == model.labels.end()) {
        return Error{ErrorCode::kInvalidArgument, fmt::format("the model has no label \"{}\" (it has: {})",
                                                              name, fmt::join(model.labels, ", "))};
      }
      filter.allowed[static_cast<std::size_t>(it - model.labels.begin())] = true;
    }
  }
  return filter;
}

// ---- Model ------------------------------------------------------------------------------------

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const ModelDescription& Model::description() const {
  return impl_->description;
}

Status Model::check(const DetectOptions& options) const {
  return library::never_throws("Model::check", [&]() -> Status {
    auto filter = resolve_filter(impl_->description, options);
    if (!filter) return filter.error();
    return Ok{};
  });
}

Result<std::shared_ptr<const Model>> Model::load(const std::string& directory, const ModelOptions& options) {
  return library::never_throws("Model::load", [&]() -> Result<std::shared_ptr<const Model>> {
    if (options.tile_overlap >= options.tile_size / 2) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("tile overlap {} must be less than half of the tile size {}",
                               options.tile_overlap, options.tile_size)};
    }
    infer::PredictorOptions predictor_options;
    predictor_options.min_score = kMinScore;
    predictor_options.long_side = options.infer_size;
    predictor_options.threads = -1;  // each Session sets its own, per call
    predictor_options.nms.class_agnostic = options.class_agnostic_nms;
    predictor_options.tiling.mode = tile_mode(options.tiling);
    predictor_options.tiling.tile_size = options.tile_size;
    predictor_options.tiling.overlap = options.tile_overlap;
    predictor_options.max_batch = std::max(1, options.tile_batch);
    predictor_options.bf16 = options.bf16;
    predictor_options.int8 = options.int8;
    predictor_options.large_logo_pass = options.large_logo_pass;
    predictor_options.flip_average = options.flip_average;
    auto predictor = infer::Predictor::load(directory, predictor_options);
    if (!predictor) return predictor.error();

    auto impl = std::make_unique<Impl>();
    impl->description = describe_info((*predictor)->info(), directory);
    impl->description.infer_size = (*predictor)->long_side();
    impl->description.flip_average = (*predictor)->flip_average();
    impl->predictor = std::move(predictor).value();
    return std::shared_ptr<const Model>(new Model(std::move(impl)));
  });
}

Result<ModelDescription> Model::describe(const std::string& directory) {
  return library::never_throws("Model::describe", [&]() -> Result<ModelDescription> {
    auto info = model::read_model_info(directory);
    if (!info) return info.error();
    return describe_info(*info, directory);
  });
}

// ---- Session ----------------------------------------------------------------------------------

Session::Session(std::shared_ptr<const Model> model, ExecutionContext context)
    : model_(std::move(model)), threads_(choose_thread_count(context.threads)) {
  LOGOSCOPE_CHECK(model_ != nullptr);
}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const Model& Session::model() const {
  return *model_;
}
int Session::threads() const {
  return threads_;
}

Result<DetectResult> Session::detect(std::span<const std::uint8_t> encoded, const DetectOptions& options,
                                     const std::string& name) {
  return library::never_throws("Session::detect", [&]() -> Result<DetectResult> {
    const auto& description = model_->description();
    auto filter = resolve_filter(description, options);
    if (!filter) return filter.error();
    const auto start = Clock::now();
    imageio::DecodeOptions decode;
    decode.max_pixels = options.max_pixels;
    auto decoded = imageio::decode_image_bytes(encoded, name, decode);
    if (!decoded) return decoded.error();
    infer::StageTimes times;
    times.decode_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const infer::ScopedIntraOpThreads threads(threads_);
    const auto detections = model_->impl().predictor->detect(decoded->rgb, &times);
    auto result = to_result(api::filter_detections(detections, *filter), decoded->rgb.cols, decoded->rgb.rows,
                            description.labels);
    result.warnings = std::move(decoded->warnings);
    result.timings = to_timings(times);
    return result;
  });
}

Result<DetectResult> Session::detect(const ImageView& image, const DetectOptions& options) {
  return library::never_throws("Session::detect", [&]() -> Result<DetectResult> {
    const auto& description = model_->description();
    auto filter = resolve_filter(description, options);
    if (!filter) return filter.error();
    auto rgb = to_rgb(image);
    if (!rgb) return rgb.error();
    infer::StageTimes times;
    const infer::ScopedIntraOpThreads threads(threads_);
    const auto detections = model_->impl().predictor->detect(*rgb, &times);
    auto result =
        to_result(api::filter_detections(detections, *filter), rgb->cols, rgb->rows, description.labels);
    result.timings = to_timings(times);
    return result;
  });
}

Status Session::detect_files(const std::vector<std::string>& paths, const DetectOptions& options,
                             const FileOptions& files,
                             const std::function<void(const FileResult&)>& on_result) {
  return library::never_throws("Session::detect_files", [&]() -> Status {
    const auto& description = model_->description();
    auto filter = resolve_filter(description, options);
    if (!filter) return filter.error();
    infer::PipelineOptions pipeline;
    pipeline.decode_threads = std::max(0, files.decode_threads);
    pipeline.image_batch = std::max<std::size_t>(1, files.image_batch);
    pipeline.decode.max_pixels = options.max_pixels;
    pipeline.images_at_once = files.images_at_once > 0 ? files.images_at_once : std::min(threads_, 4);
    pipeline.threads_per_image = std::max(1, threads_ / pipeline.images_at_once);
    const infer::ScopedIntraOpThreads threads(threads_);
    infer::detect_files(*model_->impl().predictor, paths, pipeline, [&](infer::ImageResult& image) {
      FileResult file;
      file.index = image.index;
      file.path = image.path;
      file.error = image.error;
      if (!image.error) {
        file.result = to_result(api::filter_detections(image.detections, *filter), image.width, image.height,
                                description.labels);
        file.result.warnings = std::move(image.warnings);
        file.result.timings = to_timings(image.times);
        file.pixels = {image.rgb.data, image.rgb.cols, image.rgb.rows, image.rgb.step[0], PixelFormat::kRgb8};
      }
      on_result(file);
    });
    return Ok{};
  });
}

}  // namespace logoscope
