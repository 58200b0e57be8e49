#include "dataset/image_copy.hpp"

#include <filesystem>
#include <map>
#include <set>

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
  std::set<std::string> used;                     // file names this copy wrote
  for (std::size_t i = 0; i < copied.samples.size(); ++i) {
    Sample& sample = copied.samples[i];
    auto known = target_of.find(sample.image);
    if (known == target_of.end()) {
      auto bytes = storage::read_file(sample.image);
      if (!bytes) return bytes.error();
      // The file's own name, else NAME_2.jpg, NAME_3.jpg, …: never one this copy already used,
      // nor one on disk with other bytes.
      std::string wanted = file_name(sample.image);
      if (wanted.empty()) wanted = "image";
      const fs::path wanted_path(wanted);
      std::string name = wanted;
      std::string target;
      bool already_there = false;  // the same bytes under that name: nothing to write
      for (int suffix = 2;; ++suffix) {
        target = (images_dir / name).string();
        if (used.count(name) == 0) {
          auto existing = read_binary_file(target);
          already_there = existing && *existing == *bytes;
          if (!existing || already_there) break;
        }
        name = fmt::format("{}_{}{}", wanted_path.stem().string(), suffix, wanted_path.extension().string());
      }
      used.insert(name);
      if (!already_there) {
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
