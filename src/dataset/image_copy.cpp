#include "dataset/image_copy.hpp"

#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "core/files.hpp"
#include "storage/storage.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {

namespace {

// The file name part of a path or an s3:// key.
std::string file_name(const std::string& ref) {
  const auto slash = ref.find_last_of('/');
  return slash == std::string::npos ? ref : ref.substr(slash + 1);
}

}  // namespace

Result<Dataset> copy_dataset_images(const Dataset& data, const std::string& folder,
                                    const std::function<void(std::size_t, std::size_t)>& on_copied) {
  Dataset copied = data;
  const fs::path images_dir = fs::path(folder) / "images";
  std::map<std::string, std::string> target_of;  // source -> copy: an image listed twice is copied once
  std::map<std::string, int> used;                // file names taken
  for (std::size_t i = 0; i < copied.samples.size(); ++i) {
    Sample& sample = copied.samples[i];
    auto known = target_of.find(sample.image);
    if (known == target_of.end()) {
      std::string name = file_name(sample.image);
      if (name.empty()) name = "image";
      const int count = ++used[name];
      if (count > 1) {
        const fs::path path(name);
        name = fmt::format("{}_{}{}", path.stem().string(), count, path.extension().string());
      }
      auto bytes = storage::read_file(sample.image);
      if (!bytes) return bytes.error();
      const std::string target = (images_dir / name).string();
      auto existing = read_binary_file(target);
      if (!existing || *existing != *bytes) {
        if (auto written = write_file_atomically(target, *bytes); !written) return written.error();
      }
      known = target_of.emplace(sample.image, target).first;
    }
    sample.image = known->second;
    if (on_copied) on_copied(i + 1, copied.samples.size());
  }
  return copied;
}

}  // namespace logoscope::dataset
