#include "fuzz_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace logoscope::fuzz {

const std::string& process_folder() {
  static const std::string folder = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "logoscope-fuzz-XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    if (made == nullptr) std::abort();
    return std::string(made);
  }();
  return folder;
}

std::string write_input(const std::string& name, const std::uint8_t* data, std::size_t size) {
  const std::string path = process_folder() + "/" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();
  return path;
}

}  // namespace logoscope::fuzz
