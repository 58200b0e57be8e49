#include "oneshot/reference_scenes.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "core/hash.hpp"
#include "core/thread_pool.hpp"
#include "imageio/image_io.hpp"
#include "marks/mark_library.hpp"
#include "marks/scene_stream.hpp"
#include "marks/text_raster.hpp"

namespace fs = std::filesystem;

namespace logoscope::oneshot {

namespace {

// The scene generator's options for one-shot scenes: fewer marks than pretraining (photos show
// one or two logos), most of them references, photos preferred as backgrounds when given.
marks::SceneOptions scene_options(const ReferenceSceneConfig& config) {
  marks::SceneOptions options;
  options.width = config.scene_size;
  options.height = config.scene_size;
  options.seed = config.seed ^ 0x6F6E6573686F74ULL;  // "oneshot"
  options.min_marks = 1;
  options.max_marks = 3;
  options.empty_prob = 0.08;
  options.min_mark_side = std::max(12.0, config.scene_size * config.min_mark_fraction);
  options.max_mark_side_fraction = 0.95;
  options.lockup_prob = 0;
  options.reference_prob = 0.65;
  options.background.photo = 8.0;  // about 55 % of scenes on the user's photos when given
  return options;
}

// Reference boxes keep their label (index into `labels`); library marks are distractors and lose
// their box, so the trainer sees them as background.
std::vector<Box> reference_boxes(const std::vector<Box>& boxes, int library_size, const std::vector<int>& label_of) {
  std::vector<Box> kept;
  for (Box box : boxes) {
    if (box.label < library_size) continue;
    box.label = label_of[static_cast<std::size_t>(box.label - library_size)];
    kept.push_back(box);
  }
  return kept;
}

Result<Dataset> write_scenes(const marks::SceneStream& stream, const std::vector<int>& label_of,
                             const std::vector<std::string>& labels, const fs::path& dir, std::uint64_t first,
                             int count) {
  std::error_code ec;
  const fs::path images = fs::absolute(dir / "images", ec);
  fs::create_directories(images, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: cannot create folder: {}", images.string(), ec.message())};
  Dataset data;
  data.labels = labels;
  data.samples.resize(static_cast<std::size_t>(count));
  std::vector<Status> written(static_cast<std::size_t>(count), Status(Ok{}));
  parallel_for(data.samples.size(), default_thread_count(), [&](std::size_t i) {
    const std::uint64_t index = first + i;
    marks::SceneSample scene = stream.next(index);
    Sample& sample = data.samples[i];
    sample.image = (images / fmt::format("scene_{:08d}.jpg", index)).string();
    sample.width = scene.rgb.cols;
    sample.height = scene.rgb.rows;
    sample.boxes = reference_boxes(scene.boxes, stream.library().size(), label_of);
    written[i] = imageio::write_image_file(scene.rgb, sample.image, 92);
  });
  for (const auto& status : written) {
    if (!status) return status.error();
  }
  return data;
}

// The words of a label as a brand would write them: "RedBull" → "Red Bull", "coca_cola" → "coca cola".
std::string display_name(const std::string& label) {
  std::string out;
  for (std::size_t i = 0; i < label.size(); ++i) {
    const char c = label[i];
    if (c == '_' || c == '-') {
      out += ' ';
      continue;
    }
    const bool upper_after_lower = i > 0 && std::isupper(static_cast<unsigned char>(c)) != 0 &&
                                   std::islower(static_cast<unsigned char>(label[i - 1])) != 0;
    if (upper_after_lower) out += ' ';
    out += c;
  }
  return out;
}

// A bold sans face from Debian's fonts, or "" when none is installed.
std::string lockup_font() {
  const auto fonts = marks::find_font_files(marks::MarkLibraryOptions{}.font_paths);
  for (const char* preferred : {"DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf"}) {
    for (const auto& font : fonts) {
      if (fs::path(font).filename() == preferred) return font;
    }
  }
  return fonts.empty() ? "" : fonts.front();
}

// Logos in photos are often the icon with the brand's name beside or below it (a lockup), and
// people box the two together. For an icon-shaped reference (aspect ≤ 2.2), two lockups with the
// label's words in a bold sans face, in the icon's main colour, each drawn a sixth as often as the
// icon alone.
std::vector<marks::ReferenceMark> name_lockups(const marks::ReferenceMark& icon, const std::string& font) {
  const int long_side = std::max(icon.rgba.cols, icon.rgba.rows);
  const int short_side = std::min(icon.rgba.cols, icon.rgba.rows);
  if (font.empty() || long_side > 2.2 * short_side) return {};
  const std::string words = display_name(icon.spec.label);
  std::vector<marks::ReferenceMark> lockups;
  for (const bool below : {true, false}) {
    const double font_px = below ? icon.rgba.cols * 0.28 : icon.rgba.rows * 0.45;
    auto text = marks::render_font_text_mask(font, words, std::max(8.0, font_px), 0.0);
    if (!text) return {};
    cv::Mat text_mask = *text;
    const int gap = std::max(2, long_side / 12);
    const cv::Size canvas_size = below ? cv::Size(std::max(icon.rgba.cols, text_mask.cols), icon.rgba.rows + gap + text_mask.rows)
                                       : cv::Size(icon.rgba.cols + gap + text_mask.cols, std::max(icon.rgba.rows, text_mask.rows));
    cv::Mat canvas(canvas_size, CV_8UC4, cv::Scalar(0, 0, 0, 0));
    const cv::Point icon_at = below ? cv::Point((canvas.cols - icon.rgba.cols) / 2, 0)
                                    : cv::Point(0, (canvas.rows - icon.rgba.rows) / 2);
    const cv::Point text_at = below ? cv::Point((canvas.cols - text_mask.cols) / 2, icon.rgba.rows + gap)
                                    : cv::Point(icon.rgba.cols + gap, (canvas.rows - text_mask.rows) / 2);
    icon.rgba.copyTo(canvas(cv::Rect(icon_at, icon.rgba.size())));
    cv::Mat text_rgba(text_mask.size(), CV_8UC4,
                      cv::Scalar(icon.main_colour[0], icon.main_colour[1], icon.main_colour[2], 0));
    cv::insertChannel(text_mask, text_rgba, 3);
    text_rgba.copyTo(canvas(cv::Rect(text_at, text_mask.size())), text_mask);
    marks::ReferenceMark lockup = icon;
    lockup.rgba = canvas;
    lockup.how = icon.how + fmt::format(" + \"{}\" {}", words, below ? "below" : "beside");
    lockup.weight = icon.weight / 6;
    lockups.push_back(std::move(lockup));
  }
  return lockups;
}

}  // namespace

Result<ReferenceScenes> make_reference_scenes(const ReferenceSceneConfig& config, std::vector<std::string>& labels,
                                              const std::string& scenes_dir, const train::ProgressFn& progress) {
  if (config.references.empty()) return Error{ErrorCode::kInvalidArgument, "no reference logo file given"};
  if (config.scene_count < 1 || config.validation_scenes < 0 || config.test_scenes < 0) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("scene counts must be ≥ 1 (training) and ≥ 0 (validation, test), got {}, {}, {}",
                             config.scene_count, config.validation_scenes, config.test_scenes)};
  }
  std::vector<marks::ReferenceMark> references;
  std::vector<int> label_of;
  nlohmann::json files = nlohmann::json::array();
  for (const auto& spec : config.references) {
    auto mark = marks::load_reference_mark(spec);
    if (!mark) return mark.error();
    const auto found = std::find(labels.begin(), labels.end(), spec.label);
    label_of.push_back(static_cast<int>(found - labels.begin()));
    if (found == labels.end()) labels.push_back(spec.label);
    spdlog::info("reference {} for {}: {}×{} px ({}{})", spec.path, spec.label, mark->rgba.cols, mark->rgba.rows,
                 mark->how, mark->single_colour ? ", one colour" : "");
    files.push_back({{"label", spec.label},
                     {"file", fs::path(spec.path).filename().string()},
                     {"fnv1a64", hash_hex(mark->fingerprint)},
                     {"read_as", mark->how},
                     {"size", {mark->rgba.cols, mark->rgba.rows}},
                     {"single_colour", mark->single_colour}});
    references.push_back(std::move(*mark));
  }
  if (config.name_lockups) {
    const std::string font = lockup_font();
    const std::size_t files_count = references.size();
    for (std::size_t i = 0; i < files_count; ++i) {
      for (auto& lockup : name_lockups(references[i], font)) {
        label_of.push_back(label_of[i]);
        references.push_back(std::move(lockup));
      }
    }
  }

  marks::MarkLibraryOptions library_options;  // made-up wordmarks only: the distractors
  library_options.wordmarks = std::max(1, config.distractor_wordmarks);
  library_options.wordmark_seed = config.seed + 1;
  auto library = marks::MarkLibrary::load(library_options);
  if (!library) return library.error();
  const marks::SceneOptions options = scene_options(config);
  const std::size_t references_count = references.size();
  auto stream = marks::SceneStream::create(*library, options, std::move(references), config.backgrounds);
  if (!stream) return stream.error();

  ReferenceScenes scenes;
  const auto first_validation = static_cast<std::uint64_t>(config.scene_count);
  const auto first_test = first_validation + static_cast<std::uint64_t>(config.validation_scenes);
  if (config.validation_scenes > 0) {
    auto validation = write_scenes(*stream, label_of, labels, fs::path(scenes_dir) / "validation", first_validation,
                                   config.validation_scenes);
    if (!validation) return validation.error();
    scenes.validation = std::move(*validation);
  }
  if (config.test_scenes > 0) {
    auto test = write_scenes(*stream, label_of, labels, fs::path(scenes_dir) / "test", first_test, config.test_scenes);
    if (!test) return test.error();
    scenes.test = std::move(*test);
  }

  scenes.training.resize(static_cast<std::size_t>(config.scene_count));
  std::atomic<std::int64_t> done{0};
  const std::int64_t total = config.scene_count;
  auto report = [&](std::int64_t value, bool finished) {
    if (progress) progress({train::TrainProgress::Phase::kDecoding, "generated scenes", value, total, "", finished});
  };
  parallel_for(scenes.training.size(), default_thread_count(), [&](std::size_t i) {
    marks::SceneSample scene = stream->next(i);
    scenes.training[i].rgb = std::move(scene.rgb);
    scenes.training[i].boxes = reference_boxes(scene.boxes, library->size(), label_of);
    report(++done, false);
  });
  report(total, true);

  scenes.record = {{"references", files},
                   {"generator", "logoscope src/marks SceneStream with reference marks"},
                   {"scene_size", config.scene_size},
                   {"training_scenes", config.scene_count},
                   {"validation_scenes", config.validation_scenes},
                   {"test_scenes", config.test_scenes},
                   {"distractor_wordmarks", library->wordmark_count()},
                   {"background_photos", config.backgrounds.size()},
                   {"name_lockups", references_count - config.references.size()},
                   {"seed", config.seed}};
  return scenes;
}

}  // namespace logoscope::oneshot
