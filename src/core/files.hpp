// core/files.hpp — whole-file reads and atomic writes, for every module that writes results.
//
// Thread safety: reentrant (temporary names are unique per process and call).
#pragma once

#include <string>
#include <string_view>

#include "logoscope/result.hpp"

namespace logoscope {

/// The whole file's bytes, unchanged. Errors: kNotFound (missing or a folder), kIo. Messages
/// name `path`.
Result<std::string> read_binary_file(const std::string& path);

/// The whole file (a leading UTF-8 byte order mark removed). Errors: kNotFound (missing or a
/// folder), kIo. Messages name `path`.
Result<std::string> read_text_file(const std::string& path);

/// A fresh sibling name for a temporary file next to `target` (same folder, so rename is atomic).
std::string temp_path_for(const std::string& target);

/// A file written under a temporary sibling name (`path()`) and renamed over `target` by keep();
/// removed when it goes out of scope without keep() (an error), and left under its temporary name
/// by a kill, so that `target` is always absent, the previous file, or whole. `keep_extension`:
/// the temporary name ends with target's extension (for writers that pick a format by it).
class PartialFile {
 public:
  explicit PartialFile(std::string target, bool keep_extension = false);
  ~PartialFile();
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] const std::string& target() const { return target_; }
  /// Renames path() over target. Errors: kIo naming the target.
  Status keep();

 private:
  std::string target_;
  std::string path_;
  bool kept_ = false;
};

/// Creates the parent folders, writes `content` to a temporary sibling and renames it over `path`,
/// so readers see the old file or the new one, never half of one. Errors: kIo naming the path.
Status write_file_atomically(const std::string& path, std::string_view content);

/// Refuses (kInvalidArgument, naming it) an output folder that exists and is not empty, unless
/// `overwrite`; it need not exist yet. Nothing is created.
Status check_output_folder(const std::string& dir, bool overwrite);

/// Creates a fresh, empty folder `PREFIX-XXXXXX` in the system's temporary folder (TMPDIR, else
/// /tmp) and returns its path; the caller removes it. Errors: kIo naming where it tried.
Result<std::string> make_temporary_folder(const std::string& prefix);

}  // namespace logoscope
