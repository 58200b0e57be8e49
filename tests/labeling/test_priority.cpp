// Which photo to label next: the priority of one photo from its two views, the greedy choice with
// near-duplicates left out, and the reason in words.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "labeling/priority.hpp"

namespace logoscope::labeling {
namespace {

Detection box(double x0, float score, int label = 0) { return {x0, 10, x0 + 40, 50, label, score}; }

PhotoPriority priority_of(std::vector<Detection> original, std::vector<Detection> mirrored,
                          const std::vector<double>& thresholds = {0.5}, const std::vector<bool>& original_only = {}) {
  return photo_priority({std::move(original), std::move(mirrored)}, thresholds, original_only);
}

TEST(LabelingPriority, ABoxAtTheThresholdOutranksConfidentBoxesAndEmptyPhotos) {
  const auto doubtful = priority_of({box(0, 0.5F)}, {box(0, 0.5F)});
  const auto confident = priority_of({box(0, 0.95F)}, {box(1, 0.93F)});
  const auto empty = priority_of({}, {});
  EXPECT_DOUBLE_EQ(doubtful.score, 1.0);  // near = 1, the views agree
  ASSERT_EQ(doubtful.findings.size(), 1U);
  EXPECT_NEAR(confident.score, 0.02, 1e-6);  // only the views' small difference
  EXPECT_EQ(empty.score, 0);
  const auto selection = choose_next({confident, empty, doubtful}, {0x0ULL, 0xFFFFULL, 0xFFFF0000ULL}, {}, 3);
  ASSERT_EQ(selection.picks.size(), 3U);
  EXPECT_EQ(selection.picks[0].index, 2U);
  EXPECT_EQ(selection.picks[1].index, 0U);
  EXPECT_EQ(selection.picks[2].index, 1U);
}

TEST(LabelingPriority, ALogoOneViewAloneSeesIsNearAndDisagreed) {
  // 0.8 in the photo, nothing in the mirror image: fused 0.4, 0.1 under the threshold.
  const auto alone = priority_of({box(0, 0.8F)}, {});
  ASSERT_EQ(alone.findings.size(), 1U);
  EXPECT_NEAR(alone.findings[0].fused, 0.4, 1e-6);
  EXPECT_NEAR(alone.findings[0].near, 0.5, 1e-6);
  EXPECT_NEAR(alone.findings[0].disagreement, 0.8, 1e-6);
  EXPECT_NEAR(alone.score, 1.3, 1e-6);
  // The mirror image's own logo counts the same way.
  EXPECT_NEAR(priority_of({}, {box(0, 0.8F)}).score, 1.3, 1e-6);
}

TEST(LabelingPriority, FaintBoxesFarBelowTheThresholdDoNotCount) {
  const auto faint = priority_of({box(0, 0.1F), box(100, 0.05F)}, {box(200, 0.2F)});
  EXPECT_EQ(faint.score, 0);
  EXPECT_TRUE(faint.findings.empty());
  // Each label is measured against its own threshold.
  const auto low_threshold = priority_of({box(0, 0.2F, 1)}, {box(0, 0.2F, 1)}, {0.5, 0.2});
  EXPECT_NEAR(low_threshold.score, 1.0, 1e-6);
  // A label without a threshold is measured against 0.5.
  EXPECT_DOUBLE_EQ(priority_of({box(0, 0.5F, 3)}, {box(0, 0.5F, 3)}).score, 1.0);
}

TEST(LabelingPriority, OriginalOnlyLabelsIgnoreTheMirrorImage) {
  // Label 0's mirror image is another logo: what the mirror image sees of it is not evidence.
  const auto seen = priority_of({box(0, 0.9F)}, {box(0, 0.1F), box(100, 0.9F)}, {0.5}, {true});
  ASSERT_EQ(seen.findings.size(), 0U);  // 0.9 is far above the threshold and nothing disagrees
  const auto doubtful = priority_of({box(0, 0.45F)}, {}, {0.5}, {true});
  ASSERT_EQ(doubtful.findings.size(), 1U);
  EXPECT_NEAR(doubtful.findings[0].fused, 0.45, 1e-6);
  EXPECT_EQ(doubtful.findings[0].disagreement, 0);
}

TEST(LabelingChoice, NearDuplicatesOfLabeledPhotosAndOfPicksAreLeftOut) {
  const std::uint64_t scene = 0x0123456789ABCDEFULL;
  const std::uint64_t labeled = 0xFEDCBA9876543210ULL;
  const std::vector<std::uint64_t> hashes = {scene, scene ^ 0b111ULL, labeled ^ 0b1ULL, 0xF0F0F0F0F0F0F0F0ULL};
  std::vector<PhotoPriority> priorities(4);
  priorities[0].score = 2.0;
  priorities[1].score = 1.5;  // the same scene as photo 0
  priorities[2].score = 3.0;  // a labeled photo again
  priorities[3].score = 0.5;
  const auto selection = choose_next(priorities, hashes, {labeled}, 10);
  ASSERT_EQ(selection.picks.size(), 2U);
  EXPECT_EQ(selection.picks[0].index, 0U);
  EXPECT_EQ(selection.picks[1].index, 3U);
  ASSERT_EQ(selection.near_duplicates.size(), 2U);
  EXPECT_EQ(selection.near_duplicates[0].index, 2U);
  EXPECT_TRUE(selection.near_duplicates[0].of_labeled);
  EXPECT_EQ(selection.near_duplicates[0].bits, 1);
  EXPECT_EQ(selection.near_duplicates[1].index, 1U);
  EXPECT_FALSE(selection.near_duplicates[1].of_labeled);
  EXPECT_EQ(selection.near_duplicates[1].like, 0U);
  EXPECT_EQ(selection.near_duplicates[1].bits, 3);
  // With the check off (0 bits) only identical hashes are duplicates.
  EXPECT_EQ(choose_next(priorities, hashes, {labeled}, 10, 0).picks.size(), 4U);
}

TEST(LabelingChoice, AmongEqualPrioritiesTheLeastFamiliarPhotoComesFirst) {
  const std::uint64_t labeled = 0;
  // 12, 40 and 20 bits from the labeled photo; nothing doubtful in any of them.
  const std::vector<std::uint64_t> hashes = {0xFFFULL, 0xFFFFFFFFFFULL, 0xFFFFF00000000000ULL};
  const auto selection = choose_next(std::vector<PhotoPriority>(3), hashes, {labeled}, 3);
  ASSERT_EQ(selection.picks.size(), 3U);
  EXPECT_EQ(selection.picks[0].index, 1U);
  EXPECT_EQ(selection.picks[0].nearest_bits, 40);
  // After photo 1 (bits 0-39): photo 2 is 20 bits from the labeled one and 60 from photo 1
  // (nearest 20); photo 0 is 12 from the labeled one (nearest 12).
  EXPECT_EQ(selection.picks[1].index, 2U);
  EXPECT_EQ(selection.picks[1].nearest_bits, 20);
  EXPECT_EQ(selection.picks[2].index, 0U);
}

TEST(LabelingChoice, UnreadablePhotosAreNeverPicked) {
  std::vector<PhotoPriority> priorities(2);
  priorities[0].score = 5;
  const auto selection = choose_next(priorities, {1, 0xFFFF0000ULL}, {}, 2, kNearDuplicateBits, {false, true});
  ASSERT_EQ(selection.picks.size(), 1U);
  EXPECT_EQ(selection.picks[0].index, 1U);
}

TEST(LabelingChoice, RandomPoolsKeepEveryRule) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t pool = 1 + rng() % 40;
    const std::size_t labeled = rng() % 5;
    const std::size_t count = 1 + rng() % 20;
    const int bits = static_cast<int>(rng() % 24);
    // Few distinct scenes, each with small variations: plenty of near-duplicates.
    std::vector<std::uint64_t> scenes(1 + rng() % 6);
    for (auto& scene : scenes) scene = rng();
    auto variation = [&] { return scenes[rng() % scenes.size()] ^ (1ULL << (rng() % 64)) ^ (1ULL << (rng() % 64)); };
    std::vector<std::uint64_t> hashes(pool);
    std::vector<PhotoPriority> priorities(pool);
    std::vector<bool> eligible(pool);
    for (std::size_t i = 0; i < pool; ++i) {
      hashes[i] = variation();
      priorities[i].score = static_cast<double>(rng() % 4);
      eligible[i] = rng() % 8 != 0;
    }
    std::vector<std::uint64_t> labeled_hashes(labeled);
    for (auto& hash : labeled_hashes) hash = variation();
    const auto selection = choose_next(priorities, hashes, labeled_hashes, count, bits, eligible);
    ASSERT_LE(selection.picks.size(), count);
    std::set<std::size_t> picked;
    std::set<std::size_t> left_out;
    for (std::size_t p = 0; p < selection.picks.size(); ++p) {
      const auto& pick = selection.picks[p];
      ASSERT_TRUE(eligible[pick.index]);
      ASSERT_TRUE(picked.insert(pick.index).second);
      if (p > 0) {
        ASSERT_LE(pick.score, selection.picks[p - 1].score);  // most useful first
      }
      for (const auto hash : labeled_hashes) ASSERT_GT(hash_distance(hashes[pick.index], hash), bits);
      for (std::size_t q = 0; q < p; ++q) {
        ASSERT_GT(hash_distance(hashes[pick.index], hashes[selection.picks[q].index]), bits);
      }
    }
    for (const auto& duplicate : selection.near_duplicates) {
      ASSERT_TRUE(left_out.insert(duplicate.index).second);
      ASSERT_FALSE(picked.contains(duplicate.index));
      const std::uint64_t like = duplicate.of_labeled ? labeled_hashes.at(duplicate.like) : hashes.at(duplicate.like);
      ASSERT_EQ(hash_distance(hashes[duplicate.index], like), duplicate.bits);
      ASSERT_LE(duplicate.bits, bits);
    }
    // Fewer picks than asked only when every readable photo was picked or left out.
    if (selection.picks.size() < count) {
      for (std::size_t i = 0; i < pool; ++i) {
        if (eligible[i]) {
          ASSERT_TRUE(picked.contains(i) || left_out.contains(i)) << "photo " << i;
        }
      }
    }
  }
}

TEST(LabelingChoice, TheReasonSaysWhatIsDoubtful) {
  const std::vector<std::string> labels = {"RedBull", "Nike"};
  const std::vector<double> thresholds = {0.55, 0.4};
  const auto near = priority_of({box(0, 0.5F)}, {box(0, 0.46F)}, thresholds);
  EXPECT_EQ(describe_pick(near, {0, near.score, 30}, labels, thresholds),
            "a box near the threshold: RedBull 48 (threshold 55)");
  const auto one_view = priority_of({box(0, 0.7F, 1)}, {box(0, 0.12F, 1)}, thresholds);
  const auto text = describe_pick(one_view, {0, one_view.score, 30}, labels, thresholds);
  EXPECT_EQ(text, "a box near the threshold: Nike 41 (threshold 40); the mirror image disagrees: Nike 70 in the photo, 12 "
                  "in the mirror image");
  const auto mirror_only = priority_of({}, {box(0, 0.9F)}, thresholds);
  EXPECT_EQ(describe_pick(mirror_only, {0, mirror_only.score, 30}, labels, thresholds),
            "a box near the threshold: RedBull 45 (threshold 55); the mirror image disagrees: RedBull 90 in the mirror "
            "image, nothing in the photo");
  EXPECT_EQ(describe_pick(PhotoPriority{}, {0, 0, 64}, labels, thresholds), "nothing doubtful found");
  EXPECT_EQ(describe_pick(PhotoPriority{}, {0, 0, 27}, labels, thresholds),
            "nothing doubtful found; the least like the labeled photos and earlier picks (27 of 64 hash bits from "
            "the nearest)");
}

}  // namespace
}  // namespace logoscope::labeling
