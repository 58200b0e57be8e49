#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "api/custom_labels.hpp"
#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "storage/output_folder.hpp"
#include "storage/prefetch.hpp"
#include "storage/storage.hpp"
#include "core/files.hpp"
#include "core/progress.hpp"
#include "core/shard.hpp"
#include "core/text.hpp"
#include "dataset/image_inputs.hpp"
#include "eval/predictions.hpp"
#include "imageio/image_io.hpp"
#include "infer/tiling.hpp"
#include "logoscope/detect.hpp"
#include "logoscope/train.hpp"
#include "marks/reference_marks.hpp"
#include "model/base_model.hpp"
#include "model/model_info.hpp"
#include "render/annotate.hpp"
#include "train/console_progress.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

namespace {

struct DetectArgs {
  std::string model;
  bool any_logo = false;
  std::vector<std::string> references;  ///< a quick look: a model trained from these files first
  std::string reference_time;  ///< empty: 60 s
  std::int64_t reference_steps = 0;
  std::string keep_model;
  std::vector<std::string> inputs;
  double min_confidence = -1;
  std::size_t max_results = 0;
  std::vector<std::string> labels;
  std::string out;
  std::string format = "jsonl";
  std::string draw_dir;
  bool class_agnostic = false;
  int long_side = 0;
  int threads = 0;
  int jobs = 1;
  int images_at_once = 0;
  int batch = 4;
  int tile_batch = 1;
  std::string tile = "auto";
  int tile_size = infer::kDefaultTileSize;
  int tile_overlap = -1;
  bool profile = false;
  std::string profile_json;
  std::string shard;  ///< "K/N" or "auto": this task's share of the inputs (core/shard.hpp)
  bool bf16 = false;
  bool int8 = false;
  bool no_large_logo_pass = false;
  FlipAverageFlags flip_average;
  std::int64_t max_pixels = imageio::kDefaultMaxPixels;
  bool overwrite = false;
};

constexpr std::string_view kCsvHeader = eval::kDetectionsCsvHeader;

void write_csv(std::ostream& out, const std::string& image, const DetectResult& result) {
  const std::string name = csv_field(image);
  if (result.labels.empty()) {
    out << name << ",,,,,,,,,,,\n";
    return;
  }
  for (const auto& label : result.labels) {
    const auto& b = label.bounding_box;
    const auto& p = label.pixel_box;
    out << fmt::format("{},{},{:.4f},{:.6f},{:.6f},{:.6f},{:.6f},{:.2f},{:.2f},{:.2f},{:.2f},\n", name,
                       csv_field(label.name), label.confidence, b.left, b.top, b.width, b.height, p.x0, p.y0, p.x1,
                       p.y1);
  }
}

void write_error(std::ostream& out, bool csv, const std::string& image, const Error& error) {
  if (csv) {
    out << csv_field(image) << ",,,,,,,,,,,"
        << csv_field(fmt::format("{}: {}", error_code_name(error.code), error.message)) << "\n";
    return;
  }
  out << nlohmann::json{{"image", image},
                        {"error", {{"code", error_code_name(error.code)}, {"message", error.message}}}}
             .dump()
      << "\n";
}

// Per-stage timings over the run (milliseconds per image).
class Profile {
 public:
  void add(const DetectTimings& times) {
    stages_[0].push_back(times.decode_ms);
    stages_[1].push_back(times.preprocess_ms);
    stages_[2].push_back(times.network_ms);
    stages_[3].push_back(times.whole_ms);
    stages_[4].push_back(times.large_ms);
    stages_[5].push_back(times.tiles_ms);
    stages_[6].push_back(times.postprocess_ms);
    gflop_.push_back(times.network_gflop);
    passes_ += times.passes;
  }

  [[nodiscard]] nlohmann::json to_json(double wall_s, std::size_t images) const {
    nlohmann::json stages = nlohmann::json::object();
    for (std::size_t s = 0; s < stages_.size(); ++s) {
      stages[kKeys[s]] = {{"median_ms", median(stages_[s])}, {"total_s", total(stages_[s]) / 1000.0}};
    }
    return {{"images", images},
            {"images_detected", stages_[0].size()},
            {"network_passes", passes_},
            {"wall_s", wall_s},
            {"images_per_s", wall_s > 0 ? static_cast<double>(images) / wall_s : 0.0},
            {"network_gflop", {{"median", median(gflop_)}, {"total", total(gflop_)}}},
            {"network_gflops_achieved", achieved_gflops()},
            {"stages", stages}};
  }

  void print(std::ostream& err, double wall_s, std::size_t images) const {
    err << fmt::format("profile: {} images in {:.2f} s ({:.2f} images/s), {} network passes\n", images,
                       wall_s, wall_s > 0 ? static_cast<double>(images) / wall_s : 0.0, passes_);
    err << fmt::format("  {:<16} {:>12} {:>10}\n", "stage", "median ms", "total s");
    for (std::size_t s = 0; s < stages_.size(); ++s) {
      if (s >= 3 && s <= 5 && total(stages_[s]) <= 0) continue;  // a kind of pass that never ran
      err << fmt::format("  {:<16} {:>12.2f} {:>10.3f}\n", kNames[s], median(stages_[s]),
                         total(stages_[s]) / 1000.0);
    }
    err << fmt::format("  network arithmetic: {:.2f} GFLOP per image (median), {:.1f} GFLOP/s achieved\n",
                       median(gflop_), achieved_gflops());
    err << "  (decode and preprocess overlap the network when --jobs > 0; logoscope-bench-detect --peak\n"
           "   measures this CPU's convolution peak to compare with)\n";
  }

 private:
  static constexpr std::array<const char*, 7> kNames = {"decode",          "preprocess",     "network",
                                                        "  whole pass",    "  large-logo",   "  tiles",
                                                        "postprocess"};
  static constexpr std::array<const char*, 7> kKeys = {"decode",        "preprocess",          "network",
                                                       "network_whole", "network_large_logo", "network_tiles",
                                                       "postprocess"};

  [[nodiscard]] double achieved_gflops() const {
    const double network_s = total(stages_[2]) / 1000.0;
    return network_s > 0 ? total(gflop_) / network_s : 0.0;
  }

  static double median(std::vector<double> values) {
    if (values.empty()) return 0;
    const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
    std::nth_element(values.begin(), mid, values.end());
    if (values.size() % 2 == 1) return *mid;
    return (*mid + *std::max_element(values.begin(), mid)) / 2;
  }
  static double total(const std::vector<double>& values) {
    double sum = 0;
    for (const double v : values) sum += v;
    return sum;
  }

  std::array<std::vector<double>, 7> stages_;
  std::vector<double> gflop_;
  int passes_ = 0;
};

// `stem.jpg` in the draw folder, or `stem_2.jpg`, … when an earlier image had the same stem.
std::string drawn_path(const std::string& dir, const std::string& image, std::map<std::string, int>& used) {
  const std::string stem = fs::path(image).stem().string();
  const int count = ++used[stem];
  const std::string name = count == 1 ? stem : fmt::format("{}_{}", stem, count);
  return (fs::path(dir) / (name + ".jpg")).string();
}

// The model's detections as the engine's boxes, for drawing.
std::vector<Detection> as_detections(const DetectResult& result) {
  std::vector<Detection> detections;
  for (const auto& label : result.labels) {
    const auto& p = label.pixel_box;
    detections.push_back({p.x0, p.y0, p.x1, p.y1, label.label_index, static_cast<float>(label.confidence / 100.0)});
  }
  return detections;
}

// A folder removed when the run ends, however it ends (the quick model of --reference).
class TemporaryFolder {
 public:
  TemporaryFolder() : path_(value_or_throw(make_temporary_folder("logoscope-reference"))) {}
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  ~TemporaryFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// --reference: trains a one-shot model from the logo files for --reference-time (no photo, generated
// scenes only, thresholds from generated test scenes) into --keep-model or a temporary folder.
std::string train_quick_model(const DetectArgs& args, const CommonOptions& common,
                              std::optional<TemporaryFolder>& temporary) {
  TrainOptions options;
  options.references = args.references;
  auto seconds = dataset::parse_duration(args.reference_time.empty() ? "60s" : args.reference_time);
  if (!seconds) throw Failure(Error{seconds.error().code, "--reference-time: " + seconds.error().message});
  options.time_budget_s = *seconds;
  options.steps = args.reference_steps;
  // Enough for a minute's steps; generating and testing them is part of the wait.
  options.reference_scenes = 800;
  options.reference_test_scenes = 100;
  options.context.threads = args.threads;
  if (args.keep_model.empty()) {
    temporary.emplace();
    options.out = (fs::path(temporary->path()) / "model").string();
  } else {
    options.out = args.keep_model;
    options.overwrite = args.overwrite;
  }
  spdlog::info("--reference: training a quick one-shot model ({}) into {}",
               options.steps > 0 ? fmt::format("{} steps", options.steps) : fmt::format("{:.0f} s", options.time_budget_s),
               options.out);
  value_or_throw(logoscope::train_model(options, train::console_progress(!common.quiet)));
  return options.out;
}

// The --reference options, checked before the minute of training: they go together, --keep-model
// is a local folder apart from the other outputs, and --labels names reference labels.
void check_reference_options(const DetectArgs& args, InputSet& inputs) {
  const auto refuse = [](const std::string& message) { throw Failure(Error{ErrorCode::kInvalidArgument, message}); };
  if (args.references.empty()) {
    if (!args.keep_model.empty()) refuse("--keep-model goes with --reference");
    if (!args.reference_time.empty() || args.reference_steps > 0) refuse("--reference-time and --reference-steps go with --reference");
    return;
  }
  std::vector<std::string> reference_labels;
  for (const auto& reference : args.references) {
    auto spec = value_or_throw(marks::parse_reference_spec(reference));
    inputs.add(spec.path);
    reference_labels.push_back(spec.label);
  }
  for (const auto& label : args.labels) {
    if (std::find(reference_labels.begin(), reference_labels.end(), label) == reference_labels.end()) {
      refuse(fmt::format("--labels: {} is not a label of the references ({})", label, fmt::join(reference_labels, ", ")));
    }
  }
  if (args.keep_model.empty()) return;
  if (storage::is_remote(args.keep_model)) refuse("--keep-model: give a local folder (copy it to S3 afterwards)");
  std::error_code ec;
  const auto keep = fs::weakly_canonical(args.keep_model, ec);
  for (const auto* other : {&args.out, &args.draw_dir}) {
    if (!other->empty() && !storage::is_remote(*other) && fs::weakly_canonical(*other, ec) == keep) {
      refuse(fmt::format("--keep-model {} is also --out or --draw: give the model its own folder", args.keep_model));
    }
  }
  check_output(args.keep_model, inputs, args.overwrite, "--keep-model");
}

std::string model_directory(const DetectArgs& args, const CommonOptions& common,
                            std::optional<TemporaryFolder>& temporary) {
  const int sources = (args.model.empty() ? 0 : 1) + (args.any_logo ? 1 : 0) + (args.references.empty() ? 0 : 1);
  if (sources > 1) {
    throw Failure(Error{ErrorCode::kInvalidArgument, "give one of --model, --any-logo and --reference, not several"});
  }
  if (!args.references.empty()) return train_quick_model(args, common, temporary);
  if (!args.any_logo) {
    if (args.model.empty()) {
      throw Failure(Error{ErrorCode::kInvalidArgument,
                          "give --model MODEL_DIR (or --any-logo for the built-in base model, or --reference "
                          "LOGO_FILE for a quick one-shot model)"});
    }
    return args.model;
  }
  const auto base = model::find_builtin_base_model();
  if (!base) {
    throw Failure(Error{ErrorCode::kNotFound, fmt::format("--any-logo: no base model found (looked in {})",
                                                          model::builtin_base_model_search_paths())});
  }
  return *base;
}

// --shard: this task's share of the inputs, its own part of --out (and of --draw), and nothing to
// do when that part is already there (outputs appear whole, so a part that exists is complete).
struct ShardRun {
  std::optional<Shard> shard;
  bool done = false;
};

ShardRun apply_shard(DetectArgs& args) {
  ShardRun run;
  if (args.shard.empty()) return run;
  run.shard = value_or_throw(parse_shard(args.shard, process_environment_lookup()));
  if (!args.out.empty()) args.out = shard_part_path(args.out, *run.shard);
  if (!args.draw_dir.empty()) {
    args.draw_dir = storage::join(args.draw_dir, fmt::format("shard-{:04d}-of-{:04d}", run.shard->index, run.shard->count));
  }
  if (args.out.empty() || args.overwrite) return run;
  if (storage::is_remote(args.out)) {
    auto object = storage::stat_file(args.out);
    run.done = object && object->has_value();
  } else {
    std::error_code ec;
    run.done = fs::is_regular_file(args.out, ec);
  }
  return run;
}

// The model's settings from the command line (tiling, passes, precision), checked.
ModelOptions model_options_of(const DetectArgs& args) {
  ModelOptions model_options;
  model_options.infer_size = args.long_side;
  model_options.class_agnostic_nms = args.class_agnostic;
  const auto mode = value_or_throw(infer::parse_tile_mode(args.tile));
  model_options.tiling = mode == infer::TileMode::kOn ? Tiling::kOn : mode == infer::TileMode::kOff ? Tiling::kOff : Tiling::kAuto;
  model_options.tile_size = args.tile_size;
  model_options.tile_overlap = args.tile_overlap;
  model_options.tile_batch = args.tile_batch;
  model_options.bf16 = args.bf16;
  model_options.int8 = args.int8;
  model_options.large_logo_pass = !args.no_large_logo_pass;
  model_options.flip_average = args.flip_average.value();
  if (args.tile_overlap >= args.tile_size / 2) {
    throw Failure(Error{ErrorCode::kInvalidArgument,
                        fmt::format("--tile-overlap {} must be less than half of --tile-size {}",
                                    args.tile_overlap, args.tile_size)});
  }
  return model_options;
}

DetectOptions detect_options_of(const DetectArgs& args) {
  DetectOptions detect_options;
  detect_options.min_confidence = args.min_confidence;
  detect_options.max_results = args.max_results;
  detect_options.labels = args.labels;
  detect_options.max_pixels = args.max_pixels;
  return detect_options;
}

// The images the inputs name (this shard's share), after every check that can end the run before
// any work: no output may be or hold an input, and S3 credentials must work.
std::vector<dataset::ImageInput> read_inputs(const DetectArgs& args, const ShardRun& shard) {
  Problems problems;
  auto inputs = value_or_throw(dataset::expand_detect_inputs(args.inputs, std::cin, problems));
  if (shard.shard) {
    const std::size_t all = inputs.size();
    std::erase_if(inputs, [&](const dataset::ImageInput& input) { return !shard_contains(*shard.shard, input.path); });
    spdlog::info("{}: {} of {} inputs", shard.shard->source, inputs.size(), all);
  }
  if (!problems.empty()) {
    spdlog::warn("{} records of the input datasets could not be used:", problems.size());
    print_problems(problems, 10);
  }
  // Everything read: the inputs as given (folders, manifests, lists, prefixes), each image they
  // name, the model and the reference logos; no output may be or hold one of them.
  InputSet read;
  read.add_all(args.inputs);
  for (const auto& input : inputs) read.add(input.path);
  read.add_folder_with(args.model, model::model_files());
  check_reference_options(args, read);
  check_output(args.out, read, args.overwrite, "--out");
  check_output(args.draw_dir, read, args.overwrite, "--draw");
  check_output(args.profile_json, read, args.overwrite, "--profile-json");
  // A credentials problem ends the run once, before any work (and before a --reference model's
  // minute of training), instead of failing every object.
  std::vector<std::string> named;
  for (const auto& input : inputs) {
    if (!input.error) named.push_back(input.path);
  }
  if (auto access = storage::check_s3_access(named); !access) throw Failure(access.error());
  return inputs;
}

// Where the results go. An s3:// --out is gathered here and uploaded whole at the end; a local
// --out is written beside its name and renamed over it when the run ends, so a killed run never
// leaves a half file that a later command would take for whole (nor replaces the earlier one).
// --draw's folder appears whole at the end too.
class DetectOutput {
 public:
  DetectOutput(const DetectArgs& args, bool csv) : path_(args.out), remote_(storage::is_remote(args.out)) {
    if (!path_.empty() && !remote_) {
      // Only a regular file (or a new one) is replaced by rename; a pipe, a device or a link is
      // written into as it is (/dev/stdout, >(gzip), a FIFO).
      std::error_code ec;
      const auto status = fs::symlink_status(path_, ec);
      const bool renameable = !fs::exists(status) || fs::is_regular_file(status);
      if (renameable) partial_.emplace(path_);
      file_.open(renameable ? partial_->path() : path_, std::ios::trunc);
      if (!file_) throw Failure(Error{ErrorCode::kIo, fmt::format("{}: cannot write", path_)});
    }
    if (csv) stream() << kCsvHeader << "\n";
    if (!args.draw_dir.empty()) {
      draw_folder_.emplace(value_or_throw(storage::OutputFolder::open(args.draw_dir)));
      fs::create_directories(draw_folder_->path());
    }
  }

  std::ostream& stream() {
    if (path_.empty()) return std::cout;
    return remote_ ? static_cast<std::ostream&>(remote_buffer_) : file_;
  }
  /// --draw's folder, or null without --draw.
  [[nodiscard]] const storage::OutputFolder* draw_folder() const { return draw_folder_ ? &*draw_folder_ : nullptr; }

  /// Puts the results (and drawings) in place; throws Failure when they cannot be.
  void finish() {
    stream().flush();
    if (partial_) {
      file_.close();
      if (!file_) throw Failure(Error{ErrorCode::kIo, fmt::format("{}: cannot write (disk full?)", path_)});
      if (auto kept = partial_->keep(); !kept) throw Failure(kept.error());
    }
    if (remote_) {
      if (auto written = storage::write_file(path_, remote_buffer_.str()); !written) throw Failure(written.error());
    }
    if (draw_folder_) {
      if (auto published = draw_folder_->publish(); !published) throw Failure(published.error());
    }
  }

 private:
  std::string path_;
  bool remote_;
  std::ostringstream remote_buffer_;
  std::ofstream file_;
  std::optional<PartialFile> partial_;
  std::optional<storage::OutputFolder> draw_folder_;
};

// The paths of the inputs that name an image, and for each its place among the inputs.
std::vector<std::string> readable_paths(const std::vector<dataset::ImageInput>& inputs,
                                        std::vector<std::size_t>& input_of_path) {
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].error) {
      paths.push_back(inputs[i].path);
      input_of_path.push_back(i);
    }
  }
  return paths;
}

// --draw: the image with its boxes, named after the input (drawn_path keeps names unique).
void draw(const FileResult& file, const std::vector<std::string>& labels, const std::string& folder,
          std::map<std::string, int>& drawn_names) {
  const std::string drawn = drawn_path(folder, file.path, drawn_names);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): drawing reads the pixels only.
  const cv::Mat rgb(file.pixels.height, file.pixels.width, CV_8UC3, const_cast<std::uint8_t*>(file.pixels.pixels),
                    file.pixels.row_bytes);
  auto written = imageio::write_image_file(render::draw_detections(rgb, as_detections(file.result), labels), drawn);
  if (!written) spdlog::warn("{}", written.error().message);
}

void write_profile(const DetectArgs& args, const Profile& profile, double wall_s, std::size_t images) {
  if (args.profile) profile.print(std::cerr, wall_s, images);
  if (args.profile_json.empty()) return;
  if (auto written = write_file_atomically(args.profile_json, profile.to_json(wall_s, images).dump(2) + "\n");
      !written) {
    spdlog::warn("{}: cannot write the profile: {}", args.profile_json, written.error().message);
  }
}

int run_detect(const DetectArgs& given, const CommonOptions& common) {
  using Clock = std::chrono::steady_clock;
  DetectArgs args = given;
  const ShardRun shard = apply_shard(args);
  if (shard.done) {
    std::cerr << fmt::format("{}: {} is already there (parts are written whole), nothing to do; --overwrite runs "
                             "it again\n",
                             shard.shard->source, args.out);
    return kExitOk;
  }
  warn_if_fraction("--min-confidence", args.min_confidence);
  const ModelOptions model_options = model_options_of(args);
  const DetectOptions detect_options = detect_options_of(args);
  const bool csv = args.format == "csv";
  const auto inputs = read_inputs(args, shard);

  std::optional<TemporaryFolder> quick_model_folder;
  const auto model = value_or_throw(Model::load(model_directory(args, common, quick_model_folder), model_options));
  const auto& labels = model->description().labels;
  Session session(model, {args.threads});
  if (auto checked = model->check(detect_options); !checked) {
    throw Failure(Error{checked.error().code, "--labels: " + checked.error().message});
  }
  DetectOutput output(args, csv);
  std::ostream& out = output.stream();

  // Inputs that named nothing get their error line in place; the rest go through the pipeline.
  std::vector<std::size_t> input_of_path;
  const std::vector<std::string> paths = readable_paths(inputs, input_of_path);
  std::size_t next_input = 0;
  int failures = 0;
  auto flush_missing_until = [&](std::size_t end) {
    for (; next_input < end; ++next_input) {
      if (!inputs[next_input].error) continue;
      ++failures;
      write_error(out, csv, inputs[next_input].path, *inputs[next_input].error);
    }
  };

  Profile profile;
  std::map<std::string, int> drawn_names;
  Progress bar("detecting", static_cast<std::int64_t>(paths.size()), !common.quiet && paths.size() > 1);
  FileOptions files;
  files.decode_threads = args.jobs;
  files.image_batch = static_cast<std::size_t>(args.batch);
  files.images_at_once = args.images_at_once;
  // Objects in S3 are fetched a window ahead of the decoder.
  storage::Prefetcher prefetch(paths);
  const auto started = Clock::now();
  value_or_throw(session.detect_files(paths, detect_options, files, [&](const FileResult& file) {
    prefetch.done(file.index);
    flush_missing_until(input_of_path[file.index]);
    next_input = input_of_path[file.index] + 1;
    bar.advance();
    if (file.error) {
      ++failures;
      write_error(out, csv, file.path, *file.error);
      return;
    }
    for (const auto& warning : file.result.warnings) spdlog::warn("{}", warning);
    profile.add(file.result.timings);
    if (csv) {
      write_csv(out, file.path, file.result);
    } else {
      out << api::to_custom_labels_json(file.result, file.path).dump() << "\n";
    }
    if (const auto* draw_folder = output.draw_folder()) draw(file, labels, draw_folder->path(), drawn_names);
  }));
  flush_missing_until(inputs.size());
  bar.finish();
  output.finish();
  write_profile(args, profile, std::chrono::duration<double>(Clock::now() - started).count(), inputs.size());
  if (failures > 0) {
    spdlog::warn("{} of {} images could not be read (see their \"error\" {})", failures, inputs.size(),
                 csv ? "column" : "lines");
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

void register_detect(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect",
      "Find logos in images with a trained model. Prints one JSON line per image in the shape of\n"
      "Rekognition's DetectCustomLabels response (CustomLabels[].Name, Confidence 0-100,\n"
      "Geometry.BoundingBox ratios) plus \"image\" and pixel boxes, or CSV rows with --to csv.\n"
      "Large images are also scanned in overlapping tiles at full resolution (--tile).\n"
      "An unreadable image gets an \"error\" line and exit code 1 at the end; the run goes on.\n"
      "Example: logoscope detect --model model photos/ 'scans/*.tif' --min-confidence 50 --draw annotated/\n"
      "         logoscope detect --any-logo photos/ --draw annotated/   (any logo, no training)\n"
      "         logoscope detect --reference Monster=monster.svg photos/ --draw annotated/   (a quick look:\n"
      "           a one-shot model trained from the logo file for a minute first; train --reference for a real one)\n"
      "         find . -name '*.jpg' | logoscope detect --model model - --to csv --out found.csv");
  cmd->add_option("--model", args->model, "Model folder (from `logoscope train`)");
  cmd->add_flag("--any-logo", args->any_logo,
                "No model of your own: find anything that looks like a logo or brand mark with the built-in\n"
                "base model (one label, \"logo\"; models/base/MODEL_CARD.md)");
  cmd->add_option("--reference", args->references,
                  "A quick look without a saved model: a logo file ([LABEL=]FILE, SVG or PNG, repeatable, as for\n"
                  "`train --reference`); a one-shot model is trained from it for --reference-time first.\n"
                  "Its thresholds come from generated scenes; `train --reference --test` makes a better model")
      ->allow_extra_args(false);  // one file per --reference: the images may follow it
  cmd->add_option("--reference-time", args->reference_time,
                  "With --reference: how long the quick model trains (\"60s\", \"3m\"; default 60s)");
  cmd->add_option("--reference-steps", args->reference_steps,
                  "With --reference: train this many steps instead (the same quick model on any machine)")
      ->check(at_least(0));
  cmd->add_option("--keep-model", args->keep_model,
                  "With --reference: save the quick model in this folder (use it later with --model)");
  cmd->add_option(
         "inputs", args->inputs,
         "Images, folders (recursive), glob patterns, .txt lists of paths, dataset files (manifest, COCO,\n"
         "YOLO data.yaml, VOC .xml), or - for a list of paths on stdin")
      ->required();
  cmd->add_option("--min-confidence", args->min_confidence,
                  "0-100; omitted: each label's assumed threshold from the model's evaluation; 0: everything")
      ->check(between(0.0, 100.0));
  cmd->add_option("--max-results", args->max_results,
                  "Keep at most N detections per image, the most confident (0 = all), as MaxResults")
      ->check(at_least(0));
  cmd->add_option("--labels", args->labels, "Only report these labels");
  cmd->add_option("--out", args->out, "Write the results here instead of stdout");
  cmd->add_option("--to", args->format,
                  "jsonl (default) or csv: image,label,confidence,left,top,width,height,x0,y0,x1,y1,error")
      ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("--draw", args->draw_dir, "Write annotated copies of the images into this folder");
  cmd->add_flag("--class-agnostic-nms", args->class_agnostic,
                "Let boxes of different labels suppress each other");
  cmd->add_option("--infer-size", args->long_side,
                  "Resize images so their long side is this (default: the model's)")
      ->check(between(32, 16384));
  cmd->add_option("--tile", args->tile,
                  "auto (default): also scan images much larger than --infer-size in tiles at full resolution;\n"
                  "on: whenever larger than --infer-size; off: never")
      ->check(CLI::IsMember({"auto", "off", "on"}));
  cmd->add_option("--tile-size", args->tile_size, "Largest tile side in pixels")
      ->capture_default_str()
      ->check(between(64, 8192));
  cmd->add_option("--tile-overlap", args->tile_overlap,
                  "Tile overlap in pixels (default: the largest logo the resized whole image may miss)")
      ->check(between(0, 4096));
  cmd->add_option("--batch-size", args->batch,
                  "Images of the same size that share a network pass when already decoded (needs --jobs > 0\n"
                  "and --images-at-once 1)")
      ->capture_default_str()
      ->check(between(1, 64));
  cmd->add_option("--tile-batch", args->tile_batch, "Tiles per network pass")
      ->capture_default_str()
      ->check(between(1, 64));
  cmd->add_option("--jobs", args->jobs,
                  "Threads decoding images ahead of the network with --images-at-once 1 (0: decode in turn)")
      ->capture_default_str()
      ->check(between(0, 64));
  cmd->add_option("--images-at-once", args->images_at_once,
                  "Images detected at once, each with --threads / N threads (0: one per thread, at most 4;\n"
                  "1: one image at a time with every thread, decoding ahead and batching same-size images)")
      ->capture_default_str()
      ->check(between(0, 256));
  cmd->add_option("--max-pixels", args->max_pixels,
                  "Refuse images with more pixels than this, from the file header (an error line)")
      ->capture_default_str()
      ->check(more_than(0));
  cmd->add_option("--threads", args->threads, "CPU threads for the network (0 = the cores other work leaves free)")
      ->check(between(0, 1024));
  cmd->add_flag("--bf16", args->bf16,
                "bfloat16 convolutions: 1.4-2x faster on CPUs with AVX-512 BF16; confidences move slightly\n"
                "(up to 0.3 points measured), so a box near a threshold may come or go (default: float32)");
  add_int8_flag(*cmd, args->int8)->excludes("--bf16");
  cmd->add_flag("--no-large-logo-pass", args->no_large_logo_pass,
                "Skip the second, smaller pass (256 px by default) that finds logos filling most of the image\n"
                "(bigger than any the model learnt at --infer-size); faster, misses those logos");
  add_flip_average_flags(*cmd, args->flip_average);
  cmd->add_flag("--profile", args->profile,
                "Print per-stage timings (decode, preprocess, network, postprocess) on stderr at the end");
  cmd->add_option("--profile-json", args->profile_json, "Write the per-stage timings as JSON to this file");
  cmd->add_option("--shard", args->shard,
                  "K/N or auto: detect in shard K of N only (inputs split by a hash of their path or key), writing\n"
                  "OUT's part OUT.shard-K-of-N.EXT and --draw's DIR/shard-K-of-N/; a part already there is done.\n"
                  "auto reads Slurm's SLURM_ARRAY_TASK_ID/_COUNT, a Kubernetes Indexed Job's JOB_COMPLETION_INDEX\n"
                  "(+ LOGOSCOPE_SHARD_COUNT) or AWS Batch's AWS_BATCH_JOB_ARRAY_INDEX (+ _SIZE) (docs/detect.md)");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_detect(*args, common); });
}

}  // namespace logoscope::cli
