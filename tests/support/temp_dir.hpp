// A folder under the system temp dir, removed when the object goes out of scope.
#pragma once

#include <string>

namespace logoscope::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  /// path()/name
  [[nodiscard]] std::string file(const std::string& name) const;
  /// Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace logoscope::testing
