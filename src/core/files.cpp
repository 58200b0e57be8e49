#include "core/files.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include <unistd.h>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace logoscope {

Result<std::string> read_binary_file(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return Error{ErrorCode::kNotFound, path + ": no such file"};
  if (fs::is_directory(status)) return Error{ErrorCode::kNotFound, path + ": is a folder, not a file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::kIo, path + ": cannot open for reading"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Error{ErrorCode::kIo, path + ": read error"};
  return text;
}

Result<std::string> read_text_file(const std::string& path) {
  auto text = read_binary_file(path);
  if (text && text->rfind("\xEF\xBB\xBF", 0) == 0) text->erase(0, 3);
  return text;
}

std::string temp_path_for(const std::string& target) {
  static std::atomic<unsigned> counter{0};
  return target + ".logoscope-tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
}

PartialFile::PartialFile(std::string target, bool keep_extension) : target_(std::move(target)) {
  const fs::path as_path(target_);
  path_ = keep_extension && as_path.has_extension()
              ? temp_path_for((as_path.parent_path() / as_path.stem()).string()) + as_path.extension().string()
              : temp_path_for(target_);
}

PartialFile::~PartialFile() {
  std::error_code ignored;
  if (!kept_) fs::remove(path_, ignored);
}

Status PartialFile::keep() {
  std::error_code ec;
  fs::rename(path_, target_, ec);
  if (ec) return Error{ErrorCode::kIo, target_ + ": cannot replace it with the results: " + ec.message()};
  kept_ = true;
  return Ok{};
}

Status write_file_atomically(const std::string& path, std::string_view content) {
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return Error{ErrorCode::kIo, parent.string() + ": cannot create folder: " + ec.message()};
  const std::string temp = temp_path_for(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return Error{ErrorCode::kIo, path + ": cannot create " + temp};
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
      fs::remove(temp, ec);
      return Error{ErrorCode::kIo, path + ": write failed (disk full?)"};
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return Error{ErrorCode::kIo, path + ": cannot replace: " + ec.message()};
  }
  return Ok{};
}

Status check_output_folder(const std::string& dir, bool overwrite) {
  std::error_code error;
  if (overwrite || !std::filesystem::exists(dir, error)) return Ok{};
  if (std::filesystem::is_directory(dir, error) && std::filesystem::is_empty(dir, error)) return Ok{};
  return Error{ErrorCode::kInvalidArgument,
               dir + " already exists and is not an empty folder (--overwrite to write into it)"};
}

Result<std::string> make_temporary_folder(const std::string& prefix) {
  std::error_code ec;
  const fs::path parent = fs::temp_directory_path(ec);
  if (ec) return Error{ErrorCode::kIo, "cannot create a temporary folder: the temporary directory (TMPDIR) is unusable"};
  std::string pattern = (parent / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Error{ErrorCode::kIo, fmt::format("cannot create a temporary folder under {} (TMPDIR)", parent.string())};
  }
  return pattern;
}

}  // namespace logoscope
