#include "ui/project.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/files.hpp"
#include "dataset/formats.hpp"
#include "dataset/split.hpp"
#include "imageio/image_io.hpp"

namespace logoscope::ui {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSettingsFile = "project.json";
constexpr std::size_t kMaxLabelLength = 100;

bool has_control_characters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

// A file name safe to write into images/: the base name with anything but letters, digits, '.',
// '-' and '_' replaced, never hidden, never empty.
std::string safe_file_name(const std::string& given) {
  std::string base = fs::path(given).filename().string();
  for (char& c : base) {
    const bool plain = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
    if (!plain) c = '_';
  }
  while (!base.empty() && base.front() == '.') base.erase(base.begin());
  if (base.empty()) base = "image";
  if (base.size() > 120) base = base.substr(base.size() - 120);
  return base;
}

fs::path extension_for(imageio::ImageFormat format) {
  switch (format) {
    case imageio::ImageFormat::kJpeg:
      return ".jpg";
    case imageio::ImageFormat::kPng:
      return ".png";
    case imageio::ImageFormat::kWebp:
      return ".webp";
    case imageio::ImageFormat::kBmp:
      return ".bmp";
    case imageio::ImageFormat::kTiff:
      return ".tif";
    case imageio::ImageFormat::kGif:
      return ".gif";
    case imageio::ImageFormat::kPnm:
      return ".pnm";
    case imageio::ImageFormat::kUnknown:
      break;
  }
  return ".img";
}

}  // namespace

bool Project::is_dataset(const std::string& name) {
  return name == "train" || name == "test";
}

Project::Project(fs::path root) : root_(std::move(root)) {
  next_revision_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
}

Result<std::unique_ptr<Project>> Project::open(const std::string& dir) {
  std::error_code ec;
  fs::path root = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return Error{ErrorCode::kInvalidArgument, fmt::format("{}: not a usable folder name", dir)};
  if (root.has_filename() == false) root = root.parent_path();
  if (fs::exists(root, ec) && !fs::is_directory(root, ec)) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("{}: is a file; a project is a folder", dir)};
  }
  const bool known = fs::exists(root / kSettingsFile, ec) || fs::exists(root / "train.manifest", ec);
  if (!known && fs::exists(root, ec) && !fs::is_empty(root, ec)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{}: holds other files but no project.json; give a new or empty folder (the UI "
                             "imports images into it), or one made by `logoscope ui`",
                             dir)};
  }
  fs::create_directories(root / "images", ec);
  if (ec)
    return Error{ErrorCode::kIo, fmt::format("{}: cannot create the project folder: {}", dir, ec.message())};
  fs::create_directories(root / "models", ec);
  root = fs::canonical(root, ec);
  if (ec) return Error{ErrorCode::kIo, fmt::format("{}: {}", dir, ec.message())};
  std::unique_ptr<Project> project(new Project(root));
  if (auto loaded = project->load(); !loaded) return loaded.error();
  return project;
}

Status Project::load() {
  std::lock_guard lock(mutex_);
  name_ = root_.filename().string();
  const fs::path settings = root_ / kSettingsFile;
  std::error_code ec;
  if (fs::exists(settings, ec)) {
    auto text = read_text_file(settings.string());
    if (!text) return text.error();
    json value;
    try {
      value = json::parse(*text);
    } catch (const json::exception& e) {
      return Error{ErrorCode::kParse, fmt::format("{}: not JSON: {}", settings.string(), e.what())};
    }
    if (!value.is_object() || !value.contains("format") || value["format"] != "logoscope-project") {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: field \"format\" is not \"logoscope-project\"", settings.string())};
    }
    if (!value.contains("version") || value["version"] != 1) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: version {} is not one this logoscope reads (1)", settings.string(),
                               value.contains("version") ? value["version"].dump() : "(none)")};
    }
    if (value.contains("name") && value["name"].is_string()) name_ = value["name"].get<std::string>();
    if (value.contains("labels") && value["labels"].is_array()) {
      for (const auto& label : value["labels"]) {
        if (label.is_string()) intern_label_locked(label.get<std::string>());
      }
    }
    if (value.contains("served") && value["served"].is_string()) served_ = value["served"].get<std::string>();
  }
  for (const std::string dataset : {"train", "test"}) {
    Set& set = set_locked(dataset);
    const std::string path = manifest_path(dataset);
    if (fs::exists(path, ec)) {
      Problems problems;
      auto data = dataset::read_manifest(path, problems, {});
      if (!data) return data.error();
      // A record the reader could not use would be dropped by the next rewrite of the manifest:
      // refuse instead, and say how to clean it.
      for (const auto& problem : problems) {
        if (problem.severity != Severity::kError || problem.kind == "degenerate_box") {  // kept as read
          spdlog::warn("{}", format_problem(problem));
          continue;
        }
        return Error{
            ErrorCode::kInvalidValue,
            fmt::format("{}; the UI rewrites this manifest and would lose what it cannot read. Clean it "
                        "first: logoscope dataset validate {} --fix clean.manifest",
                        format_problem(problem), path)};
      }
      // Boxes index the project's label list; samples forget their source so the writer may
      // rewrite the manifest they came from.
      for (Sample& sample : data->samples) {
        for (Box& box : sample.boxes)
          box.label = intern_label_locked(data->labels[static_cast<std::size_t>(box.label)]);
        sample.source = {};
      }
      set.data.samples = std::move(data->samples);
    }
    set.data.labels = labels_;
    set.revisions.assign(set.data.samples.size(), next_revision_++);
  }
  if (!fs::exists(settings, ec)) {
    if (auto saved = save_settings_locked(); !saved) return saved;
  }
  for (const std::string dataset : {"train", "test"}) {
    if (!fs::exists(manifest_path(dataset), ec)) {
      if (auto saved = save_dataset_locked(dataset); !saved) return saved;
    }
  }
  return Ok{};
}

std::string Project::name() const {
  std::lock_guard lock(mutex_);
  return name_;
}

std::vector<std::string> Project::labels() const {
  std::lock_guard lock(mutex_);
  return labels_;
}

std::optional<std::string> Project::served() const {
  std::lock_guard lock(mutex_);
  return served_;
}

std::string Project::manifest_path(const std::string& dataset) const {
  return (root_ / (dataset + ".manifest")).string();
}

Project::Set& Project::set_locked(const std::string& dataset) {
  return dataset == "test" ? test_ : train_;
}
const Project::Set& Project::set_locked(const std::string& dataset) const {
  return dataset == "test" ? test_ : train_;
}

int Project::intern_label_locked(const std::string& name) {
  const auto found = std::find(labels_.begin(), labels_.end(), name);
  if (found != labels_.end()) return static_cast<int>(found - labels_.begin());
  labels_.push_back(name);
  train_.data.labels = labels_;
  test_.data.labels = labels_;
  return static_cast<int>(labels_.size() - 1);
}

Status Project::save_settings_locked() const {
  json value{{"format", "logoscope-project"}, {"version", 1}, {"name", name_}, {"labels", labels_}};
  value["served"] = served_ ? json(*served_) : json(nullptr);
  return write_file_atomically((root_ / kSettingsFile).string(), value.dump(2) + "\n");
}

Status Project::save_dataset_locked(const std::string& dataset) const {
  return dataset::write_manifest(set_locked(dataset).data, manifest_path(dataset), {});
}

Result<std::vector<std::string>> Project::add_label(const std::string& name) {
  if (name.empty() || name.size() > kMaxLabelLength || has_control_characters(name)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("label \"{}\": a label is 1 to {} characters without control characters", name,
                             kMaxLabelLength)};
  }
  std::lock_guard lock(mutex_);
  const std::size_t before = labels_.size();
  intern_label_locked(name);
  if (labels_.size() != before) {
    if (auto saved = save_settings_locked(); !saved) {
      labels_.pop_back();
      train_.data.labels = labels_;
      test_.data.labels = labels_;
      return saved.error();
    }
  }
  return labels_;
}

Status Project::set_served(const std::string& model) {
  std::lock_guard lock(mutex_);
  const auto previous = served_;
  served_ = model;
  if (auto saved = save_settings_locked(); !saved) {
    served_ = previous;
    return saved;
  }
  return Ok{};
}

std::string Project::ref_of(const std::string& image_path) const {
  const fs::path path(image_path);
  const fs::path relative = path.lexically_relative(root_);
  if (!relative.empty() && *relative.begin() != "..") return relative.generic_string();
  return image_path;
}

ImageEntry Project::entry_locked(const Set& set, std::size_t index) const {
  const Sample& sample = set.data.samples[index];
  ImageEntry entry{ref_of(sample.image), sample.width, sample.height, {}, set.revisions[index]};
  for (const Box& box : sample.boxes) {
    entry.boxes.push_back({box.x0, box.y0, box.x1, box.y1, labels_[static_cast<std::size_t>(box.label)]});
  }
  return entry;
}

std::optional<std::size_t> Project::find_locked(const Set& set, const std::string& ref) const {
  for (std::size_t index = 0; index < set.data.samples.size(); ++index) {
    if (ref_of(set.data.samples[index].image) == ref) return index;
  }
  return std::nullopt;
}

std::vector<ImageEntry> Project::images(const std::string& dataset) const {
  std::lock_guard lock(mutex_);
  const Set& set = set_locked(dataset);
  std::vector<ImageEntry> entries;
  entries.reserve(set.data.samples.size());
  for (std::size_t index = 0; index < set.data.samples.size(); ++index)
    entries.push_back(entry_locked(set, index));
  return entries;
}

std::optional<ImageEntry> Project::image(const std::string& dataset, const std::string& ref) const {
  std::lock_guard lock(mutex_);
  const Set& set = set_locked(dataset);
  const auto index = find_locked(set, ref);
  if (!index) return std::nullopt;
  return entry_locked(set, *index);
}

DatasetCounts Project::counts(const std::string& dataset) const {
  std::lock_guard lock(mutex_);
  DatasetCounts counts;
  for (const Sample& sample : set_locked(dataset).data.samples) {
    ++counts.images;
    if (!sample.boxes.empty()) ++counts.labeled;
    counts.boxes += sample.boxes.size();
  }
  return counts;
}

Result<EditOutcome> Project::set_boxes(const std::string& dataset, const std::string& ref,
                                       const std::vector<NamedBox>& boxes, std::int64_t revision) {
  std::lock_guard lock(mutex_);
  Set& set = set_locked(dataset);
  const auto index = find_locked(set, ref);
  if (!index)
    return Error{ErrorCode::kNotFound, fmt::format("{}: no image {} in the {} set", ref, ref, dataset)};
  if (set.revisions[*index] != revision) return EditOutcome{true, entry_locked(set, *index)};
  Sample& sample = set.data.samples[*index];
  const double width = sample.width > 0 ? sample.width : 1e9;
  const double height = sample.height > 0 ? sample.height : 1e9;
  for (std::size_t box_idx = 0; box_idx < boxes.size(); ++box_idx) {
    const NamedBox& box = boxes[box_idx];
    const std::string where = fmt::format("{}: box {}", ref, box_idx);
    if (box.label.empty() || box.label.size() > kMaxLabelLength || has_control_characters(box.label)) {
      return Error{ErrorCode::kInvalidValue,
                   where + ": the label is empty, too long or has control characters"};
    }
    if (!std::isfinite(box.x0) || !std::isfinite(box.y0) || !std::isfinite(box.x1) ||
        !std::isfinite(box.y1)) {
      return Error{ErrorCode::kInvalidValue, where + ": a coordinate is not a number"};
    }
    if (box.x1 - box.x0 < 1 || box.y1 - box.y0 < 1) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: {:.1f}×{:.1f} px; a box is at least 1×1 px with x0 < x1 and y0 < y1",
                               where, box.x1 - box.x0, box.y1 - box.y0)};
    }
    if (box.x0 < -0.5 || box.y0 < -0.5 || box.x1 > width + 0.5 || box.y1 > height + 0.5) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: ({:.1f}, {:.1f})–({:.1f}, {:.1f}) lies outside the {}×{} image", where,
                               box.x0, box.y0, box.x1, box.y1, sample.width, sample.height)};
    }
  }
  // Kept as the manifest stores them, in whole pixels inside the image, so that what this edit
  // shows is what a reopened project (or `train`) reads; a box that rounds to nothing is refused
  // rather than written as one the manifest reader would drop.
  std::vector<Box> rounded;
  for (std::size_t box_idx = 0; box_idx < boxes.size(); ++box_idx) {
    const NamedBox& box = boxes[box_idx];
    Box kept;
    kept.x0 = std::round(std::max(0.0, box.x0));
    kept.y0 = std::round(std::max(0.0, box.y0));
    kept.x1 = std::round(std::min(width, box.x1));
    kept.y1 = std::round(std::min(height, box.y1));
    if (kept.x1 - kept.x0 < 1 || kept.y1 - kept.y0 < 1) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: box {}: less than 1×1 px inside the {}×{} image once rounded to whole pixels",
                               ref, box_idx, sample.width, sample.height)};
    }
    rounded.push_back(kept);
  }
  const auto labels_before = labels_;
  std::vector<Box> replaced;
  for (std::size_t box_idx = 0; box_idx < boxes.size(); ++box_idx) {
    const NamedBox& box = boxes[box_idx];
    Box kept = rounded[box_idx];
    kept.label = intern_label_locked(box.label);
    // COCO's iscrowd / VOC's difficult survive an edit of the image's other boxes.
    for (const Box& old : sample.boxes) {
      if (old.label == kept.label && box_iou(old, kept) > 0.99) {
        kept.ignore = old.ignore;
        kept.difficult = old.difficult;
      }
    }
    replaced.push_back(kept);
  }
  std::swap(sample.boxes, replaced);
  // The label list first: a manifest naming a label project.json lacks would still read, but
  // the other order could leave an edit on disk that this call reports as failed.
  Status saved = Ok{};
  if (labels_ != labels_before) saved = save_settings_locked();
  if (saved) saved = save_dataset_locked(dataset);
  if (!saved) {
    std::swap(sample.boxes, replaced);
    labels_ = labels_before;
    train_.data.labels = labels_;
    test_.data.labels = labels_;
    return saved.error();
  }
  set.revisions[*index] = next_revision_++;
  return EditOutcome{false, entry_locked(set, *index)};
}

Result<std::string> Project::fresh_image_folder(const std::string& stem) const {
  const std::string base = safe_file_name(stem);
  for (int suffix = 1; suffix < 10000; ++suffix) {
    const fs::path folder = root_ / "images" / (suffix == 1 ? base : fmt::format("{}-{}", base, suffix));
    std::error_code ec;
    if (fs::create_directory(folder, ec)) return folder.string();  // atomic: one caller gets it
    if (ec && !fs::exists(folder))
      return Error{ErrorCode::kIo, fmt::format("{}: {}", folder.string(), ec.message())};
  }
  return Error{ErrorCode::kIo, fmt::format("images/{}: no free folder name", base)};
}

Result<std::string> Project::import_image(const std::string& dataset, const std::string& file_name,
                                          const std::string& bytes) {
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  auto info = imageio::probe_image_bytes(data, file_name);
  if (!info) return info.error();
  // A full decode catches damaged pixel data now rather than at training time.
  auto decoded = imageio::decode_image_bytes(data, file_name);
  if (!decoded) return decoded.error();

  std::lock_guard lock(mutex_);
  // The extension follows the bytes, not the upload's name: an image is never stored as .html.
  const std::string name = safe_file_name(file_name);
  const fs::path stem = fs::path(name).stem();
  const fs::path extension = extension_for(info->format);
  fs::path target;
  std::error_code ec;
  for (int suffix = 1;; ++suffix) {
    target = root_ / "images" /
             (suffix == 1 ? stem.string() + extension.string()
                          : fmt::format("{}-{}{}", stem.string(), suffix, extension.string()));
    if (!fs::exists(target, ec)) break;
  }
  if (auto written = write_file_atomically(target.string(), bytes); !written) return written.error();
  Set& set = set_locked(dataset);
  Sample sample;
  sample.image = target.string();
  sample.width = info->width();
  sample.height = info->height();
  set.data.samples.push_back(sample);
  set.revisions.push_back(next_revision_++);
  if (auto saved = save_dataset_locked(dataset); !saved) {
    set.data.samples.pop_back();
    set.revisions.pop_back();
    fs::remove(target, ec);
    return saved.error();
  }
  return ref_of(target.string());
}

Result<std::vector<std::string>> Project::add_images(const std::string& dataset,
                                                     const std::vector<std::string>& refs) {
  std::vector<Sample> samples;
  for (const std::string& ref : refs) {
    auto path = resolve_inside(ref);
    if (!path) return path.error();
    auto info = imageio::probe_image_file(path->string());
    if (!info) return info.error();
    Sample sample;
    sample.image = path->string();
    sample.width = info->width();
    sample.height = info->height();
    samples.push_back(sample);
  }
  std::lock_guard lock(mutex_);
  Set& set = set_locked(dataset);
  const std::size_t before = set.data.samples.size();
  std::vector<std::string> added;
  for (Sample& sample : samples) {
    added.push_back(ref_of(sample.image));
    set.data.samples.push_back(std::move(sample));
    set.revisions.push_back(next_revision_++);
  }
  if (auto saved = save_dataset_locked(dataset); !saved) {
    set.data.samples.resize(before);
    set.revisions.resize(before);
    return saved.error();
  }
  return added;
}

Result<std::size_t> Project::split_test_from_train(double fraction, std::uint64_t seed) {
  std::lock_guard lock(mutex_);
  Dataset labeled;
  labeled.labels = labels_;
  std::vector<std::size_t> labeled_index;
  for (std::size_t index = 0; index < train_.data.samples.size(); ++index) {
    if (train_.data.samples[index].boxes.empty()) continue;
    labeled.samples.push_back(train_.data.samples[index]);
    labeled_index.push_back(index);
  }
  dataset::SplitOptions options;
  options.test_fraction = fraction;
  options.seed = seed;
  auto split = dataset::split_dataset(labeled, options);
  if (!split) return split.error();
  std::vector<bool> moving(train_.data.samples.size(), false);
  for (const Sample& moved : split->test.samples) {
    for (std::size_t k = 0; k < labeled.samples.size(); ++k) {
      if (labeled.samples[k].image == moved.image) moving[labeled_index[k]] = true;
    }
  }
  const Set train_before = train_;
  const Set test_before = test_;
  Set kept;
  kept.data.labels = labels_;
  for (std::size_t index = 0; index < train_.data.samples.size(); ++index) {
    Set& target = moving[index] ? test_ : kept;
    target.data.samples.push_back(train_.data.samples[index]);
    target.revisions.push_back(train_.revisions[index]);  // an open tab's next edit still applies
  }
  train_ = std::move(kept);
  auto saved = save_dataset_locked("test");
  if (saved) saved = save_dataset_locked("train");
  if (!saved) {
    train_ = train_before;
    test_ = test_before;
    (void)save_dataset_locked("test");
    (void)save_dataset_locked("train");
    return saved.error();
  }
  return static_cast<std::size_t>(std::count(moving.begin(), moving.end(), true));
}

std::string Project::next_model_name() const {
  int highest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(models_dir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 2 || name[0] != 'v') continue;
    if (!std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      continue;
    if (name.size() > 9) continue;
    highest = std::max(highest, std::stoi(name.substr(1)));
  }
  return fmt::format("v{}", highest + 1);
}

Result<fs::path> Project::resolve_inside(const std::string& relative) const {
  const fs::path given(relative);
  if (relative.empty() || given.is_absolute() || relative.find('\0') != std::string::npos) {
    return Error{ErrorCode::kAccessDenied, fmt::format("\"{}\": not a path inside the project", relative)};
  }
  for (const auto& part : given) {
    if (part == "..") {
      return Error{ErrorCode::kAccessDenied,
                   fmt::format("\"{}\": \"..\" may not leave the project", relative)};
    }
  }
  std::error_code ec;
  const fs::path joined = root_ / given;
  if (!fs::exists(joined, ec))
    return Error{ErrorCode::kNotFound, fmt::format("{}: no such file in the project", relative)};
  const fs::path real = fs::canonical(joined, ec);
  if (ec) return Error{ErrorCode::kNotFound, fmt::format("{}: {}", relative, ec.message())};
  const fs::path inside = real.lexically_relative(root_);
  if (inside.empty() || *inside.begin() == "..") {
    return Error{ErrorCode::kAccessDenied,
                 fmt::format("{}: leads outside the project (a symbolic link); not served", relative)};
  }
  return real;
}

}  // namespace logoscope::ui
