// COCO object-detection JSON (images / annotations / categories). Spec: docs/dataset-formats.md.
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "core/paths.hpp"
#include "dataset/format_util.hpp"
#include "dataset/formats.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace logoscope::dataset {
namespace {

using detail::add_problem;
using detail::RecordRef;

constexpr const char* kDifficultKey = "logoscope-difficult";

// COCO ids are integers, but some exporters write strings; both are keyed by their text.
std::optional<std::string> id_key(const json& id) {
  if (id.is_number_unsigned()) return std::to_string(id.get<std::uint64_t>());
  if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
  if (id.is_number_float()) {
    const double value = id.get<double>();
    if (!std::isfinite(value) || value != std::floor(value)) return std::nullopt;
    // 3.0 keys as 3 (the same id as the integer 3); a whole number beyond int64 (3e69) cannot be
    // converted and keys by its own text.
    if (std::fabs(value) < 9.2e18) return std::to_string(static_cast<std::int64_t>(value));
    return fmt::format("{:.17g}", value);
  }
  if (id.is_string()) return "\"" + id.get<std::string>() + "\"";
  return std::nullopt;
}

// Reads record[key] as an id; reports a missing or unusable one.
std::optional<std::string> read_id(const json& record, const char* key, const RecordRef& ref,
                                   const std::string& field, Problems& problems) {
  const auto it = record.find(key);
  if (it == record.end()) {
    add_problem(problems, Severity::kError, "missing_field", ref, field + "." + key,
                std::string(key) + " is missing; skipped");
    return std::nullopt;
  }
  auto key_text = id_key(*it);
  if (!key_text) {
    add_problem(problems, Severity::kError, "non_numeric_field", ref, field + "." + key,
                std::string(key) + " is not an integer id: " + detail::json_brief(*it) + "; skipped");
  }
  return key_text;
}

const json* array_member(const json& root, const char* key, const std::string& file, Problems& problems) {
  const auto it = root.find(key);
  if (it == root.end()) return nullptr;
  if (!it->is_array()) {
    add_problem(problems, Severity::kError, "invalid_record", RecordRef{file, 0, ""}, key,
                std::string(key) + " is not an array: " + detail::json_brief(*it) + "; ignored");
    return nullptr;
  }
  return &*it;
}

class CocoReader {
 public:
  CocoReader(const std::string& path, Problems& problems)
      : path_(path), base_dir_(parent_dir(path)), problems_(problems) {}

  Dataset read(const json& root) {
    if (const json* categories = array_member(root, "categories", path_, problems_)) {
      for (std::size_t index = 0; index < categories->size(); ++index) {
        read_category((*categories)[index], "categories[" + std::to_string(index) + "]");
      }
    }
    const json& images = root.at("images");
    for (std::size_t index = 0; index < images.size(); ++index) {
      read_image(images[index], "images[" + std::to_string(index) + "]");
    }
    if (const json* annotations = array_member(root, "annotations", path_, problems_)) {
      for (std::size_t index = 0; index < annotations->size(); ++index) {
        read_annotation((*annotations)[index], "annotations[" + std::to_string(index) + "]");
      }
    }
    return std::move(dataset_);
  }

 private:
  bool require_object(const json& record, const std::string& field) {
    if (record.is_object()) return true;
    add_problem(problems_, Severity::kError, "invalid_record", RecordRef{path_, 0, ""}, field,
                "not a JSON object: " + detail::json_brief(record) + "; skipped");
    return false;
  }

  void read_category(const json& category, const std::string& field) {
    const RecordRef ref{path_, 0, ""};
    if (!require_object(category, field)) return;
    const auto id = read_id(category, "id", ref, field, problems_);
    const auto name = category.find("name");
    if (name == category.end() || !name->is_string()) {
      add_problem(problems_, Severity::kError, "missing_field", ref, field + ".name",
                  name == category.end()
                      ? "category has no name; skipped"
                      : "category name is not a string: " + detail::json_brief(*name) + "; skipped");
      return;
    }
    if (!id) return;
    if (labels_.count(*id) > 0) {
      add_problem(problems_, Severity::kError, "duplicate_id", ref, field + ".id",
                  "category id " + *id + " is defined twice; the first (" +
                      detail::quoted(dataset_.labels[static_cast<std::size_t>(labels_[*id])]) + ") is used");
      return;
    }
    labels_[*id] = dataset_.intern_label(name->get<std::string>());
  }

  void read_image(const json& image, const std::string& field) {
    RecordRef ref{path_, 0, ""};
    if (!require_object(image, field)) return;
    const auto id = read_id(image, "id", ref, field, problems_);
    const auto file_name = image.find("file_name");
    if (file_name == image.end() || !file_name->is_string() || file_name->get<std::string>().empty()) {
      add_problem(
          problems_, Severity::kError, "missing_field", ref, field + ".file_name",
          file_name == image.end()
              ? "image has no file_name; skipped"
              : "file_name is not a non-empty string: " + detail::json_brief(*file_name) + "; skipped");
      return;
    }
    if (!id) return;
    Sample sample;
    sample.image = resolve_ref(file_name->get<std::string>(), base_dir_);
    sample.source = SourceLocation{path_, 0};
    ref.image = sample.image;
    if (images_.count(*id) > 0) {
      add_problem(problems_, Severity::kError, "duplicate_id", ref, field + ".id",
                  "image id " + *id + " is defined twice; the first (" +
                      detail::quoted(dataset_.samples[images_[*id]].image) +
                      ") gets its annotations and this one is skipped");
      return;
    }
    if (const auto size = detail::json_image_size(image, ref, field + ".", problems_)) {
      sample.width = size->first;
      sample.height = size->second;
    }
    images_[*id] = dataset_.samples.size();
    dataset_.samples.push_back(std::move(sample));
  }

  void read_annotation(const json& annotation, const std::string& field) {
    RecordRef ref{path_, 0, ""};
    if (!require_object(annotation, field)) return;
    const auto image_id = read_id(annotation, "image_id", ref, field, problems_);
    const auto category_id = read_id(annotation, "category_id", ref, field, problems_);
    if (!image_id || !category_id) return;
    const auto image = images_.find(*image_id);
    if (image == images_.end()) {
      add_problem(problems_, Severity::kError, "unknown_image_id", ref, field + ".image_id",
                  "image_id " + *image_id + " is not defined in images; the box is dropped");
      return;
    }
    Sample& sample = dataset_.samples[image->second];
    ref.image = sample.image;
    const auto label = labels_.find(*category_id);
    if (label == labels_.end()) {
      add_problem(problems_, Severity::kError, "unknown_class_id", ref, field + ".category_id",
                  "category_id " + *category_id + " is not defined in categories; the box is dropped");
      return;
    }
    const auto bbox = annotation.find("bbox");
    if (bbox == annotation.end()) {
      add_problem(problems_, Severity::kError, "missing_field", ref, field + ".bbox",
                  "bbox is missing; the box is dropped");
      return;
    }
    if (!bbox->is_array() || bbox->size() != 4) {
      add_problem(problems_, Severity::kError, "invalid_record", ref, field + ".bbox",
                  "bbox is not [x, y, width, height]: " + detail::json_brief(*bbox) + "; the box is dropped");
      return;
    }
    static constexpr const char* kNames[] = {"x", "y", "width", "height"};
    double values[4] = {};
    bool usable = true;
    for (std::size_t index = 0; index < 4; ++index) {
      const auto value =
          detail::json_number(&(*bbox)[index], kNames[index], ref,
                              field + ".bbox[" + std::to_string(index) + "]", true, false, problems_);
      if (value) {
        values[index] = *value;
      } else {
        usable = false;
      }
    }
    if (!usable) return;
    detail::check_non_negative({{"x", values[0]}, {"y", values[1]}}, ref, field + ".bbox.", problems_);
    Box box;
    box.x0 = values[0];
    box.y0 = values[1];
    box.x1 = values[0] + values[2];
    box.y1 = values[1] + values[3];
    box.label = label->second;
    box.ignore = detail::json_flag(annotation, "iscrowd");
    box.difficult = detail::json_flag(annotation, kDifficultKey);
    detail::check_box_shape(box, ref, field + ".bbox", problems_);
    sample.boxes.push_back(box);
  }

  const std::string& path_;
  std::string base_dir_;
  Problems& problems_;
  Dataset dataset_;
  std::map<std::string, int> labels_;          // category id → label index
  std::map<std::string, std::size_t> images_;  // image id → sample index
};

}  // namespace

Result<Dataset> read_coco(const std::string& path, Problems& problems, const ReadOptions& options) {
  auto text = detail::read_text_file(path);
  if (!text) return text.error();
  auto root = detail::parse_json_lenient(*text, path);
  if (!root) return root.error();
  if (!root->is_object() || !root->contains("images") || !root->at("images").is_array()) {
    return Error{ErrorCode::kParse, path + ": not a COCO dataset (no top-level \"images\" array)"};
  }
  Dataset dataset = CocoReader(path, problems).read(*root);
  if (options.probe_missing_sizes) detail::probe_missing_sizes(dataset);
  return dataset;
}

Status write_coco(const Dataset& dataset, const std::string& path, const WriteOptions&) {
  if (auto valid = detail::check_dataset_for_writing(dataset); !valid) return valid;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return Error{ErrorCode::kInvalidArgument, path + ": is a folder; a COCO dataset is a file"};
  }
  if (auto writable = detail::InputFiles(dataset).check_writable(path); !writable) return writable;

  const std::string out_dir = parent_dir(path);
  ordered_json images = ordered_json::array();
  ordered_json annotations = ordered_json::array();
  ordered_json categories = ordered_json::array();
  for (std::size_t label = 0; label < dataset.labels.size(); ++label) {
    categories.push_back(
        ordered_json{{"id", label + 1}, {"name", dataset.labels[label]}, {"supercategory", "logo"}});
  }
  std::size_t annotation_id = 1;
  for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
    const Sample& sample = dataset.samples[sample_idx];
    const auto size = detail::size_for_writing(sample);
    images.push_back(ordered_json{{"id", sample_idx + 1},
                                  {"file_name", ref_for_writing(sample.image, out_dir)},
                                  {"width", size ? size->first : 0},
                                  {"height", size ? size->second : 0}});
    for (const Box& box : sample.boxes) {
      ordered_json annotation{
          {"id", annotation_id++},
          {"image_id", sample_idx + 1},
          {"category_id", box.label + 1},
          {"bbox", ordered_json::array({detail::json_pixel_value(box.x0), detail::json_pixel_value(box.y0),
                                        detail::json_pixel_value(box.width()),
                                        detail::json_pixel_value(box.height())})},
          {"area", detail::json_pixel_value(box.area())},
          {"iscrowd", box.ignore ? 1 : 0},
          {"segmentation", ordered_json::array()}};
      if (box.difficult) annotation[kDifficultKey] = true;
      annotations.push_back(std::move(annotation));
    }
  }
  const ordered_json root{
      {"info", {{"description", "written by logoscope"}, {"date_created", detail::iso8601_now()}}},
      {"licenses", ordered_json::array()},
      {"images", std::move(images)},
      {"annotations", std::move(annotations)},
      {"categories", std::move(categories)}};
  return detail::write_file_atomic(path,
                                   root.dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "\n");
}

}  // namespace logoscope::dataset
