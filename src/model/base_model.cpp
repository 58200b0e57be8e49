#include "model/base_model.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

#include "model/model_info.hpp"

namespace fs = std::filesystem;

namespace logoscope::model {

namespace {

bool is_model_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "model.json", ec) && fs::is_regular_file(dir / "weights.pt", ec);
}

std::vector<fs::path> candidate_dirs() {
  std::vector<fs::path> dirs;
  dirs.emplace_back(LOGOSCOPE_SOURCE_BASE_MODEL_DIR);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "logoscope" / "models" / "base");
  return dirs;
}

}  // namespace

std::optional<std::string> find_builtin_base_model(const std::string& architecture) {
  if (const char* env = std::getenv("LOGOSCOPE_BASE_MODEL"); env != nullptr) {
    const std::string value = env;
    if (value.empty() || value == "none") return std::nullopt;
    return value;  // an explicit choice: a wrong path must fail loudly where it is used
  }
  for (const auto& dir : candidate_dirs()) {
    if (architecture.empty()) {
      if (is_model_dir(dir)) return dir.string();
      continue;
    }
    // models/base when it is of that architecture, else models/base-ARCHITECTURE.
    for (const auto& folder : {dir, fs::path(dir.string() + "-" + architecture)}) {
      if (!is_model_dir(folder)) continue;
      auto info = read_model_info(folder.string());
      if (info && info->architecture == architecture) return folder.string();
    }
  }
  return std::nullopt;
}

std::string builtin_base_model_search_paths() {
  std::string text = "LOGOSCOPE_BASE_MODEL";
  for (const auto& dir : candidate_dirs()) text += ", " + dir.string();
  return text;
}

}  // namespace logoscope::model
