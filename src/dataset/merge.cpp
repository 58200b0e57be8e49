#include "dataset/merge.hpp"

#include <filesystem>
#include <map>

#include "core/paths.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {

namespace {

std::string key_for(const std::string& ref) {
  if (is_s3_uri(ref)) return ref;
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(ref, ec), ec);
  return ec ? fs::path(ref).lexically_normal().string() : canonical.string();
}

}  // namespace

Dataset merge_datasets(const Dataset& base, const Dataset& patch, MergeSummary& summary, Problems& problems,
                       double duplicate_iou) {
  Dataset merged = base;
  std::map<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < merged.samples.size(); ++i) by_key.emplace(key_for(merged.samples[i].image), i);

  for (const Sample& patch_sample : patch.samples) {
    const auto it = by_key.find(key_for(patch_sample.image));
    if (it == by_key.end()) {
      ++summary.images_not_in_base;
      problems.push_back(Problem{Severity::kWarning, "image_not_in_base", patch_sample.source, "source-ref",
                                 patch_sample.image,
                                 "the dataset has no such image; its boxes were not added"});
      continue;
    }
    Sample& target = merged.samples[it->second];
    bool changed = false;
    for (const Box& patch_box : patch_sample.boxes) {
      Box box = patch_box;
      box.label = merged.intern_label(patch.labels.at(static_cast<std::size_t>(patch_box.label)));
      bool present = false;
      for (const Box& existing : target.boxes) {
        if (existing.label == box.label && box_iou(existing, box) >= duplicate_iou) present = true;
      }
      if (present) {
        ++summary.boxes_already_present;
        continue;
      }
      target.boxes.push_back(box);
      ++summary.boxes_added;
      changed = true;
    }
    if (changed) ++summary.images_changed;
  }
  return merged;
}

}  // namespace logoscope::dataset
