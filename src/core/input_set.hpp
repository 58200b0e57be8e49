// core/input_set.hpp — every location a command reads, so that no output can land on one.
//
// "An input is never an output, even with --overwrite" (docs/cli.md) is one rule for every
// command: each collects what it reads (dataset files, list files, folders, images, models,
// reference logos, negatives; local paths and s3:// keys alike) into an InputSet and asks it about
// every output before writing anything.
//
// Thread safety: a plain value; const methods may be called from several threads.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include "logoscope/result.hpp"

namespace logoscope {

class InputSet {
 public:
  InputSet() = default;
  InputSet(std::initializer_list<std::string> locations);       // NOLINT(google-explicit-constructor)
  InputSet(const std::vector<std::string>& locations);          // NOLINT(google-explicit-constructor)

  /// Adds a file, folder, s3:// object or s3:// prefix that the command reads. Empty strings and
  /// "-" (standard input) are ignored. Local paths are compared after resolving symbolic links in
  /// their folders, so "a/../b/x.jpg" and a link to b/ name the same input.
  void add(const std::string& location);
  void add_all(const std::vector<std::string>& locations);
  /// Adds a folder and the named files in it (a model folder and the files its loader reads), so
  /// that no output replaces one of them either; other files in it (an earlier evaluation, an
  /// output of a previous run) are not inputs. Local folders and s3:// prefixes alike.
  void add_folder_with(const std::string& folder, const std::vector<std::string>& files);

  /// kInvalidArgument, naming `option`, `out` and the input, when `out` is one of the inputs or a
  /// folder (or s3:// prefix) that holds one: writing there could replace a file of the user's.
  /// An output inside an input folder is allowed (it replaces none of the inputs).
  [[nodiscard]] Status check_output(const std::string& out, const std::string& option) const;

 private:
  std::string key_for(const std::string& location);
  std::vector<std::string> keys_;       // comparable form: canonical local path or s3 URI, no trailing '/'
  std::vector<std::string> originals_;  // as the user wrote them, for messages
  std::unordered_map<std::string, std::string> canonical_folders_;  // folder as written -> canonical
};

}  // namespace logoscope
