// YOLO (darknet / ultralytics) folders: images/, labels/ with one `class cx cy w h` line per box,
// class names from data.yaml, classes.txt or obj.names. Spec: docs/dataset-formats.md.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "core/files.hpp"
#include "core/paths.hpp"
#include "dataset/format_util.hpp"
#include "dataset/formats.hpp"
#include "imageio/image_io.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {
namespace {

using detail::add_problem;
using detail::RecordRef;

constexpr const char* kRemoteList = "remote_images.txt";

bool is_image_file(const std::string& path) {
  static const std::set<std::string> kExtensions{".jpg",  ".jpeg", ".jfif", ".png", ".bmp", ".webp", ".tif",
                                                 ".tiff", ".gif",  ".pnm", ".ppm", ".pgm",  ".pbm"};
  return kExtensions.count(detail::extension_of(path)) > 0;
}

// ---- the YAML subset of data.yaml ------------------------------------------------------------
// Top-level `key: value` pairs where a value is a scalar (plain, 'single' or "double" quoted), a
// flow list `[a, b]` or map `{0: a}` (which may span lines), or a block list (`- a`) or block map
// (`0: a`) on the following indented lines. Anything else (nested blocks, `download: |` scripts)
// is skipped, never an error.

struct YamlValue {
  enum class Kind { kScalar, kList, kMap };
  Kind kind = Kind::kScalar;
  std::string scalar;
  std::vector<std::string> items;
  std::vector<std::pair<std::string, std::string>> entries;
};
using YamlDocument = std::map<std::string, YamlValue>;

// A quote opens a quoted scalar only where a scalar may start (so McDonald's stays plain).
bool opens_quote(std::string_view text, std::size_t pos) {
  if (text[pos] != '\'' && text[pos] != '"') return false;
  if (pos == 0) return true;
  const char before = text[pos - 1];
  return before == ' ' || before == '\t' || before == '[' || before == '{' || before == ',' || before == ':';
}

// Calls visit(pos, c) for every character outside quoted scalars.
template <typename Visit>
void for_each_unquoted(std::string_view text, Visit visit) {
  char quote = 0;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++pos;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (opens_quote(text, pos)) {
      quote = c;
      continue;
    }
    if (!visit(pos, c)) return;
  }
}

std::string strip_comment(std::string_view line) {
  std::size_t end = line.size();
  for_each_unquoted(line, [&](std::size_t pos, char c) {
    if (c == '#' && (pos == 0 || line[pos - 1] == ' ' || line[pos - 1] == '\t')) {
      end = pos;
      return false;
    }
    return true;
  });
  return std::string(line.substr(0, end));
}

std::string unquote(std::string_view raw) {
  std::string text = detail::trim(raw);
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    std::string out;
    for (std::size_t pos = 1; pos + 1 < text.size(); ++pos) {
      out += text[pos];
      if (text[pos] == '\'' && text[pos + 1] == '\'') ++pos;
    }
    return out;
  }
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    std::string out;
    for (std::size_t pos = 1; pos + 1 < text.size(); ++pos) {
      if (text[pos] != '\\' || pos + 2 >= text.size()) {
        out += text[pos];
        continue;
      }
      const char escaped = text[++pos];
      out += escaped == 'n' ? '\n' : escaped == 't' ? '\t' : escaped;
    }
    return out;
  }
  return text;
}

// Position of the `:` that ends a mapping key (followed by a space or the end), or npos.
std::size_t key_colon(std::string_view line) {
  std::size_t found = std::string_view::npos;
  for_each_unquoted(line, [&](std::size_t pos, char c) {
    if (c == ':' && (pos + 1 == line.size() || line[pos + 1] == ' ' || line[pos + 1] == '\t')) {
      found = pos;
      return false;
    }
    return true;
  });
  return found;
}

int bracket_depth(std::string_view text) {
  int depth = 0;
  for_each_unquoted(text, [&](std::size_t, char c) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    return true;
  });
  return depth;
}

std::vector<std::string> split_flow(std::string_view inner) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for_each_unquoted(inner, [&](std::size_t pos, char c) {
    if (c == ',') {
      parts.push_back(detail::trim(inner.substr(start, pos - start)));
      start = pos + 1;
    }
    return true;
  });
  parts.push_back(detail::trim(inner.substr(start)));
  if (!parts.empty() && parts.back().empty()) parts.pop_back();
  return parts;
}

void parse_flow(const std::string& text, YamlValue& value) {
  const std::string inner = text.substr(1, text.size() >= 2 ? text.size() - 2 : 0);
  if (text.front() == '[') {
    value.kind = YamlValue::Kind::kList;
    for (const std::string& part : split_flow(inner)) value.items.push_back(unquote(part));
    return;
  }
  value.kind = YamlValue::Kind::kMap;
  for (const std::string& part : split_flow(inner)) {
    const std::size_t colon = key_colon(part);
    if (colon == std::string::npos) continue;
    value.entries.emplace_back(unquote(part.substr(0, colon)), unquote(part.substr(colon + 1)));
  }
}

YamlDocument parse_yaml_subset(std::string_view text) {
  YamlDocument document;
  const std::vector<std::string> lines = detail::split_lines(text);
  YamlValue* block = nullptr;  // the top-level key whose value continues on indented lines
  for (std::size_t index = 0; index < lines.size(); ++index) {
    const std::string line = strip_comment(lines[index]);
    const std::string content = detail::trim(line);
    if (content.empty() || content == "---" || content == "...") continue;
    const bool indented = line.front() == ' ' || line.front() == '\t';
    const bool list_item = content == "-" || content.rfind("- ", 0) == 0;
    if (block != nullptr && (indented || list_item)) {
      if (list_item) {
        block->kind = YamlValue::Kind::kList;
        block->items.push_back(unquote(content.substr(1)));
      } else if (const std::size_t colon = key_colon(content); colon != std::string::npos) {
        block->kind = YamlValue::Kind::kMap;
        block->entries.emplace_back(unquote(content.substr(0, colon)), unquote(content.substr(colon + 1)));
      }
      continue;
    }
    if (indented) continue;
    block = nullptr;
    const std::size_t colon = key_colon(line);
    if (colon == std::string::npos) continue;
    YamlValue& value = document[unquote(line.substr(0, colon))];
    value = YamlValue{};
    std::string rest = detail::trim(line.substr(colon + 1));
    if (rest.empty()) {
      block = &value;
    } else if (rest.front() == '[' || rest.front() == '{') {
      while (bracket_depth(rest) > 0 && index + 1 < lines.size()) {
        rest += " " + detail::trim(strip_comment(lines[++index]));
      }
      parse_flow(detail::trim(rest), value);
    } else {
      value.scalar = unquote(rest);
    }
  }
  return document;
}

bool parse_int(std::string_view text, long long& out) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

bool parse_double(std::string_view text, double& out) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

std::vector<std::string> split_whitespace(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
    if (pos > start) fields.emplace_back(line.substr(start, pos - start));
  }
  return fields;
}

// The ultralytics rule: the last "/images/" component becomes "/labels/" and the extension ".txt".
std::string label_path_for(const std::string& image) {
  std::string path = fs::path(image).generic_string();
  const std::size_t pos = path.rfind("/images/");
  if (pos != std::string::npos) {
    path.replace(pos, 8, "/labels/");
  } else if (path.rfind("images/", 0) == 0) {
    path.replace(0, 7, "labels/");
  }
  const std::size_t slash = path.find_last_of('/');
  const std::size_t dot = path.find_last_of('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) path.erase(dot);
  return path + ".txt";
}

std::string normalised(const std::string& path) {
  return fs::path(path).lexically_normal().generic_string();
}

struct ImageEntry {
  std::string key;    // the path the image has in the dataset (images/<name> for remote images)
  std::string image;  // local path or s3:// URI
  int width = 0;
  int height = 0;
};

// A normalised box as read from a label line, before the image size is known.
struct PendingBox {
  int line = 0;
  int label = 0;
  double cx = 0, cy = 0, w = 0, h = 0;
};

class YoloReader {
 public:
  YoloReader(const std::string& path, Problems& problems, const ReadOptions& options)
      : path_(path), problems_(problems), options_(options) {}

  Result<Dataset> read() {
    std::error_code ec;
    if (fs::is_directory(path_, ec)) {
      for (const char* name : {"data.yaml", "data.yml"}) {
        const fs::path yaml = fs::path(path_) / name;
        if (fs::is_regular_file(yaml, ec)) return read_yaml(yaml.string());
      }
      root_ = path_;
      const fs::path images = fs::path(path_) / "images";
      if (!fs::is_directory(images, ec)) {
        return Error{ErrorCode::kNotFound,
                     path_ + ": not a YOLO folder (no images/ folder and no data.yaml)"};
      }
      scan_folder(images.string());
      read_names_files();
      return finish();
    }
    return read_yaml(path_);
  }

 private:
  Result<Dataset> read_yaml(const std::string& yaml_path) {
    auto text = detail::read_text_file(yaml_path);
    if (!text) return text.error();
    const YamlDocument document = parse_yaml_subset(*text);
    const bool has_key = std::any_of(document.begin(), document.end(), [](const auto& entry) {
      return entry.first == "names" || entry.first == "nc" || entry.first == "train" ||
             entry.first == "val" || entry.first == "test" || entry.first == "path";
    });
    if (!has_key) {
      return Error{ErrorCode::kParse,
                   yaml_path + ": not a YOLO data.yaml (none of path, train, val, test, names, nc)"};
    }
    const std::string yaml_dir = parent_dir(yaml_path);
    root_ = yaml_dir;
    std::error_code ec;
    if (const auto path = document.find("path"); path != document.end() && !path->second.scalar.empty()) {
      const std::string root = resolve_ref(path->second.scalar, yaml_dir);
      // A dataset folder that was moved keeps an absolute `path` that no longer exists.
      if (fs::is_directory(root, ec)) root_ = root;
    }
    bool any_split = false;
    for (const char* split : {"train", "val", "test"}) {
      const auto value = document.find(split);
      if (value == document.end()) continue;
      any_split = true;
      std::vector<std::string> sources = value->second.items;
      if (value->second.kind == YamlValue::Kind::kScalar && !value->second.scalar.empty()) {
        sources.push_back(value->second.scalar);
      }
      for (const std::string& source : sources) {
        add_source(resolve_ref(source, root_), split, yaml_path);
      }
    }
    if (!any_split && fs::is_directory(fs::path(root_) / "images", ec)) {
      scan_folder((fs::path(root_) / "images").string());
    }
    if (const auto names = document.find("names"); names != document.end()) {
      read_yaml_names(names->second, yaml_path);
    }
    if (!names_) {
      if (const auto nc = document.find("nc"); nc != document.end()) {
        long long count = 0;
        if (parse_int(nc->second.scalar, count) && count >= 0 && count < 100000) {
          names_.emplace();
          for (int id = 0; id < count; ++id) (*names_)[id] = std::to_string(id);
        }
      }
    }
    read_names_files();
    return finish();
  }

  void read_yaml_names(const YamlValue& value, const std::string& yaml_path) {
    const RecordRef ref{yaml_path, 0, ""};
    std::map<int, std::string> names;
    if (value.kind == YamlValue::Kind::kList) {
      for (std::size_t id = 0; id < value.items.size(); ++id) {
        names[static_cast<int>(id)] = value.items[id];
      }
    } else if (value.kind == YamlValue::Kind::kMap) {
      for (const auto& [key, name] : value.entries) {
        long long id = 0;
        if (!parse_int(key, id) || id < 0 || id > 1000000) {
          add_problem(problems_, Severity::kError, "invalid_record", ref, "names." + key,
                      "class id " + detail::quoted(key) + " in names is not a non-negative integer; ignored");
          continue;
        }
        names[static_cast<int>(id)] = name;
      }
    } else {
      add_problem(problems_, Severity::kError, "invalid_record", ref, "names",
                  "names is neither a list nor a map: " + detail::quoted(value.scalar) + "; ignored");
      return;
    }
    names_ = std::move(names);
  }

  void read_names_files() {
    if (names_) return;
    for (const fs::path& dir : {fs::path(root_), fs::path(root_) / "labels"}) {
      for (const char* name : {"classes.txt", "obj.names"}) {
        const auto text = detail::read_text_file((dir / name).string());
        if (!text) continue;
        std::vector<std::string> lines = detail::split_lines(*text);
        for (std::string& line : lines) line = detail::trim(line);
        while (!lines.empty() && lines.back().empty()) lines.pop_back();
        names_.emplace();
        for (std::size_t id = 0; id < lines.size(); ++id) {
          (*names_)[static_cast<int>(id)] = lines[id].empty() ? std::to_string(id) : lines[id];
        }
        names_file_ = (dir / name).string();
        return;
      }
    }
  }

  void add_source(const std::string& source, const char* split, const std::string& yaml_path) {
    std::error_code ec;
    if (fs::is_directory(source, ec)) {
      scan_folder(source);
    } else if (fs::is_regular_file(source, ec) && detail::extension_of(source) == ".txt") {
      const auto text = detail::read_text_file(source);
      if (!text) return;
      for (const std::string& line : detail::split_lines(*text)) {
        const std::string entry = detail::trim(line);
        if (!entry.empty()) add_image(resolve_ref(entry, parent_dir(source)));
      }
    } else if (fs::is_regular_file(source, ec) && is_image_file(source)) {
      add_image(source);
    } else {
      add_problem(problems_, Severity::kWarning, "missing_split", RecordRef{yaml_path, 0, ""}, split,
                  std::string(split) + ": " + source + " does not exist; no images read from it");
    }
  }

  void scan_folder(const std::string& dir) {
    std::error_code ec;
    std::vector<std::string> found;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && is_image_file(it->path().string())) {
        found.push_back(it->path().string());
      }
    }
    for (const std::string& image : found) add_image(image);
    // Only a separate labels/ twin is searched for orphans: darknet-style folders keep other
    // .txt files (split lists) beside the images.
    const std::string labels =
        normalised(fs::path(label_path_for((fs::path(dir) / "x").string())).parent_path().string());
    if (labels != normalised(dir)) label_dirs_.insert(labels);
  }

  void add_image(const std::string& image) {
    const std::string key = normalised(image);
    if (!seen_.insert(key).second) return;
    entries_.push_back(ImageEntry{key, image, 0, 0});
  }

  // remote_images.txt (written by write_yolo): "<name>\t<width>\t<height>\t<uri>" per line.
  void read_remote_list() {
    const std::string list = (fs::path(root_) / kRemoteList).string();
    const auto text = detail::read_text_file(list);
    if (!text) return;
    const std::vector<std::string> lines = detail::split_lines(*text);
    for (std::size_t index = 0; index < lines.size(); ++index) {
      if (detail::trim(lines[index]).empty()) continue;
      std::vector<std::string> fields;
      std::size_t start = 0;
      for (int field = 0; field < 3; ++field) {
        const std::size_t tab = lines[index].find('\t', start);
        if (tab == std::string::npos) break;
        fields.push_back(lines[index].substr(start, tab - start));
        start = tab + 1;
      }
      long long width = 0;
      long long height = 0;
      if (fields.size() != 3 || !parse_int(fields[1], width) || !parse_int(fields[2], height)) {
        add_problem(problems_, Severity::kError, "wrong_field_count",
                    RecordRef{list, static_cast<int>(index) + 1, ""}, "",
                    "expected <name> TAB <width> TAB <height> TAB <uri>, found " +
                        detail::quoted(lines[index]) + "; skipped");
        continue;
      }
      const std::string key = normalised((fs::path(root_) / "images" / fields[0]).string());
      if (!seen_.insert(key).second) continue;
      entries_.push_back(
          ImageEntry{key, lines[index].substr(start), static_cast<int>(width), static_cast<int>(height)});
    }
  }

  // Label index for a class id, or -1 (reported) when the names do not define it.
  int label_for(long long id, const RecordRef& ref) {
    if (names_) {
      const auto found =
          id >= 0 && id <= 1000000 ? class_labels_.find(static_cast<int>(id)) : class_labels_.end();
      if (found != class_labels_.end()) return found->second;
      add_problem(problems_, Severity::kError, "unknown_class_id", ref, "class",
                  "class " + std::to_string(id) + " is out of range (" + std::to_string(names_->size()) +
                      " class names" + (names_file_.empty() ? "" : " in " + names_file_) +
                      "); the box is dropped");
      return -1;
    }
    if (id < 0 || id > 1000000) {
      add_problem(problems_, Severity::kError, "unknown_class_id", ref, "class",
                  "class " + std::to_string(id) + " is not a valid class id; the box is dropped");
      return -1;
    }
    return dataset_.intern_label(std::to_string(id));
  }

  std::optional<PendingBox> parse_line(const std::string& line, int line_number, const RecordRef& ref_in) {
    RecordRef ref = ref_in;
    ref.line = line_number;
    const std::vector<std::string> fields = split_whitespace(line);
    if (fields.size() != 5) {
      add_problem(problems_, Severity::kError, "wrong_field_count", ref, "",
                  "expected 5 fields (class cx cy w h), found " + std::to_string(fields.size()) + ": " +
                      detail::quoted(detail::trim(line)) + "; the line is dropped");
      return std::nullopt;
    }
    long long id = 0;
    if (!parse_int(fields[0], id)) {
      add_problem(problems_, Severity::kError, "non_numeric_field", ref, "class",
                  "class " + detail::quoted(fields[0]) + " is not an integer; the line is dropped");
      return std::nullopt;
    }
    static constexpr const char* kNames[] = {"cx", "cy", "w", "h"};
    double values[4] = {};
    for (std::size_t index = 0; index < 4; ++index) {
      if (!parse_double(fields[index + 1], values[index])) {
        add_problem(problems_, Severity::kError, "non_numeric_field", ref, kNames[index],
                    std::string(kNames[index]) + " " + detail::quoted(fields[index + 1]) +
                        " is not a number; the line is dropped");
        return std::nullopt;
      }
    }
    if (!detail::check_finite({{"cx", values[0]}, {"cy", values[1]}, {"w", values[2]}, {"h", values[3]}}, ref,
                              "", problems_)) {
      return std::nullopt;
    }
    const int label = label_for(id, ref);
    if (label < 0) return std::nullopt;
    for (std::size_t index = 0; index < 4; ++index) {
      if (values[index] >= 0 && values[index] <= 1) continue;
      add_problem(problems_, Severity::kWarning, "value_out_of_range", ref, kNames[index],
                  std::string(kNames[index]) + " " + detail::format_number(values[index]) +
                      " is outside [0, 1]; the box is kept as written");
    }
    return PendingBox{line_number, label, values[0], values[1], values[2], values[3]};
  }

  void read_entry(const ImageEntry& entry) {
    Sample sample;
    sample.image = entry.image;
    sample.width = entry.width;
    sample.height = entry.height;
    const std::string label_file = label_path_for(entry.key);
    sample.source = SourceLocation{label_file, 0};
    used_labels_.insert(normalised(label_file));
    const RecordRef ref{label_file, 0, sample.image};

    std::vector<PendingBox> pending;
    if (const auto text = detail::read_text_file(label_file)) {
      const std::vector<std::string> lines = detail::split_lines(*text);
      for (std::size_t index = 0; index < lines.size(); ++index) {
        if (detail::trim(lines[index]).empty()) continue;
        if (auto box = parse_line(lines[index], static_cast<int>(index) + 1, ref)) {
          pending.push_back(*box);
        }
      }
    }
    const bool needs_size = !pending.empty() || options_.probe_missing_sizes;
    std::string probe_error;
    if (needs_size && (sample.width <= 0 || sample.height <= 0) && !is_s3_uri(sample.image)) {
      const auto info = imageio::probe_image_file(sample.image);
      if (info) {
        sample.width = info->width();
        sample.height = info->height();
      } else {
        probe_error = info.error().message;
      }
    }
    if (!pending.empty() && (sample.width <= 0 || sample.height <= 0)) {
      add_problem(problems_, Severity::kError, "unknown_image_size", ref, "",
                  "the image size is needed to de-normalise YOLO boxes but is unknown (" +
                      (probe_error.empty() ? std::string("no size recorded") : probe_error) + "); " +
                      std::to_string(pending.size()) + " box(es) dropped");
      pending.clear();
    }
    for (const PendingBox& pending_box : pending) {
      const double width = sample.width;
      const double height = sample.height;
      Box box;
      box.x0 = (pending_box.cx - pending_box.w / 2) * width;
      box.x1 = (pending_box.cx + pending_box.w / 2) * width;
      box.y0 = (pending_box.cy - pending_box.h / 2) * height;
      box.y1 = (pending_box.cy + pending_box.h / 2) * height;
      box.label = pending_box.label;
      detail::check_box_shape(box, RecordRef{label_file, pending_box.line, sample.image}, "", problems_);
      sample.boxes.push_back(box);
    }
    dataset_.samples.push_back(std::move(sample));
  }

  void report_orphan_labels() {
    for (const std::string& dir : label_dirs_) {
      std::error_code ec;
      std::vector<std::string> orphans;
      for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string file = it->path().string();
        if (!it->is_regular_file(ec) || detail::extension_of(file) != ".txt") continue;
        const std::string name = it->path().filename().string();
        if (name == "classes.txt" || used_labels_.count(normalised(file)) > 0) continue;
        orphans.push_back(file);
      }
      std::sort(orphans.begin(), orphans.end());
      for (const std::string& file : orphans) {
        add_problem(problems_, Severity::kWarning, "label_without_image", RecordRef{file, 0, ""}, "",
                    "label file has no matching image under images/; ignored");
      }
    }
  }

  Result<Dataset> finish() {
    read_remote_list();
    if (names_) {
      for (const auto& [id, name] : *names_) class_labels_[id] = dataset_.intern_label(name);
    } else {
      add_problem(problems_, Severity::kWarning, "missing_class_names", RecordRef{path_, 0, ""}, "names",
                  "no class names (data.yaml names, classes.txt or obj.names); labels are named "
                  "by their class id");
    }
    std::sort(entries_.begin(), entries_.end(),
              [](const ImageEntry& a, const ImageEntry& b) { return a.key < b.key; });
    for (const ImageEntry& entry : entries_) read_entry(entry);
    report_orphan_labels();
    return std::move(dataset_);
  }

  const std::string& path_;
  Problems& problems_;
  const ReadOptions& options_;
  std::string root_;
  Dataset dataset_;
  std::optional<std::map<int, std::string>> names_;
  std::string names_file_;
  std::map<int, int> class_labels_;
  std::vector<ImageEntry> entries_;
  std::set<std::string> seen_;
  std::set<std::string> label_dirs_;
  std::set<std::string> used_labels_;
};

// ---- writing ---------------------------------------------------------------------------------

// A YAML scalar: plain when unambiguous, else double-quoted.
std::string yaml_scalar(const std::string& text) {
  static const std::set<std::string> kSpecial{"y",   "n",    "yes",   "no",   "on",
                                              "off", "true", "false", "null", "~"};
  bool plain = !text.empty() &&
               (std::isalpha(static_cast<unsigned char>(text.front())) || text.front() == '/' ||
                text.front() == '_') &&
               text.back() != ' ' && kSpecial.count(detail::to_lower(text)) == 0;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != ' ' &&
        c != '/') {
      plain = false;
    }
  }
  if (plain) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string format_label_line(int label, double cx, double cy, double w, double h) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "%d %.6f %.6f %.6f %.6f\n", label, cx, cy, w, h);
  return buffer;
}

// Puts `image` at `target` as a symlink (or a copy), replacing what is there atomically.
Status place_image(const std::string& image, const std::string& target, bool copy) {
  std::error_code ec;
  fs::create_directories(fs::path(target).parent_path(), ec);
  const std::string temp = logoscope::temp_path_for(target);
  if (!copy) {
    fs::create_symlink(fs::absolute(image, ec).lexically_normal(), temp, ec);
    if (!ec) {
      fs::rename(temp, target, ec);
      if (!ec) return Ok{};
    }
    std::error_code ignored;
    fs::remove(temp, ignored);
  }
  fs::copy_file(image, temp, ec);
  if (!ec) fs::rename(temp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return Error{ErrorCode::kIo, target + ": cannot copy " + image + " there: " + ec.message()};
  }
  return Ok{};
}

bool same_existing_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

}  // namespace

Result<Dataset> read_yolo(const std::string& path, Problems& problems, const ReadOptions& options) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return Error{ErrorCode::kNotFound, path + ": no such file or folder"};
  return YoloReader(path, problems, options).read();
}

Status write_yolo(const Dataset& dataset, const std::string& path, const WriteOptions& options) {
  if (auto valid = detail::check_dataset_for_writing(dataset); !valid) return valid;
  for (const std::string& name : dataset.labels) {
    if (name.empty() || name.find_first_of("\r\n") != std::string::npos) {
      return Error{ErrorCode::kInvalidArgument,
                   "label " + detail::quoted(name) +
                       " cannot be written to classes.txt (empty or holds a line break)"};
    }
  }
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    return Error{ErrorCode::kInvalidArgument, path + ": is a file; a YOLO dataset is a folder"};
  }
  const fs::path out(path);
  const detail::InputFiles inputs(dataset);
  const std::vector<std::string> stems = detail::unique_stems(dataset);

  struct Planned {
    std::string label_file;
    std::string image_name;  // under images/
    std::string labels;      // file content
    bool place = false;      // local image to link or copy
  };
  std::vector<Planned> plan(dataset.samples.size());
  std::string remote_list;
  for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
    const Sample& sample = dataset.samples[sample_idx];
    Planned& planned = plan[sample_idx];
    const std::string name = sample.image.substr(sample.image.find_last_of('/') + 1);
    planned.image_name = stems[sample_idx] + fs::path(name).extension().string();
    planned.label_file = (out / "labels" / (stems[sample_idx] + ".txt")).string();
    if (auto writable = inputs.check_writable(planned.label_file); !writable) return writable;
    const bool remote = sample.image.find("://") != std::string::npos;
    const auto size = detail::size_for_writing(sample);
    if (!remote && !fs::is_regular_file(sample.image, ec)) {
      return Error{ErrorCode::kNotFound, sample.image + ": image not found; a YOLO folder needs every image"};
    }
    if (!sample.boxes.empty() && !size) {
      return Error{ErrorCode::kInvalidValue,
                   sample.image +
                       ": image size unknown (not recorded and the header cannot be "
                       "read); YOLO boxes are normalised to it"};
    }
    for (const Box& box : sample.boxes) {
      const double width = size->first;
      const double height = size->second;
      planned.labels +=
          format_label_line(box.label, (box.x0 + box.x1) / 2 / width, (box.y0 + box.y1) / 2 / height,
                            box.width() / width, box.height() / height);
    }
    if (remote) {
      remote_list += planned.image_name + "\t" + std::to_string(size ? size->first : 0) + "\t" +
                     std::to_string(size ? size->second : 0) + "\t" + sample.image + "\n";
      continue;
    }
    const std::string target = (out / "images" / planned.image_name).string();
    const bool is_link = fs::is_symlink(target, ec);
    if (!is_link && same_existing_file(target, sample.image)) continue;  // the image itself
    if (!is_link && inputs.contains(target)) {
      return Error{ErrorCode::kInvalidArgument, target + ": refusing to replace an image of the dataset"};
    }
    planned.place = true;
  }
  const std::string yaml_file = (out / "data.yaml").string();
  const std::string classes_file = (out / "classes.txt").string();
  const std::string remote_file = (out / kRemoteList).string();
  for (const std::string& file : {yaml_file, classes_file, remote_file}) {
    if (auto writable = inputs.check_writable(file); !writable) return writable;
  }

  for (std::size_t sample_idx = 0; sample_idx < dataset.samples.size(); ++sample_idx) {
    const Planned& planned = plan[sample_idx];
    if (auto written = detail::write_file_atomic(planned.label_file, planned.labels); !written) {
      return written;
    }
    if (!planned.place) continue;
    if (auto placed = place_image(dataset.samples[sample_idx].image,
                                  (out / "images" / planned.image_name).string(), options.copy_images);
        !placed) {
      return placed;
    }
  }
  if (!remote_list.empty()) {
    if (auto written = detail::write_file_atomic(remote_file, remote_list); !written) return written;
  } else {
    fs::remove(remote_file, ec);
  }
  std::string classes;
  std::string yaml = "# YOLO dataset written by logoscope. val repeats train: no split was made.\n";
  yaml += "path: " + yaml_scalar(fs::absolute(out, ec).lexically_normal().generic_string()) + "\n";
  yaml += "train: images\nval: images\n";
  yaml += "nc: " + std::to_string(dataset.labels.size()) + "\nnames:\n";
  for (const std::string& name : dataset.labels) {
    yaml += "  - " + yaml_scalar(name) + "\n";
    classes += name + "\n";
  }
  if (dataset.labels.empty()) yaml.replace(yaml.size() - 1, 1, " []\n");
  if (auto written = detail::write_file_atomic(classes_file, classes); !written) return written;
  return detail::write_file_atomic(yaml_file, yaml);
}

}  // namespace logoscope::dataset
