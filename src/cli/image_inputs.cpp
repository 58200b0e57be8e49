#include "cli/image_inputs.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/paths.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

bool has_image_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".bmp", ".tif",
                                            ".tiff", ".gif", ".ppm", ".pgm", ".pnm", ".pbm"};
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* e) { return ext == e; });
}

Result<std::vector<std::string>> expand_image_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> paths;
  for (const auto& input : inputs) {
    if (is_s3_uri(input)) {
      paths.push_back(input);
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied, ec);
           it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->is_regular_file(ec) && has_image_extension(it->path().string())) found.push_back(it->path().string());
      }
      std::sort(found.begin(), found.end());
      paths.insert(paths.end(), found.begin(), found.end());
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

Result<double> parse_duration(const std::string& text) {
  if (text.empty()) return Error{ErrorCode::kInvalidArgument, "empty duration"};
  double multiplier = 1;
  std::string number = text;
  switch (text.back()) {
    case 's': number.pop_back(); break;
    case 'm': multiplier = 60; number.pop_back(); break;
    case 'h': multiplier = 3600; number.pop_back(); break;
    default: break;
  }
  try {
    std::size_t used = 0;
    const double value = std::stod(number, &used);
    if (used != number.size() || !(value > 0)) throw std::invalid_argument(text);
    return value * multiplier;
  } catch (const std::exception&) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("\"{}\" is not a duration: use e.g. 300, 300s, 5m or 1.5h", text)};
  }
}

}  // namespace logoscope::cli
