#include "dataset/split.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_map>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "core/paths.hpp"
#include "core/thread_pool.hpp"
#include "imageio/image_io.hpp"

namespace logoscope::dataset {

namespace {

// Groups samples that must stay together: same path, or same bytes when group_duplicates.
std::vector<std::vector<std::size_t>> group_samples(const Dataset& dataset, bool by_content) {
  std::vector<std::uint64_t> keys(dataset.samples.size());
  parallel_for(keys.size(), default_thread_count(), [&](std::size_t i) {
    const std::string& image = dataset.samples[i].image;
    keys[i] = fnv1a64(image) ^ 0x9e3779b97f4a7c15ULL;
    if (by_content && !is_s3_uri(image)) {
      auto bytes = imageio::read_file_bytes(image);
      if (bytes) keys[i] = fnv1a64(*bytes);
    }
  });
  // Union-find so that a path key and a content key both join groups.
  std::vector<std::size_t> parent(keys.size());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  std::unordered_map<std::uint64_t, std::size_t> first_by_key;
  std::unordered_map<std::string, std::size_t> first_by_path;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto [it, added] = first_by_key.emplace(keys[i], i);
    if (!added) parent[find(i)] = find(it->second);
    const auto [path_it, path_added] = first_by_path.emplace(dataset.samples[i].image, i);
    if (!path_added) parent[find(i)] = find(path_it->second);
  }
  std::unordered_map<std::size_t, std::size_t> group_of_root;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto [it, added] = group_of_root.emplace(find(i), groups.size());
    if (added) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

// Fisher–Yates with a fixed generator so the split is the same on every platform.
void seeded_shuffle(std::vector<std::size_t>& items, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = items.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace

Result<SplitResult> split_dataset(const Dataset& dataset, const SplitOptions& options) {
  if (!(options.test_fraction > 0.0 && options.test_fraction < 1.0)) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("test fraction must be between 0 and 1 (exclusive), got {}", options.test_fraction)};
  }
  if (dataset.samples.size() < 2) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("cannot split {} image(s): need at least 2", dataset.samples.size())};
  }
  const auto groups = group_samples(dataset, options.group_duplicates);
  const std::size_t label_count = dataset.labels.size();

  // Labels present in each group and images per label.
  std::vector<std::vector<int>> group_labels(groups.size());
  std::vector<std::int64_t> images_per_label(label_count, 0);
  std::int64_t background_images = 0;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const std::size_t sample_idx : groups[g]) {
      bool any = false;
      std::vector<bool> seen(label_count, false);
      for (const auto& box : dataset.samples[sample_idx].boxes) {
        if (box.label < 0 || static_cast<std::size_t>(box.label) >= label_count) continue;
        any = true;
        if (!seen[static_cast<std::size_t>(box.label)]) {
          seen[static_cast<std::size_t>(box.label)] = true;
          ++images_per_label[static_cast<std::size_t>(box.label)];
        }
      }
      if (!any) ++background_images;
      for (std::size_t label = 0; label < label_count; ++label) {
        if (seen[label]) group_labels[g].push_back(static_cast<int>(label));
      }
    }
    std::sort(group_labels[g].begin(), group_labels[g].end());
    group_labels[g].erase(std::unique(group_labels[g].begin(), group_labels[g].end()), group_labels[g].end());
  }

  auto target_for = [&](std::int64_t count) {
    auto target = static_cast<std::int64_t>(std::llround(options.test_fraction * static_cast<double>(count)));
    if (count >= 2) target = std::clamp<std::int64_t>(target, 1, count - 1);
    return target;
  };
  std::vector<std::int64_t> target(label_count);
  for (std::size_t label = 0; label < label_count; ++label) target[label] = target_for(images_per_label[label]);
  const std::int64_t background_target = target_for(background_images);

  // Rarest label first; ties in seeded random order.
  std::vector<std::size_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  seeded_shuffle(order, options.seed);
  auto rarity = [&](std::size_t g) {
    std::int64_t rarest = std::numeric_limits<std::int64_t>::max();
    for (const int label : group_labels[g]) rarest = std::min(rarest, images_per_label[static_cast<std::size_t>(label)]);
    return rarest;
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return rarity(a) < rarity(b); });

  std::vector<std::int64_t> in_test(label_count, 0);
  std::int64_t background_in_test = 0;
  std::int64_t images_in_test = 0;
  std::vector<bool> to_test(groups.size(), false);
  for (const std::size_t g : order) {
    bool assign = false;
    if (group_labels[g].empty()) {
      assign = background_in_test < background_target;
      if (assign) background_in_test += static_cast<std::int64_t>(groups[g].size());
    } else {
      int needed = 0;
      int full = 0;
      for (const int label : group_labels[g]) {
        if (in_test[static_cast<std::size_t>(label)] < target[static_cast<std::size_t>(label)]) ++needed; else ++full;
      }
      assign = needed > full;
      if (assign) {
        for (const int label : group_labels[g]) ++in_test[static_cast<std::size_t>(label)];
      }
    }
    if (assign) {
      to_test[g] = true;
      images_in_test += static_cast<std::int64_t>(groups[g].size());
    }
  }
  if (images_in_test == 0 || images_in_test == static_cast<std::int64_t>(dataset.samples.size())) {
    // Degenerate cases (e.g. one group only): move the smallest-index group to make both sides non-empty.
    if (groups.size() < 2) {
      return Error{ErrorCode::kInvalidArgument,
                   "all images are copies of one another: cannot put them on two sides"};
    }
    to_test[order.back()] = images_in_test == 0;
  }

  std::vector<bool> sample_in_test(dataset.samples.size(), false);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const std::size_t sample_idx : groups[g]) sample_in_test[sample_idx] = to_test[g];
  }
  SplitResult result;
  result.train.labels = dataset.labels;
  result.test.labels = dataset.labels;
  for (std::size_t i = 0; i < dataset.samples.size(); ++i) {
    (sample_in_test[i] ? result.test : result.train).samples.push_back(dataset.samples[i]);
  }
  return result;
}

}  // namespace logoscope::dataset
