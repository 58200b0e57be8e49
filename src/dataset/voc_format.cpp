// Pascal VOC XML annotations (one <annotation> file per image). Spec: docs/dataset-formats.md.
#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <tinyxml2.h>

#include "core/paths.hpp"
#include "dataset/format_util.hpp"
#include "dataset/formats.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {
namespace {

using detail::add_problem;
using detail::RecordRef;

constexpr const char* kIgnoreElement = "logoscope-ignore";

std::string child_text(const tinyxml2::XMLElement* parent, const char* name) {
  const tinyxml2::XMLElement* child = parent->FirstChildElement(name);
  if (child == nullptr || child->GetText() == nullptr) return {};
  return detail::trim(child->GetText());
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

bool exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// <path> when it exists, else the first existing of JPEGImages/, the XML's folder, images/;
// else the JPEGImages guess (validation reports the missing image).
std::string resolve_image(const std::string& path, std::string filename, const std::string& xml_dir) {
  if (!path.empty()) {
    if (is_s3_uri(path)) return path;
    std::string resolved = resolve_ref(path, xml_dir);
    if (exists(resolved)) return resolved;
    if (filename.empty()) filename = fs::path(path).filename().string();
  }
  std::string guess = resolve_ref("../JPEGImages/" + filename, xml_dir);
  for (const std::string& candidate :
       {guess, resolve_ref(filename, xml_dir), resolve_ref("../images/" + filename, xml_dir)}) {
    if (exists(candidate)) return candidate;
  }
  return guess;
}

void read_size(const tinyxml2::XMLElement* annotation, const RecordRef& ref, Sample& sample,
               Problems& problems) {
  const tinyxml2::XMLElement* size = annotation->FirstChildElement("size");
  if (size == nullptr) return;
  const std::string width_text = child_text(size, "width");
  const std::string height_text = child_text(size, "height");
  double width = 0;
  double height = 0;
  if (parse_number(width_text, width) && parse_number(height_text, height) && width >= 0 && height >= 0 &&
      width < 1e9 && height < 1e9 && width == static_cast<int>(width) && height == static_cast<int>(height)) {
    sample.width = static_cast<int>(width);
    sample.height = static_cast<int>(height);
    return;
  }
  add_problem(problems, Severity::kWarning, "invalid_image_size",
              RecordRef{ref.file, size->GetLineNum(), ref.image}, "size",
              "size " + detail::quoted(width_text) + " x " + detail::quoted(height_text) +
                  " is not a pair of non-negative integers; the size is probed from the image");
}

void read_object(const tinyxml2::XMLElement* object, int index, Dataset& dataset, const RecordRef& file_ref,
                 Sample& sample, Problems& problems) {
  const RecordRef ref{file_ref.file, object->GetLineNum(), file_ref.image};
  const std::string field = "object[" + std::to_string(index) + "]";
  const std::string name = child_text(object, "name");
  if (name.empty()) {
    add_problem(problems, Severity::kError, "missing_field", ref, field + ".name",
                "object has no <name>; the box is dropped");
    return;
  }
  const tinyxml2::XMLElement* bndbox = object->FirstChildElement("bndbox");
  if (bndbox == nullptr) {
    add_problem(problems, Severity::kError, "missing_field", ref, field + ".bndbox",
                "object " + detail::quoted(name) + " has no <bndbox>; the box is dropped");
    return;
  }
  static constexpr const char* kCorners[] = {"xmin", "ymin", "xmax", "ymax"};
  double corners[4] = {};
  bool usable = true;
  for (std::size_t corner = 0; corner < 4; ++corner) {
    const tinyxml2::XMLElement* element = bndbox->FirstChildElement(kCorners[corner]);
    const std::string corner_field = field + ".bndbox." + kCorners[corner];
    const RecordRef corner_ref{ref.file, element ? element->GetLineNum() : ref.line, ref.image};
    if (element == nullptr) {
      add_problem(problems, Severity::kError, "missing_field", corner_ref, corner_field,
                  std::string(kCorners[corner]) + " is missing; the box is dropped");
      usable = false;
      continue;
    }
    const std::string text = detail::trim(element->GetText() ? element->GetText() : "");
    if (!parse_number(text, corners[corner])) {
      add_problem(problems, Severity::kError, "non_numeric_field", corner_ref, corner_field,
                  std::string(kCorners[corner]) + " is not a number: " + detail::quoted(text) +
                      "; the box is dropped");
      usable = false;
    }
  }
  if (!usable) return;
  const std::string prefix = field + ".bndbox.";
  if (!detail::check_finite(
          {{"xmin", corners[0]}, {"ymin", corners[1]}, {"xmax", corners[2]}, {"ymax", corners[3]}}, ref,
          prefix, problems)) {
    return;
  }
  detail::check_non_negative({{"xmin", corners[0]}, {"ymin", corners[1]}}, ref, prefix, problems);
  Box box;
  box.x0 = corners[0] - 1;
  box.y0 = corners[1] - 1;
  box.x1 = corners[2];
  box.y1 = corners[3];
  box.label = dataset.intern_label(name);
  double flag = 0;
  box.difficult = parse_number(child_text(object, "difficult"), flag) && flag != 0;
  box.ignore = parse_number(child_text(object, kIgnoreElement), flag) && flag != 0;
  detail::check_box_shape(box, ref, field + ".bndbox", problems);
  sample.boxes.push_back(box);
}

// Reads one annotation file into `dataset`. Errors: the file as a whole is unusable.
Status read_annotation_file(const std::string& file, Dataset& dataset, Problems& problems) {
  auto text = detail::read_text_file(file);
  if (!text) return text.error();
  tinyxml2::XMLDocument document;
  if (document.Parse(text->data(), text->size()) != tinyxml2::XML_SUCCESS) {
    return Error{ErrorCode::kParse, file + ": invalid XML at line " +
                                        std::to_string(document.ErrorLineNum()) + ": " + document.ErrorStr()};
  }
  const tinyxml2::XMLElement* annotation = document.RootElement();
  if (annotation == nullptr || std::string(annotation->Name()) != "annotation") {
    return Error{ErrorCode::kParse, file + ": not a Pascal VOC annotation (root element <" +
                                        (annotation ? annotation->Name() : "") + ">, expected <annotation>)"};
  }
  const std::string path = child_text(annotation, "path");
  const std::string filename = child_text(annotation, "filename");
  RecordRef ref{file, annotation->GetLineNum(), ""};
  if (path.empty() && filename.empty()) {
    add_problem(problems, Severity::kError, "missing_field", ref, "filename",
                "annotation has neither <filename> nor <path>; skipped");
    return Ok{};
  }
  Sample sample;
  sample.image = resolve_image(path, filename, parent_dir(file));
  sample.source = SourceLocation{file, 0};
  ref.image = sample.image;
  read_size(annotation, ref, sample, problems);
  int index = 0;
  for (const tinyxml2::XMLElement* object = annotation->FirstChildElement("object"); object != nullptr;
       object = object->NextSiblingElement("object")) {
    read_object(object, index++, dataset, ref, sample, problems);
  }
  dataset.samples.push_back(std::move(sample));
  return Ok{};
}

std::vector<std::string> xml_files_in(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && detail::extension_of(it->path().string()) == ".xml") {
      files.push_back(it->path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

tinyxml2::XMLElement* add_child(tinyxml2::XMLDocument& document, tinyxml2::XMLNode* parent, const char* name,
                                const std::string& text = {}) {
  tinyxml2::XMLElement* element = document.NewElement(name);
  if (!text.empty()) element->SetText(text.c_str());
  parent->InsertEndChild(element);
  return element;
}

std::string annotation_xml(const Dataset& dataset, const Sample& sample, const std::string& annotations_dir) {
  tinyxml2::XMLDocument document;
  tinyxml2::XMLElement* root = document.NewElement("annotation");
  document.InsertFirstChild(root);
  const std::string name = sample.image.substr(sample.image.find_last_of('/') + 1);
  const std::string folder = fs::path(sample.image).parent_path().filename().string();
  add_child(document, root, "folder", folder);
  add_child(document, root, "filename", name);
  add_child(document, root, "path", ref_for_writing(sample.image, annotations_dir));
  add_child(document, add_child(document, root, "source"), "database", "logoscope");
  const auto size = detail::size_for_writing(sample);
  tinyxml2::XMLElement* size_element = add_child(document, root, "size");
  add_child(document, size_element, "width", std::to_string(size ? size->first : 0));
  add_child(document, size_element, "height", std::to_string(size ? size->second : 0));
  add_child(document, size_element, "depth", "3");
  add_child(document, root, "segmented", "0");
  for (const Box& box : sample.boxes) {
    const detail::PixelBox pixels = detail::round_box(box);
    tinyxml2::XMLElement* object = add_child(document, root, "object");
    add_child(document, object, "name", dataset.labels[static_cast<std::size_t>(box.label)]);
    add_child(document, object, "pose", "Unspecified");
    add_child(document, object, "truncated", "0");
    add_child(document, object, "difficult", box.difficult ? "1" : "0");
    if (box.ignore) add_child(document, object, kIgnoreElement, "1");
    tinyxml2::XMLElement* bndbox = add_child(document, object, "bndbox");
    add_child(document, bndbox, "xmin", std::to_string(pixels.x0 + 1));
    add_child(document, bndbox, "ymin", std::to_string(pixels.y0 + 1));
    add_child(document, bndbox, "xmax", std::to_string(pixels.x1));
    add_child(document, bndbox, "ymax", std::to_string(pixels.y1));
  }
  tinyxml2::XMLPrinter printer;
  document.Print(&printer);
  return printer.CStr();
}

}  // namespace

Result<Dataset> read_voc(const std::string& path, Problems& problems, const ReadOptions& options) {
  std::error_code ec;
  Dataset dataset;
  if (!fs::exists(path, ec)) return Error{ErrorCode::kNotFound, path + ": no such file or folder"};
  if (!fs::is_directory(path, ec)) {
    if (auto read = read_annotation_file(path, dataset, problems); !read) return read.error();
  } else {
    const fs::path annotations = fs::path(path) / "Annotations";
    const bool has_annotations = fs::is_directory(annotations, ec);
    const std::vector<std::string> files = xml_files_in(has_annotations ? annotations : fs::path(path));
    if (files.empty() && !has_annotations) {
      return Error{ErrorCode::kNotFound,
                   path + ": not a Pascal VOC folder (no Annotations/ folder and no .xml files)"};
    }
    for (const std::string& file : files) {
      if (auto read = read_annotation_file(file, dataset, problems); !read) {
        add_problem(problems, Severity::kError, "bad_xml", RecordRef{file, 0, ""}, "",
                    read.error().message + "; skipped");
      }
    }
  }
  if (options.probe_missing_sizes) detail::probe_missing_sizes(dataset);
  return dataset;
}

Status write_voc(const Dataset& dataset, const std::string& path, const WriteOptions&) {
  if (auto valid = detail::check_dataset_for_writing(dataset); !valid) return valid;
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return Error{ErrorCode::kInvalidArgument, path + ": is a file; a VOC dataset is a folder"};
  }
  const fs::path annotations_dir = fs::path(path) / "Annotations";
  const std::string image_set = (fs::path(path) / "ImageSets" / "Main" / "default.txt").string();
  const detail::InputFiles inputs(dataset);
  const std::vector<std::string> stems = detail::unique_stems(dataset);
  std::vector<std::string> files;
  for (const std::string& stem : stems) {
    files.push_back((annotations_dir / (stem + ".xml")).string());
    if (auto writable = inputs.check_writable(files.back()); !writable) return writable;
  }
  if (auto writable = inputs.check_writable(image_set); !writable) return writable;
  std::string listing;
  for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
    const std::string xml = annotation_xml(dataset, dataset.samples[sample_idx], annotations_dir.string());
    if (auto written = detail::write_file_atomic(files[sample_idx], xml); !written) return written;
    listing += stems[sample_idx] + "\n";
  }
  return detail::write_file_atomic(image_set, listing);
}

}  // namespace logoscope::dataset
