#include "core/input_set.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/paths.hpp"

namespace fs = std::filesystem;

namespace logoscope {

namespace {

std::string strip_trailing_slashes(std::string text) {
  while (text.size() > 1 && text.back() == '/' && text != "s3://") text.pop_back();
  return text;
}

std::string canonical_path(const fs::path& path) {
  std::error_code ec;
  // Absolute first: for a relative path whose first part does not exist, weakly_canonical keeps
  // it relative ("nope/../photos"), and it would never equal an input's key.
  auto canonical = fs::weakly_canonical(fs::absolute(path, ec), ec);
  if (ec) canonical = fs::absolute(path, ec).lexically_normal();
  return strip_trailing_slashes(canonical.string());
}

// True when `key` is `folder` or lies under it.
bool is_within(const std::string& key, const std::string& folder) {
  if (key == folder) return true;
  if (key.size() <= folder.size() || key.compare(0, folder.size(), folder) != 0) return false;
  return folder.back() == '/' || key[folder.size()] == '/';
}

}  // namespace

InputSet::InputSet(std::initializer_list<std::string> locations) {
  for (const auto& location : locations) add(location);
}

InputSet::InputSet(const std::vector<std::string>& locations) { add_all(locations); }

void InputSet::add_all(const std::vector<std::string>& locations) {
  for (const auto& location : locations) add(location);
}

void InputSet::add_folder_with(const std::string& folder, const std::vector<std::string>& files) {
  if (folder.empty()) return;
  add(folder);
  const std::string prefix = folder.back() == '/' ? folder : folder + "/";
  for (const auto& file : files) add(prefix + file);
}

std::string InputSet::key_for(const std::string& location) {
  if (is_s3_uri(location)) return strip_trailing_slashes(location);
  // Images of one folder share their folder's resolution (one canonical walk per folder, not per
  // file); add() still looks at each local file once to see whether it is a link.
  const fs::path normal = fs::path(strip_trailing_slashes(location)).lexically_normal();
  const std::string name = normal.filename().string();
  if (name.empty() || name == "." || name == "..") return canonical_path(normal);
  const std::string folder = normal.parent_path().string();
  auto found = canonical_folders_.find(folder);
  if (found == canonical_folders_.end()) {
    found = canonical_folders_.emplace(folder, canonical_path(folder.empty() ? fs::path(".") : fs::path(folder))).first;
  }
  return (fs::path(found->second) / name).string();
}

void InputSet::add(const std::string& location) {
  if (location.empty() || location == "-") return;
  const std::string key = key_for(location);
  keys_.push_back(key);
  originals_.push_back(location);
  // A file that is a link: the link itself and the file it names are both read.
  std::error_code ec;
  if (!is_s3_uri(location) && fs::is_symlink(fs::symlink_status(key, ec))) {
    keys_.push_back(canonical_path(key));
    originals_.push_back(location);
  }
}

Status InputSet::check_output(const std::string& out, const std::string& option) const {
  if (out.empty() || out == "-") return Ok{};
  const std::string out_key = is_s3_uri(out) ? strip_trailing_slashes(out) : canonical_path(fs::path(out));
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (!is_within(keys_[i], out_key)) continue;
    const bool same = keys_[i] == out_key;
    return Error{ErrorCode::kInvalidArgument,
                 same ? fmt::format("{} {} is one of the inputs: logoscope never modifies your files, even with "
                                    "--overwrite; choose another output",
                                    option, out)
                      : fmt::format("{} {} holds the input {}: logoscope never modifies your files, even with "
                                    "--overwrite, so it writes no output into a folder of inputs; choose another output",
                                    option, out, originals_[i])};
  }
  return Ok{};
}

}  // namespace logoscope
