// Dispatch, format detection and the helpers shared by the format files (format_util.hpp).
#include "dataset/formats.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/files.hpp"
#include "core/paths.hpp"
#include "storage/storage.hpp"
#include "dataset/format_util.hpp"
#include "imageio/image_io.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {

const char* dataset_format_name(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kManifest:
      return "manifest";
    case DatasetFormat::kCoco:
      return "coco";
    case DatasetFormat::kYolo:
      return "yolo";
    case DatasetFormat::kVoc:
      return "voc";
  }
  return "unknown";
}

Result<DatasetFormat> parse_dataset_format(const std::string& name) {
  const std::string lower = detail::to_lower(name);
  if (lower == "manifest" || lower == "gt") return DatasetFormat::kManifest;
  if (lower == "coco") return DatasetFormat::kCoco;
  if (lower == "yolo") return DatasetFormat::kYolo;
  if (lower == "voc") return DatasetFormat::kVoc;
  return Error{ErrorCode::kInvalidArgument, "unknown dataset format " + detail::quoted(name) +
                                                " (expected manifest, gt, coco, yolo or voc)"};
}

Result<DatasetFormat> detect_dataset_format(const std::string& path) {
  if (is_s3_uri(path)) return format_from_extension(path);  // an object: its name says
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return Error{ErrorCode::kNotFound, path + ": no such file or folder"};
  if (fs::is_directory(status)) {
    const fs::path dir(path);
    if (fs::is_directory(dir / "Annotations", ec)) return DatasetFormat::kVoc;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file(ec) && detail::extension_of(entry.path().string()) == ".xml") {
        return DatasetFormat::kVoc;
      }
    }
    if (fs::is_directory(dir / "labels", ec) || fs::is_regular_file(dir / "data.yaml", ec) ||
        fs::is_regular_file(dir / "data.yml", ec)) {
      return DatasetFormat::kYolo;
    }
    return Error{ErrorCode::kUnsupportedFormat,
                 path +
                     ": cannot tell the dataset format of this folder (expected Annotations/ or "
                     "*.xml for voc, labels/ or data.yaml for yolo)"};
  }
  return format_from_extension(path);
}

Result<DatasetFormat> format_from_extension(const std::string& path) {
  const std::string ext = detail::extension_of(path);
  if (ext == ".manifest" || ext == ".jsonl") return DatasetFormat::kManifest;
  if (ext == ".json") return DatasetFormat::kCoco;
  if (ext == ".yaml" || ext == ".yml") return DatasetFormat::kYolo;
  if (ext == ".xml") return DatasetFormat::kVoc;
  return Error{ErrorCode::kUnsupportedFormat,
               path + ": cannot tell the dataset format from the extension " + detail::quoted(ext) +
                   " (expected .manifest/.jsonl, .json, .yaml/.yml, .xml or a folder)"};
}

Result<Dataset> read_dataset(const std::string& path, std::optional<DatasetFormat> format, Problems& problems,
                             const ReadOptions& options) {
  if (is_s3_uri(path) && (!format || *format == DatasetFormat::kYolo || *format == DatasetFormat::kVoc)) {
    auto by_name = format_from_extension(path);
    if (!by_name || *by_name == DatasetFormat::kYolo || *by_name == DatasetFormat::kVoc) {
      return Error{ErrorCode::kInvalidArgument,
                   path + ": datasets in s3:// are read from a Ground Truth manifest (.manifest, .jsonl) or a COCO "
                          ".json; YOLO and Pascal VOC folders are read locally (their images may stay in S3)"};
    }
    format = *by_name;
  }
  if (!format) {
    auto detected = detect_dataset_format(path);
    if (!detected) return detected.error();
    format = *detected;
  }
  switch (*format) {
    case DatasetFormat::kManifest:
      return read_manifest(path, problems, options);
    case DatasetFormat::kCoco:
      return read_coco(path, problems, options);
    case DatasetFormat::kYolo:
      return read_yolo(path, problems, options);
    case DatasetFormat::kVoc:
      return read_voc(path, problems, options);
  }
  return Error{ErrorCode::kInvalidArgument, "unknown dataset format"};
}

Status write_dataset(const Dataset& dataset, const std::string& path, DatasetFormat format,
                     const WriteOptions& options) {
  if (is_s3_uri(path) && (format == DatasetFormat::kYolo || format == DatasetFormat::kVoc)) {
    return Error{ErrorCode::kInvalidArgument,
                 path + ": datasets are written to s3:// as a Ground Truth manifest or a COCO .json; write YOLO and "
                        "Pascal VOC folders locally"};
  }
  switch (format) {
    case DatasetFormat::kManifest:
      return write_manifest(dataset, path, options);
    case DatasetFormat::kCoco:
      return write_coco(dataset, path, options);
    case DatasetFormat::kYolo:
      return write_yolo(dataset, path, options);
    case DatasetFormat::kVoc:
      return write_voc(dataset, path, options);
  }
  return Error{ErrorCode::kInvalidArgument, "unknown dataset format"};
}

namespace detail {

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return lower;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

std::string format_number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 60;
  if (text.size() <= kMax) return "\"" + std::string(text) + "\"";
  return "\"" + std::string(text.substr(0, kMax)) + "...\"";
}

std::string extension_of(const std::string& path) {
  return to_lower(fs::path(path).extension().string());
}

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  const std::size_t length = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return std::string(buffer, length);
}

Result<std::string> read_text_file(const std::string& path) {
  return storage::read_text(path);
}

Status write_file_atomic(const std::string& path, std::string_view content) {
  return storage::write_file(path, content);
}

void add_problem(Problems& problems, Severity severity, std::string kind, const RecordRef& ref,
                 std::string field, std::string message) {
  Problem problem;
  problem.severity = severity;
  problem.kind = std::move(kind);
  problem.where = SourceLocation{ref.file, ref.line};
  problem.field = std::move(field);
  problem.image = ref.image;
  problem.message = std::move(message);
  problems.push_back(std::move(problem));
}

bool check_finite(std::initializer_list<NamedValue> values, const RecordRef& ref,
                  const std::string& field_prefix, Problems& problems) {
  bool all_finite = true;
  for (const NamedValue& value : values) {
    if (std::isfinite(value.value)) continue;
    all_finite = false;
    add_problem(problems, Severity::kError, "non_finite_coordinate", ref,
                field_prefix + std::string(value.name),
                std::string(value.name) + " is " + format_number(value.value) +
                    "; the box cannot be represented and is dropped");
  }
  return all_finite;
}

void check_non_negative(std::initializer_list<NamedValue> values, const RecordRef& ref,
                        const std::string& field_prefix, Problems& problems) {
  for (const NamedValue& value : values) {
    if (!(value.value < 0)) continue;
    add_problem(problems, Severity::kWarning, "negative_coordinate", ref,
                field_prefix + std::string(value.name),
                std::string(value.name) + " is negative (" + format_number(value.value) +
                    "); the box extends past the image's top-left corner");
  }
}

void check_box_shape(const Box& box, const RecordRef& ref, const std::string& field, Problems& problems) {
  const double width = box.width();
  const double height = box.height();
  if (width > 0 && height > 0) return;
  const auto describe = [](double size) {
    return std::string(size == 0 ? "zero" : "negative") + " (" + format_number(size) + ")";
  };
  std::string message = "degenerate box:";
  if (!(width > 0)) message += " width " + describe(width);
  if (!(width > 0) && !(height > 0)) message += ",";
  if (!(height > 0)) message += " height " + describe(height);
  message += "; kept as read (x0 " + format_number(box.x0) + ", y0 " + format_number(box.y0) + ", x1 " +
             format_number(box.x1) + ", y1 " + format_number(box.y1) + ")";
  add_problem(problems, Severity::kError, "degenerate_box", ref, field, std::move(message));
}

namespace {

// The non-finite value starting at text[pos] outside a string: a bare NaN / Infinity / -Infinity
// token, or a number that overflows a double (1e999). Sets `length` to the source length.
std::string_view non_finite_token_at(std::string_view text, std::size_t pos, std::size_t& length) {
  for (std::string_view token : {"NaN", "Infinity", "-Infinity"}) {
    if (text.substr(pos, token.size()) == token) {
      length = token.size();
      return token;
    }
  }
  std::size_t end = pos;
  bool exponent = false;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-' || text[end] == '+' ||
          text[end] == '.' || text[end] == 'e' || text[end] == 'E')) {
    exponent = exponent || text[end] == 'e' || text[end] == 'E';
    ++end;
  }
  if (!exponent && end - pos < 300) return {};
  const std::string number(text.substr(pos, end - pos));
  const double value = std::strtod(number.c_str(), nullptr);
  if (std::isfinite(value)) return {};
  length = end - pos;
  return value < 0 ? "-Infinity" : "Infinity";
}

std::string quote_non_finite_tokens(std::string_view text) {
  std::string out;
  bool changed = false;
  bool in_string = false;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (in_string) {
      if (c == '\\' && pos + 1 < text.size()) {
        if (changed) out.append(text.substr(pos, 2));
        ++pos;
        continue;
      }
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == 'N' || c == 'I' || c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t length = 0;
      const std::string_view token = non_finite_token_at(text, pos, length);
      if (!token.empty()) {
        if (!changed) {
          out.assign(text.substr(0, pos));
          changed = true;
        }
        out += '"';
        out.append(token);
        out += '"';
        pos += length - 1;
        continue;
      }
      if (c != 'N' && c != 'I') {
        // Copy the whole number so that its digits are not rescanned one by one.
        std::size_t end = pos + 1;
        while (end < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' || text[end] == 'e' ||
                text[end] == 'E' || text[end] == '+' || text[end] == '-')) {
          ++end;
        }
        if (changed) out.append(text.substr(pos, end - pos));
        pos = end - 1;
        continue;
      }
    }
    if (changed) out += c;
  }
  return changed ? out : std::string(text);
}

bool is_non_finite_string(const nlohmann::json& value) {
  if (!value.is_string()) return false;
  const auto& text = value.get_ref<const std::string&>();
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

}  // namespace

Result<nlohmann::json> parse_json_lenient(std::string_view text, const std::string& name) {
  try {
    return nlohmann::json::parse(quote_non_finite_tokens(text));
  } catch (const nlohmann::json::exception& error) {
    std::string what = error.what();
    const std::size_t bracket = what.find("] ");
    if (what.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) {
      what.erase(0, bracket + 2);
    }
    return Error{ErrorCode::kParse, name + ": invalid JSON: " + what};
  }
}

std::optional<double> json_number(const nlohmann::json* value, std::string_view name, const RecordRef& ref,
                                  const std::string& field, bool coordinate, bool integer,
                                  Problems& problems) {
  const std::string key(name);
  if (value == nullptr) {
    add_problem(problems, Severity::kError, "missing_field", ref, field, key + " is missing");
    return std::nullopt;
  }
  if (is_non_finite_string(*value) || (value->is_number() && !std::isfinite(value->get<double>()))) {
    const std::string shown =
        value->is_string() ? value->get<std::string>() : format_number(value->get<double>());
    add_problem(problems, Severity::kError, coordinate ? "non_finite_coordinate" : "non_numeric_field", ref,
                field, key + " is " + shown + "; the record is dropped");
    return std::nullopt;
  }
  if (!value->is_number()) {
    add_problem(problems, Severity::kError, "non_numeric_field", ref, field,
                key + " is not a number: " + json_brief(*value));
    return std::nullopt;
  }
  const double number = value->get<double>();
  if (integer && number != std::floor(number)) {
    add_problem(problems, Severity::kError, "non_numeric_field", ref, field,
                key + " is not an integer: " + json_brief(*value));
    return std::nullopt;
  }
  return number;
}

std::optional<double> json_number_field(const nlohmann::json& object, const char* key, const RecordRef& ref,
                                        const std::string& field_prefix, bool coordinate, bool integer,
                                        Problems& problems) {
  const auto it = object.find(key);
  return json_number(it == object.end() ? nullptr : &*it, key, ref, field_prefix + key, coordinate, integer,
                     problems);
}

std::optional<std::pair<int, int>> json_image_size(const nlohmann::json& object, const RecordRef& ref,
                                                   const std::string& field_prefix, Problems& problems) {
  if (!object.contains("width") && !object.contains("height")) return std::nullopt;
  Problems found;
  const auto width = json_number_field(object, "width", ref, field_prefix, false, true, found);
  const auto height = json_number_field(object, "height", ref, field_prefix, false, true, found);
  for (const auto& [key, value] : {std::pair("width", width), std::pair("height", height)}) {
    if (value && (*value < 0 || *value > 1e9)) {
      add_problem(found, Severity::kWarning, "invalid_image_size", ref, field_prefix + key,
                  std::string(key) + " is not a usable size: " + format_number(*value));
    }
  }
  for (Problem& problem : found) {
    problem.kind = "invalid_image_size";
    problem.severity = Severity::kWarning;
    problem.message += "; the size is probed from the image instead";
    problems.push_back(std::move(problem));
  }
  if (!found.empty() || !width || !height || *width == 0 || *height == 0) return std::nullopt;
  return std::pair(static_cast<int>(*width), static_cast<int>(*height));
}

bool json_flag(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return false;
  return (it->is_boolean() && it->get<bool>()) || (it->is_number() && it->get<double>() != 0);
}

std::string json_brief(const nlohmann::json& value) {
  constexpr std::size_t kMax = 60;
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

nlohmann::ordered_json json_pixel_value(double value) {
  if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
    return static_cast<std::int64_t>(value);
  }
  return value;
}

namespace {

bool is_uri(const std::string& ref) {
  return ref.find("://") != std::string::npos;
}

std::string normalised_absolute(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path, ec).lexically_normal().string() : canonical.string();
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> inode_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return std::pair<std::uint64_t, std::uint64_t>(info.st_dev, info.st_ino);
}

}  // namespace

InputFiles::InputFiles(const Dataset& dataset) {
  const auto add = [this](const std::string& path) {
    if (path.empty() || is_uri(path)) return;
    if (const auto inode = inode_of(path)) inodes_.insert(*inode);
    paths_.insert(normalised_absolute(path));
  };
  for (const Sample& sample : dataset.samples) {
    add(sample.image);
    add(sample.source.file);
  }
}

bool InputFiles::contains(const std::string& path) const {
  if (const auto inode = inode_of(path)) return inodes_.count(*inode) > 0;
  return paths_.count(normalised_absolute(path)) > 0;
}

Status InputFiles::check_writable(const std::string& path) const {
  if (!contains(path)) return Ok{};
  return Error{ErrorCode::kInvalidArgument,
               path +
                   ": refusing to write over an input file of the dataset (an image or a "
                   "dataset file it was read from)"};
}

Status check_dataset_for_writing(const Dataset& dataset) {
  const int label_count = static_cast<int>(dataset.labels.size());
  for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
    const Sample& sample = dataset.samples[sample_idx];
    for (std::size_t box_idx = 0; box_idx < sample.boxes.size(); ++box_idx) {
      const Box& box = sample.boxes[box_idx];
      const std::string where = sample.image + ": box " + std::to_string(box_idx);
      if (box.label < 0 || box.label >= label_count) {
        return Error{ErrorCode::kInvalidArgument, where + " has label " + std::to_string(box.label) +
                                                      " but the dataset has " + std::to_string(label_count) +
                                                      " labels"};
      }
      if (!std::isfinite(box.x0) || !std::isfinite(box.y0) || !std::isfinite(box.x1) ||
          !std::isfinite(box.y1)) {
        return Error{ErrorCode::kInvalidArgument, where + " has a non-finite coordinate"};
      }
    }
  }
  return Ok{};
}

void probe_missing_sizes(Dataset& dataset) {
  for (Sample& sample : dataset.samples) {
    if ((sample.width > 0 && sample.height > 0) || is_uri(sample.image)) continue;
    if (const auto size = size_for_writing(sample)) {
      sample.width = size->first;
      sample.height = size->second;
    }
  }
}

std::optional<std::pair<int, int>> size_for_writing(const Sample& sample) {
  if (sample.width > 0 && sample.height > 0) return std::pair(sample.width, sample.height);
  if (sample.image.empty() || is_uri(sample.image)) return std::nullopt;
  const auto info = imageio::probe_image_file(sample.image);
  if (!info || info->width() <= 0 || info->height() <= 0) return std::nullopt;
  return std::pair(info->width(), info->height());
}

std::vector<std::string> unique_stems(const Dataset& dataset) {
  std::vector<std::string> stems;
  stems.reserve(dataset.samples.size());
  std::set<std::string> used;
  for (const Sample& sample : dataset.samples) {
    const std::string name = sample.image.substr(sample.image.find_last_of('/') + 1);
    std::string stem = fs::path(name).stem().string();
    if (stem.empty()) stem = "image";
    std::string candidate = stem;
    for (int suffix = 1; used.count(to_lower(candidate)) > 0; ++suffix) {
      candidate = stem + "_" + std::to_string(suffix);
    }
    used.insert(to_lower(candidate));
    stems.push_back(std::move(candidate));
  }
  return stems;
}

PixelBox round_box(const Box& box) {
  return PixelBox{std::llround(box.x0), std::llround(box.y0), std::llround(box.x1), std::llround(box.y1)};
}

}  // namespace detail
}  // namespace logoscope::dataset
