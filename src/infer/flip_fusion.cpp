#include "infer/flip_fusion.hpp"

#include <algorithm>
#include <numeric>

#include "infer/nms.hpp"

namespace logoscope::infer {

namespace {

Detection halved(Detection d) {
  d.score *= 0.5F;
  return d;
}

Detection averaged(const Detection& a, const Detection& b) {
  const double wa = a.score;
  const double wb = b.score;
  auto mean = [&](double va, double vb) { return wa + wb > 0 ? (va * wa + vb * wb) / (wa + wb) : 0.5 * (va + vb); };
  Detection d;
  d.x0 = mean(a.x0, b.x0);
  d.y0 = mean(a.y0, b.y0);
  d.x1 = mean(a.x1, b.x1);
  d.y1 = mean(a.y1, b.y1);
  d.label = a.label;
  d.score = 0.5F * (a.score + b.score);
  return d;
}

}  // namespace

std::vector<Detection> unmirror_detections(std::vector<Detection> mirrored, double width) {
  for (auto& d : mirrored) {
    const double x0 = width - d.x1;
    const double x1 = width - d.x0;
    d.x0 = x0;
    d.x1 = x1;
  }
  return mirrored;
}

std::vector<FlipPair> pair_flipped(const std::vector<Detection>& original, const std::vector<Detection>& mirrored,
                                   const std::vector<bool>& original_only, double pair_iou) {
  auto alone = [&](int label) {
    return label >= 0 && static_cast<std::size_t>(label) < original_only.size() &&
           original_only[static_cast<std::size_t>(label)];
  };
  std::vector<std::size_t> order(original.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return original[a].score > original[b].score; });
  std::vector<bool> paired(mirrored.size(), false);
  std::vector<FlipPair> pairs;
  pairs.reserve(original.size() + mirrored.size());
  for (const std::size_t i : order) {
    const Detection& a = original[i];
    if (alone(a.label)) {
      pairs.push_back({static_cast<int>(i), -1, true});
      continue;
    }
    double best = pair_iou;
    std::size_t partner = mirrored.size();
    for (std::size_t j = 0; j < mirrored.size(); ++j) {
      if (paired[j] || mirrored[j].label != a.label) continue;  // (a's label is not original-only here)
      const double overlap = detection_iou(a, mirrored[j]);
      if (overlap >= best) {
        // Equal overlaps: the higher-scoring partner.
        if (overlap > best || partner == mirrored.size() || mirrored[j].score > mirrored[partner].score) partner = j;
        best = overlap;
      }
    }
    if (partner == mirrored.size()) {
      pairs.push_back({static_cast<int>(i), -1, false});
    } else {
      paired[partner] = true;
      pairs.push_back({static_cast<int>(i), static_cast<int>(partner), false});
    }
  }
  for (std::size_t j = 0; j < mirrored.size(); ++j) {
    if (!paired[j] && !alone(mirrored[j].label)) pairs.push_back({-1, static_cast<int>(j), false});
  }
  return pairs;
}

std::vector<Detection> fuse_flipped(const std::vector<Detection>& original, const std::vector<Detection>& mirrored,
                                    const std::vector<bool>& original_only, double pair_iou) {
  std::vector<Detection> fused;
  fused.reserve(original.size() + mirrored.size());
  for (const FlipPair& pair : pair_flipped(original, mirrored, original_only, pair_iou)) {
    const auto at = [](const std::vector<Detection>& list, int index) -> const Detection& {
      return list[static_cast<std::size_t>(index)];
    };
    if (pair.original_only) {
      fused.push_back(at(original, pair.original));
    } else if (pair.original >= 0 && pair.mirrored >= 0) {
      fused.push_back(averaged(at(original, pair.original), at(mirrored, pair.mirrored)));
    } else {
      fused.push_back(halved(pair.original >= 0 ? at(original, pair.original) : at(mirrored, pair.mirrored)));
    }
  }
  std::stable_sort(fused.begin(), fused.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return fused;
}

}  // namespace logoscope::infer
