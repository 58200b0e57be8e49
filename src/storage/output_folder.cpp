#include "storage/output_folder.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "core/files.hpp"
#include "core/paths.hpp"
#include "core/thread_pool.hpp"
#include "storage/s3_uri.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope::storage {

OutputFolder::OutputFolder(std::string destination, std::string path, bool staged)
    : destination_(std::move(destination)), path_(std::move(path)), staged_(staged) {}

OutputFolder::OutputFolder(OutputFolder&& other) noexcept
    : destination_(std::move(other.destination_)), path_(std::move(other.path_)), staged_(other.staged_) {
  other.staged_ = false;
  other.path_.clear();
}

OutputFolder::~OutputFolder() {
  if (staged_ && !path_.empty()) {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
}

Result<OutputFolder> OutputFolder::open(const std::string& destination) {
  if (!is_s3_uri(destination)) return OutputFolder(destination, destination, false);
  if (auto location = parse_s3_uri(destination); !location) return location.error();
  auto staging = make_temporary_folder("logoscope-out");
  if (!staging) return Error{ErrorCode::kIo, fmt::format("{}: staging it locally: {}", destination, staging.error().message)};
  return OutputFolder(destination, *staging, true);
}

Status OutputFolder::publish(const std::vector<std::string>& last) {
  if (!staged_) return Ok{};
  auto files = storage_for(path_).list(path_);
  if (!files) return files.error();
  std::vector<std::string> first_round;
  std::vector<std::string> second_round;
  for (const auto& file : *files) {
    const std::string relative = fs::path(file.uri).lexically_relative(path_).generic_string();
    const bool is_last = std::find(last.begin(), last.end(), relative) != last.end();
    (is_last ? second_round : first_round).push_back(relative);
  }
  for (const auto* round : {&first_round, &second_round}) {
    std::vector<Status> results(round->size(), Ok{});
    parallel_for(round->size(), std::min<int>(8, static_cast<int>(round->size())), [&](std::size_t i) {
      const std::string& relative = (*round)[i];
      results[i] = storage_for(destination_).upload((fs::path(path_) / relative).string(), join(destination_, relative));
    });
    for (const auto& result : results) {
      if (!result) return result;
    }
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
  staged_ = false;
  return Ok{};
}

Status check_output_destination(const std::string& destination, bool overwrite, const std::string& option) {
  if (overwrite || !is_s3_uri(destination)) return Ok{};
  auto object = stat_file(destination);
  if (!object) return object.error();
  if (*object) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("{} {}: the object exists; choose another name, or add --overwrite to replace it", option,
                             destination)};
  }
  auto entries = list_files(destination);
  if (!entries) return entries.error();
  if (entries->empty()) return Ok{};
  return Error{ErrorCode::kInvalidArgument,
               fmt::format("{} {}: {} objects already lie under this prefix; choose a new prefix, or add --overwrite to "
                           "write into it (objects of the same name are replaced)",
                           option, destination, entries->size())};
}

}  // namespace logoscope::storage
