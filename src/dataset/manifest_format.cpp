// SageMaker Ground Truth object-detection manifests (JSON Lines), as Rekognition Custom Labels
// imports them. Spec: docs/dataset-formats.md.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>

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

constexpr const char* kDetectionType = "groundtruth/object-detection";
constexpr const char* kMetadataSuffix = "-metadata";
constexpr const char* kIgnoreKey = "logoscope-ignore";
constexpr const char* kDifficultKey = "logoscope-difficult";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_detection_metadata(const json& metadata) {
  if (!metadata.is_object()) return false;
  const auto type = metadata.find("type");
  if (type != metadata.end() && type->is_string() && type->get<std::string>() == kDetectionType) {
    return true;
  }
  return metadata.contains("class-map");
}

bool is_classification(const json& line, const std::string& key) {
  const auto metadata = line.find(key + kMetadataSuffix);
  if (metadata == line.end() || !metadata->is_object()) return false;
  const auto type = metadata->find("type");
  if (type != metadata->end() && type->is_string() &&
      type->get<std::string>().find("classification") != std::string::npos) {
    return true;
  }
  return metadata->contains("class-name") && !line.at(key).is_object();
}

enum class LineOutcome { kSample, kSkipped, kClassification };

class LineReader {
 public:
  LineReader(const std::string& manifest, Dataset& dataset, Problems& problems, bool images_only)
      : manifest_(manifest),
        base_dir_(parent_dir(manifest)),
        dataset_(dataset),
        problems_(problems),
        images_only_(images_only) {}

  LineOutcome read(const json& line, int line_number);

 private:
  // The object-detection attribute of the line, or nullopt after reporting why there is none.
  std::optional<std::string> find_attribute(const json& line, const RecordRef& ref, LineOutcome& outcome);
  void read_image_size(const json& labels, const std::string& attribute, const RecordRef& ref,
                       Sample& sample);
  // class_id (as written in the class-map's keys) → label index.
  std::map<std::string, int> intern_class_map(const json& metadata);
  void read_annotation(const json& annotation, std::size_t index, const std::map<std::string, int>& classes,
                       const RecordRef& ref, const std::string& attribute, Sample& sample);

  const std::string& manifest_;
  std::string base_dir_;
  Dataset& dataset_;
  Problems& problems_;
  bool images_only_;  // ReadOptions::images_only
};

LineOutcome LineReader::read(const json& line, int line_number) {
  RecordRef ref{manifest_, line_number, ""};
  const auto source = line.find("source-ref");
  if (source == line.end() || !source->is_string() || source->get<std::string>().empty()) {
    add_problem(problems_, Severity::kError, "missing_source_ref", ref, "source-ref",
                source == line.end()
                    ? "line has no source-ref; skipped"
                    : "source-ref is not a non-empty string: " + detail::json_brief(*source) + "; skipped");
    return LineOutcome::kSkipped;
  }
  Sample sample;
  sample.image = resolve_ref(source->get<std::string>(), base_dir_);
  sample.source = SourceLocation{manifest_, line_number};
  ref.image = sample.image;

  const bool unlabeled = std::none_of(line.items().begin(), line.items().end(),
                                     [](const auto& item) { return ends_with(item.key(), kMetadataSuffix); });
  if (images_only_ && unlabeled) {
    // An input manifest's line: the image, no labels yet.
    dataset_.samples.push_back(std::move(sample));
    return LineOutcome::kSample;
  }
  LineOutcome outcome = LineOutcome::kSkipped;
  const auto attribute = find_attribute(line, ref, outcome);
  if (!attribute) return outcome;
  const json& labels = line.at(*attribute);
  const auto annotations = labels.find("annotations");
  if (!annotations->is_array()) {
    // Without its boxes the image would read as a background image: leave it out.
    add_problem(problems_, Severity::kError, "invalid_record", ref, *attribute + ".annotations",
                "annotations is not an array: " + detail::json_brief(*annotations) + "; skipped");
    return LineOutcome::kSkipped;
  }
  read_image_size(labels, *attribute, ref, sample);
  const std::map<std::string, int> classes = intern_class_map(line.at(*attribute + kMetadataSuffix));
  for (std::size_t index = 0; index < annotations->size(); ++index) {
    read_annotation((*annotations)[index], index, classes, ref, *attribute, sample);
  }
  dataset_.samples.push_back(std::move(sample));
  return LineOutcome::kSample;
}

std::optional<std::string> LineReader::find_attribute(const json& line, const RecordRef& ref,
                                                      LineOutcome& outcome) {
  std::vector<std::string> attributes;
  std::vector<std::string> without_metadata;
  for (const auto& [key, value] : line.items()) {
    if (key == "source-ref" || ends_with(key, kMetadataSuffix)) continue;
    if (!value.is_object() || !value.contains("annotations")) continue;
    const auto metadata = line.find(key + kMetadataSuffix);
    if (metadata != line.end() && is_detection_metadata(*metadata)) {
      attributes.push_back(key);
    } else {
      without_metadata.push_back(key);
    }
  }
  outcome = LineOutcome::kSkipped;
  if (!attributes.empty()) {
    if (attributes.size() > 1) {
      add_problem(problems_, Severity::kWarning, "multiple_attributes", ref, attributes[0],
                  std::to_string(attributes.size()) + " object-detection attributes; using " +
                      detail::quoted(attributes[0]) + " and ignoring " + detail::quoted(attributes[1]) +
                      (attributes.size() > 2 ? " and the others" : ""));
    }
    return attributes[0];
  }
  if (!without_metadata.empty()) {
    // Without the class-map the boxes cannot be named.
    const std::string& key = without_metadata.front();
    add_problem(problems_, Severity::kError, "missing_metadata", ref, key + kMetadataSuffix,
                "attribute " + detail::quoted(key) + " holds annotations but has no " + "object-detection " +
                    detail::quoted(key + kMetadataSuffix) + " twin (with type " + kDetectionType +
                    " and a class-map); skipped");
    return std::nullopt;
  }
  for (const auto& [key, value] : line.items()) {
    if (key == "source-ref" || ends_with(key, kMetadataSuffix) || !is_classification(line, key)) {
      continue;
    }
    add_problem(problems_, Severity::kError, "classification_label", ref, key,
                "attribute " + detail::quoted(key) + " is an image-level classification label (" +
                    detail::json_brief(value) + "), not object-detection boxes; skipped");
    outcome = LineOutcome::kClassification;
    return std::nullopt;
  }
  add_problem(problems_, Severity::kError, "missing_attribute", ref, "",
              "line has no object-detection attribute (a key X holding \"annotations\" with an "
              "X-metadata twin of type " +
                  std::string(kDetectionType) + "); skipped");
  return std::nullopt;
}

void LineReader::read_image_size(const json& labels, const std::string& attribute, const RecordRef& ref,
                                 Sample& sample) {
  const auto image_size = labels.find("image_size");
  if (image_size == labels.end()) return;
  if (!image_size->is_array() || image_size->empty() || !image_size->front().is_object()) {
    add_problem(problems_, Severity::kWarning, "invalid_image_size", ref, attribute + ".image_size",
                "image_size is not [{\"width\", \"height\", \"depth\"}]: " + detail::json_brief(*image_size) +
                    "; the size is probed from the image");
    return;
  }
  if (const auto size =
          detail::json_image_size(image_size->front(), ref, attribute + ".image_size[0].", problems_)) {
    sample.width = size->first;
    sample.height = size->second;
  }
}

std::map<std::string, int> LineReader::intern_class_map(const json& metadata) {
  std::map<std::string, int> classes;
  const auto class_map = metadata.find("class-map");
  if (class_map == metadata.end() || !class_map->is_object()) return classes;
  // Intern in numeric id order so that label order follows the class ids of the first line.
  std::vector<std::pair<long long, std::string>> entries;
  for (const auto& [id, name] : class_map->items()) {
    long long number = 0;
    const auto parsed = std::from_chars(id.data(), id.data() + id.size(), number);
    if (parsed.ec != std::errc() || parsed.ptr != id.data() + id.size()) {
      number = std::numeric_limits<long long>::max();
    }
    entries.emplace_back(number, id);
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& entry : entries) {
    const json& name = class_map->at(entry.second);
    classes[entry.second] =
        dataset_.intern_label(name.is_string() ? name.get<std::string>() : detail::json_brief(name));
  }
  return classes;
}

void LineReader::read_annotation(const json& annotation, std::size_t index,
                                 const std::map<std::string, int>& classes, const RecordRef& ref,
                                 const std::string& attribute, Sample& sample) {
  const std::string field = attribute + ".annotations[" + std::to_string(index) + "]";
  if (!annotation.is_object()) {
    add_problem(problems_, Severity::kError, "invalid_record", ref, field,
                "annotation is not an object: " + detail::json_brief(annotation) + "; the box is dropped");
    return;
  }
  const std::string prefix = field + ".";
  const auto class_id =
      detail::json_number_field(annotation, "class_id", ref, prefix, false, true, problems_);
  const auto left = detail::json_number_field(annotation, "left", ref, prefix, true, false, problems_);
  const auto top = detail::json_number_field(annotation, "top", ref, prefix, true, false, problems_);
  const auto width = detail::json_number_field(annotation, "width", ref, prefix, true, false, problems_);
  const auto height = detail::json_number_field(annotation, "height", ref, prefix, true, false, problems_);
  if (!class_id || !left || !top || !width || !height) return;

  const std::string id_text = detail::format_number(*class_id);
  const auto found = classes.find(id_text);
  if (found == classes.end()) {
    std::string known;
    int shown = 0;
    for (const auto& [id, label] : classes) {
      if (shown++ == 10) {
        known += ", ...";
        break;
      }
      known += (known.empty() ? "" : ", ") + id;
    }
    add_problem(problems_, Severity::kError, "unknown_class_id", ref, prefix + "class_id",
                "class_id " + id_text + " is not in this line's class-map (" +
                    (known.empty() ? std::string("empty") : "ids " + known) + "); the box is dropped");
    return;
  }
  detail::check_non_negative({{"left", *left}, {"top", *top}}, ref, prefix, problems_);
  Box box;
  box.x0 = *left;
  box.y0 = *top;
  box.x1 = *left + *width;
  box.y1 = *top + *height;
  box.label = found->second;
  box.ignore = detail::json_flag(annotation, kIgnoreKey);
  box.difficult = detail::json_flag(annotation, kDifficultKey);
  detail::check_box_shape(box, ref, field, problems_);
  sample.boxes.push_back(box);
}

}  // namespace

Result<Dataset> read_manifest(const std::string& path, Problems& problems, const ReadOptions& options) {
  auto text = detail::read_text_file(path);
  if (!text) return text.error();
  Dataset dataset;
  LineReader reader(path, dataset, problems, options.images_only);
  int non_blank = 0;
  int objects = 0;
  int classification = 0;
  std::string first_error;
  const std::vector<std::string> lines = detail::split_lines(*text);
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const std::string line_text = detail::trim(lines[index]);
    if (line_text.empty()) continue;
    ++non_blank;
    const int line_number = static_cast<int>(index) + 1;
    const RecordRef ref{path, line_number, ""};
    auto parsed = detail::parse_json_lenient(line_text, "line " + std::to_string(line_number));
    if (!parsed || !parsed->is_object()) {
      std::string message =
          parsed ? "line is not a JSON object: " + detail::json_brief(*parsed) : parsed.error().message;
      // The parser counts lines within this one line; its column is what matters.
      if (const std::size_t at = message.find("at line 1, column"); at != std::string::npos) {
        message.replace(at, 17, "at column");
      }
      if (first_error.empty()) first_error = message;
      add_problem(problems, Severity::kError, "bad_json", ref, "", message + "; skipped");
      continue;
    }
    ++objects;
    if (reader.read(*parsed, line_number) == LineOutcome::kClassification) ++classification;
  }
  if (dataset.samples.empty() && non_blank > 0) {
    if (objects == 0) {
      return Error{ErrorCode::kParse,
                   path + ": not a JSON Lines manifest (no line is a JSON object; " + first_error + ")"};
    }
    if (classification == objects) {
      return Error{ErrorCode::kInvalidValue,
                   path +
                       ": an image-classification manifest (image-level labels, no boxes); "
                       "logoscope needs object-detection manifests "
                       "(groundtruth/object-detection)"};
    }
  }
  if (options.probe_missing_sizes) detail::probe_missing_sizes(dataset);
  return dataset;
}

Status write_manifest(const Dataset& dataset, const std::string& path, const WriteOptions& options) {
  const std::string& attribute = options.manifest_attribute;
  if (attribute.empty() || attribute == "source-ref" || ends_with(attribute, kMetadataSuffix)) {
    return Error{ErrorCode::kInvalidArgument,
                 "manifest attribute name " + detail::quoted(attribute) +
                     " is not usable (empty, \"source-ref\" or ending in \"-metadata\")"};
  }
  if (auto valid = detail::check_dataset_for_writing(dataset); !valid) return valid;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return Error{ErrorCode::kInvalidArgument, path + ": is a folder; a manifest is a file"};
  }
  if (auto writable = detail::InputFiles(dataset).check_writable(path); !writable) return writable;

  const std::string out_dir = parent_dir(path);
  ordered_json class_map = ordered_json::object();
  for (std::size_t label = 0; label < dataset.labels.size(); ++label) {
    class_map[std::to_string(label)] = dataset.labels[label];
  }
  const std::string creation_date = detail::iso8601_now();
  std::string out;
  for (const Sample& sample : dataset.samples) {
    ordered_json labels = ordered_json::object();
    if (const auto size = detail::size_for_writing(sample)) {
      labels["image_size"] =
          ordered_json::array({ordered_json{{"width", size->first}, {"height", size->second}, {"depth", 3}}});
    }
    ordered_json annotations = ordered_json::array();
    ordered_json objects = ordered_json::array();
    for (const Box& box : sample.boxes) {
      const detail::PixelBox pixels = detail::round_box(box);
      ordered_json annotation{{"class_id", box.label},
                              {"left", pixels.x0},
                              {"top", pixels.y0},
                              {"width", pixels.x1 - pixels.x0},
                              {"height", pixels.y1 - pixels.y0}};
      if (box.ignore) annotation[kIgnoreKey] = true;
      if (box.difficult) annotation[kDifficultKey] = true;
      annotations.push_back(std::move(annotation));
      objects.push_back(ordered_json{{"confidence", 1}});
    }
    labels["annotations"] = std::move(annotations);
    ordered_json line{{"source-ref", ref_for_writing(sample.image, out_dir)}};
    line[attribute] = std::move(labels);
    line[attribute + kMetadataSuffix] = ordered_json{
        {"objects", std::move(objects)}, {"class-map", class_map},         {"type", kDetectionType},
        {"human-annotated", "yes"},      {"creation-date", creation_date}, {"job-name", options.job_name}};
    out += line.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    out += '\n';
  }
  return detail::write_file_atomic(path, out);
}

}  // namespace logoscope::dataset
