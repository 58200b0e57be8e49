#include "dataset/image_inputs.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <istream>
#include <map>
#include <utility>

#include <glob.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/paths.hpp"
#include "dataset/formats.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {

bool has_image_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".tif",
                                            ".tiff", ".gif", ".ppm", ".pgm", ".pnm", ".pbm"};
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

// Photo formats people keep next to their JPEGs that logoscope does not decode, with what to do.
const char* undecoded_photo_format(const std::string& ext) {
  static const std::pair<const char*, const char*> kFormats[] = {
      {".heic", "HEIC (convert to JPEG, e.g. heif-convert from Debian's libheif-examples)"},
      {".heif", "HEIF (convert to JPEG, e.g. heif-convert from Debian's libheif-examples)"},
      {".avif", "AVIF (convert to PNG or JPEG first)"},
      {".jxl", "JPEG XL (convert to PNG or JPEG first)"},
      {".svg", "SVG (a drawing: use it with train --reference, or render it to PNG)"},
      {".psd", "Photoshop (export to PNG or JPEG first)"},
      {".cr2", "camera raw (export to JPEG first)"},
      {".nef", "camera raw (export to JPEG first)"},
      {".dng", "camera raw (export to JPEG first)"},
      {".arw", "camera raw (export to JPEG first)"},
  };
  for (const auto& [known, text] : kFormats) {
    if (ext == known) return text;
  }
  return nullptr;
}

}  // namespace

FolderScan scan_image_folder(const std::string& folder) {
  FolderScan scan;
  std::map<std::string, std::size_t> skipped;  // extension -> files
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    const std::string path = it->path().string();
    if (has_image_extension(path)) {
      scan.images.push_back(path);
      continue;
    }
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') continue;  // .DS_Store, markers: nobody's photos
    ++skipped[lower_extension(path)];
  }
  std::sort(scan.images.begin(), scan.images.end());
  for (const auto& [ext, count] : skipped) {
    scan.skipped_count += count;
    const char* format = undecoded_photo_format(ext);
    const std::string what = format != nullptr ? std::string(format)
                                               : ext.empty() ? "no extension, not read as an image"
                                                             : "not an image format logoscope reads";
    scan.skipped.push_back(fmt::format("{} {} file{} ({})", count, ext.empty() ? "extension-less" : ext,
                                       count == 1 ? "" : "s", what));
  }
  return scan;
}

std::string describe_skipped(const FolderScan& scan) {
  if (scan.skipped.empty()) return "";
  return fmt::format("{} file{} that {} not read as images: {}", scan.skipped_count, scan.skipped_count == 1 ? "" : "s",
                     scan.skipped_count == 1 ? "is" : "are", fmt::join(scan.skipped, "; "));
}

namespace {

// A folder's images, saying what it skipped; an error when it holds none.
Result<std::vector<std::string>> folder_images(const std::string& folder) {
  auto scan = scan_image_folder(folder);
  const std::string skipped = describe_skipped(scan);
  if (scan.images.empty()) {
    return Error{ErrorCode::kNotFound, fmt::format("{}: no image in this folder ({})", folder,
                                                   skipped.empty() ? "it is empty" : "skipped " + skipped)};
  }
  if (!skipped.empty()) spdlog::warn("{}: skipped {}", folder, skipped);
  return std::move(scan.images);
}

// The images under an s3:// prefix, walked like a folder (every depth), in key order.
Result<std::vector<std::string>> s3_prefix_images(const std::string& prefix) {
  auto entries = storage::list_files(prefix);
  if (!entries) return entries.error();
  std::vector<std::string> images;
  for (const auto& entry : *entries) {
    if (has_image_extension(entry.uri)) images.push_back(entry.uri);
  }
  if (images.empty()) {
    return Error{ErrorCode::kNotFound,
                 fmt::format("{}: no image under this prefix ({} objects, none with an image extension)", prefix,
                             entries->size())};
  }
  return images;
}

}  // namespace

Result<std::vector<std::string>> expand_image_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const auto& input : inputs) {
    if (is_s3_uri(input)) {
      if (has_image_extension(input)) {
        paths.push_back(input);
        continue;
      }
      auto listed = s3_prefix_images(input);
      if (!listed) return listed.error();
      paths.insert(paths.end(), listed->begin(), listed->end());
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      auto found = folder_images(input);
      if (!found) return found.error();
      paths.insert(paths.end(), found->begin(), found->end());
      continue;
    }
    if (!fs::exists(input, ec)) return Error{ErrorCode::kNotFound, fmt::format("{}: no such file or folder", input)};
    const std::string ext = fs::path(input).extension().string();
    if (ext == ".txt" || ext == ".list") {
      std::ifstream in(input);
      std::string line;
      while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        paths.push_back(resolve_ref(line, parent_dir(input)));
      }
      continue;
    }
    paths.push_back(input);
  }
  return paths;
}

namespace {

// A folder's images; a folder with none is an input that names no image (the run goes on).
void append_folder_images(const std::string& folder, std::vector<ImageInput>& out) {
  auto found = folder_images(folder);
  if (!found) {
    out.push_back({folder, found.error()});
    return;
  }
  for (auto& path : *found) out.push_back({std::move(path), std::nullopt});
}

void append_lines(std::istream& in, const std::string& base_dir, std::vector<ImageInput>& out) {
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    out.push_back({base_dir.empty() ? line : resolve_ref(line, base_dir), std::nullopt});
  }
}

// The images a dataset file names, without probing their sizes.
Status append_dataset_images(const std::string& input, DatasetFormat format, Problems& problems,
                             std::vector<ImageInput>& out) {
  dataset::ReadOptions read_options;
  read_options.probe_missing_sizes = false;
  read_options.images_only = true;
  auto data = dataset::read_dataset(input, format, problems, read_options);
  if (!data) return data.error();
  for (const auto& sample : data->samples) out.push_back({sample.image, std::nullopt});
  return Ok{};
}

bool has_glob_characters(const std::string& text) {
  return text.find_first_of("*?[") != std::string::npos;
}

// glob(3) matches of `pattern`, sorted; empty when none.
std::vector<std::string> glob_matches(const std::string& pattern) {
  glob_t matches{};
  std::vector<std::string> paths;
  if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
  }
  ::globfree(&matches);
  return paths;
}

}  // namespace

Result<std::vector<ImageInput>> expand_detect_inputs(const std::vector<std::string>& inputs,
                                                     std::istream& stdin_stream, Problems& problems) {
  std::vector<ImageInput> out;
  for (const auto& input : inputs) {
    if (input == "-") {
      append_lines(stdin_stream, "", out);
      continue;
    }
    if (is_s3_uri(input)) {
      if (has_image_extension(input)) {
        out.push_back({input, std::nullopt});
        continue;
      }
      if (auto format = dataset::format_from_extension(input);
          format && (*format == DatasetFormat::kManifest || *format == DatasetFormat::kCoco)) {
        if (auto added = append_dataset_images(input, *format, problems, out); !added) return added.error();
        continue;
      }
      auto listed = s3_prefix_images(input);
      if (!listed) return listed.error();
      for (auto& uri : *listed) out.push_back({std::move(uri), std::nullopt});
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      append_folder_images(input, out);
      continue;
    }
    if (!fs::exists(input, ec)) {
      if (has_glob_characters(input)) {
        const auto matches = glob_matches(input);
        for (const auto& match : matches) {
          if (fs::is_directory(match, ec)) {
            append_folder_images(match, out);
          } else if (has_image_extension(match)) {
            out.push_back({match, std::nullopt});
          }
        }
        if (!matches.empty()) continue;
        out.push_back(
            {input, Error{ErrorCode::kNotFound, fmt::format("{}: no file matches this pattern", input)}});
        continue;
      }
      out.push_back({input, Error{ErrorCode::kNotFound, fmt::format("{}: no such file or folder", input)}});
      continue;
    }
    const std::string ext = lower_extension(input);
    if (ext == ".txt" || ext == ".list") {
      std::ifstream in(input);
      if (!in) return Error{ErrorCode::kIo, fmt::format("{}: cannot read this list of images", input)};
      append_lines(in, parent_dir(input), out);
      continue;
    }
    if (!has_image_extension(input)) {
      if (auto format = dataset::format_from_extension(input)) {
        if (auto added = append_dataset_images(input, *format, problems, out); !added) return added.error();
        continue;
      }
    }
    out.push_back({input, std::nullopt});
  }
  return out;
}

Result<double> parse_duration(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("\"{}\" is not a duration{}: use e.g. 300 (seconds), 90s, 5m, 5min, 1.5h or 1h30m", text, why)};
  };
  double total = 0;
  std::size_t i = 0;
  int parts = 0;
  const auto skip_spaces = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
  };
  skip_spaces();
  if (i == text.size()) return bad("");
  while (i < text.size()) {
    const std::size_t number_start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) ++i;
    if (i == number_start) return bad("");
    double value = 0;
    try {
      std::size_t used = 0;
      value = std::stod(text.substr(number_start, i - number_start), &used);
      if (used != i - number_start) return bad("");
    } catch (const std::exception&) {
      return bad("");
    }
    skip_spaces();
    const std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
    double multiplier = 0;
    if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") {
      multiplier = 1;
    } else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" || unit == "minutes") {
      multiplier = 60;
    } else if (unit == "h" || unit == "hr" || unit == "hrs" || unit == "hour" || unit == "hours") {
      multiplier = 3600;
    } else {
      return bad(fmt::format(" (unknown unit \"{}\")", unit));
    }
    if (unit.empty() && parts > 0) return bad("");
    total += value * multiplier;
    ++parts;
    skip_spaces();
  }
  if (!(total > 0)) return bad(" (it must be more than 0)");
  return total;
}

}  // namespace logoscope::dataset
