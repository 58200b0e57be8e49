#include "labeling/priority.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "infer/flip_fusion.hpp"

namespace logoscope::labeling {

namespace {

double threshold_of(const std::vector<double>& thresholds, int label) {
  if (label < 0 || static_cast<std::size_t>(label) >= thresholds.size()) return 0.5;
  return thresholds[static_cast<std::size_t>(label)];
}

std::string label_name(const std::vector<std::string>& labels, int label) {
  if (label < 0 || static_cast<std::size_t>(label) >= labels.size()) return fmt::format("label {}", label);
  return labels[static_cast<std::size_t>(label)];
}

int percent(double confidence) { return static_cast<int>(std::lround(confidence * 100.0)); }

enum class PoolState { kCandidate, kPicked, kNearDuplicate, kIneligible };

}  // namespace

PhotoPriority photo_priority(const PhotoEvidence& evidence, const std::vector<double>& thresholds,
                             const std::vector<bool>& original_only, double band) {
  if (!(band > 0 && band <= 1)) throw std::invalid_argument("photo_priority: band must be in (0, 1]");
  PhotoPriority priority;
  for (const auto& pair : infer::pair_flipped(evidence.original, evidence.mirrored, original_only)) {
    Finding finding;
    const Detection& seen = pair.original >= 0 ? evidence.original[static_cast<std::size_t>(pair.original)]
                                               : evidence.mirrored[static_cast<std::size_t>(pair.mirrored)];
    finding.label = seen.label;
    if (pair.original >= 0) finding.original = evidence.original[static_cast<std::size_t>(pair.original)].score;
    if (pair.mirrored >= 0) finding.mirrored = evidence.mirrored[static_cast<std::size_t>(pair.mirrored)].score;
    finding.fused = pair.original_only ? finding.original : 0.5 * (finding.original + finding.mirrored);
    const double threshold = threshold_of(thresholds, finding.label);
    finding.near = std::max(0.0, 1.0 - std::abs(finding.fused - threshold) / band);
    if (!pair.original_only && std::max(finding.original, finding.mirrored) >= threshold - band) {
      finding.disagreement = std::abs(finding.original - finding.mirrored);
    }
    if (finding.weight() <= 0) continue;
    priority.score += finding.weight();
    priority.findings.push_back(finding);
  }
  std::stable_sort(priority.findings.begin(), priority.findings.end(),
                   [](const Finding& a, const Finding& b) { return a.weight() > b.weight(); });
  return priority;
}

int hash_distance(std::uint64_t a, std::uint64_t b) { return std::popcount(a ^ b); }

Selection choose_next(const std::vector<PhotoPriority>& priorities, const std::vector<std::uint64_t>& pool_hashes,
                      const std::vector<std::uint64_t>& labeled_hashes, std::size_t count, int near_duplicate_bits,
                      const std::vector<bool>& eligible) {
  if (pool_hashes.size() != priorities.size()) {
    throw std::logic_error("choose_next: one hash per pool photo is required");
  }
  const std::size_t pool = priorities.size();
  std::vector<PoolState> state(pool, PoolState::kCandidate);
  std::vector<int> nearest(pool, 64);
  Selection selection;
  for (std::size_t i = 0; i < pool; ++i) {
    if (i < eligible.size() && !eligible[i]) {
      state[i] = PoolState::kIneligible;
      continue;
    }
    NearDuplicate closest{i, true, 0, 65};
    for (std::size_t l = 0; l < labeled_hashes.size(); ++l) {
      const int bits = hash_distance(pool_hashes[i], labeled_hashes[l]);
      nearest[i] = std::min(nearest[i], bits);
      if (bits < closest.bits) closest = {i, true, l, bits};
    }
    if (closest.bits <= near_duplicate_bits) {
      state[i] = PoolState::kNearDuplicate;
      selection.near_duplicates.push_back(closest);
    }
  }
  while (selection.picks.size() < count) {
    std::size_t best = pool;
    for (std::size_t i = 0; i < pool; ++i) {
      if (state[i] != PoolState::kCandidate) continue;
      if (best == pool || priorities[i].score > priorities[best].score ||
          (priorities[i].score == priorities[best].score && nearest[i] > nearest[best])) {
        best = i;
      }
    }
    if (best == pool) break;
    state[best] = PoolState::kPicked;
    selection.picks.push_back({best, priorities[best].score, nearest[best]});
    for (std::size_t i = 0; i < pool; ++i) {
      if (state[i] != PoolState::kCandidate) continue;
      const int bits = hash_distance(pool_hashes[i], pool_hashes[best]);
      if (bits <= near_duplicate_bits) {
        state[i] = PoolState::kNearDuplicate;
        selection.near_duplicates.push_back({i, false, best, bits});
      } else {
        nearest[i] = std::min(nearest[i], bits);
      }
    }
  }
  return selection;
}

std::string describe_pick(const PhotoPriority& priority, const Pick& pick, const std::vector<std::string>& labels,
                          const std::vector<double>& thresholds) {
  std::vector<std::string> clauses;
  std::vector<std::string> near;
  for (const auto& finding : priority.findings) {
    if (finding.near <= 0) continue;
    if (near.size() == 3) {
      near.emplace_back("…");
      break;
    }
    near.push_back(fmt::format("{} {} (threshold {})", label_name(labels, finding.label), percent(finding.fused),
                               percent(threshold_of(thresholds, finding.label))));
  }
  const auto near_count = std::count_if(priority.findings.begin(), priority.findings.end(),
                                        [](const Finding& f) { return f.near > 0; });
  if (near_count > 0) {
    clauses.push_back(fmt::format("{} near the threshold: {}", near_count == 1 ? std::string("a box")
                                                                               : fmt::format("{} boxes", near_count),
                                  fmt::join(near, ", ")));
  }
  const auto most = std::max_element(priority.findings.begin(), priority.findings.end(),
                                     [](const Finding& a, const Finding& b) { return a.disagreement < b.disagreement; });
  if (most != priority.findings.end() && most->disagreement >= kThresholdBand) {
    const bool photo_sees_more = most->original >= most->mirrored;
    const double less = std::min(most->original, most->mirrored);
    clauses.push_back(fmt::format("the mirror image disagrees: {} {} in the {}, {} in the {}",
                                  label_name(labels, most->label), percent(std::max(most->original, most->mirrored)),
                                  photo_sees_more ? "photo" : "mirror image",
                                  less > 0 ? fmt::format("{}", percent(less)) : std::string("nothing"),
                                  photo_sees_more ? "mirror image" : "photo"));
  }
  if (clauses.empty() && !priority.findings.empty()) {
    clauses.emplace_back("the two views differ a little");
  }
  if (clauses.empty()) {
    clauses.push_back(pick.nearest_bits >= 64
                          ? std::string("nothing doubtful found")
                          : fmt::format("nothing doubtful found; the least like the labeled photos and earlier picks "
                                        "({} of 64 hash bits from the nearest)",
                                        pick.nearest_bits));
  }
  return fmt::format("{}", fmt::join(clauses, "; "));
}

}  // namespace logoscope::labeling
