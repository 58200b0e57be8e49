// One exposure summary over many videos' summary.json files, checked by hand: sums, the longest
// exposure, share of voice over the totals, incomplete videos and unreadable files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "video/exposure_totals.hpp"

namespace logoscope::video {
namespace {

using nlohmann::json;

std::string summary(const std::string& source, bool complete, double video_s, const json& labels) {
  return json{{"video", {{"source", source}, {"fps", 25}}},
              {"complete", complete},
              {"video_s_covered", video_s},
              {"labels", labels}}
      .dump();
}

json label(const std::string& name, int exposures, double seconds, double longest, double solus) {
  return {{"name", name},
          {"exposures", exposures},
          {"seconds_on_screen", seconds},
          {"longest_exposure_s", longest},
          {"solus_seconds", solus},
          {"share_of_voice", 0.99}};  // recomputed, never copied
}

TEST(ExposureTotals, SumsVideosAndRecomputesShareOfVoice) {
  const std::vector<SummaryFile> files = {
      {"out/match", summary("match.mp4", true, 600,
                            json::array({label("acme", 3, 30, 20, 10), label("initech", 1, 10, 10, 0)}))},
      {"out/half", summary("half.mp4", false, 120, json::array({label("acme", 1, 5, 5, 5), label("initech", 0, 0, 0, 0)}))},
      {"out/ads", summary("ads.mp4", true, 60, json::array({label("globex", 2, 15, 9, 15)}))},
      {"out/broken", "{not json"},
  };
  const auto totals = sum_exposure(files);
  ASSERT_EQ(totals.videos.size(), 3U);
  EXPECT_EQ(totals.videos[0].folder, "out/ads");  // sorted by folder
  EXPECT_DOUBLE_EQ(totals.video_s, 780);
  ASSERT_EQ(totals.problems.size(), 1U);
  EXPECT_NE(totals.problems[0].find("out/broken/summary.json"), std::string::npos);
  ASSERT_EQ(totals.labels.size(), 3U);
  // By seconds: acme 35, globex 15, initech 10; 60 s in all.
  EXPECT_EQ(totals.labels[0].name, "acme");
  EXPECT_EQ(totals.labels[0].videos, 2);
  EXPECT_EQ(totals.labels[0].exposures, 4);
  EXPECT_DOUBLE_EQ(totals.labels[0].seconds, 35);
  EXPECT_DOUBLE_EQ(totals.labels[0].longest_s, 20);
  EXPECT_DOUBLE_EQ(totals.labels[0].solus_seconds, 15);
  EXPECT_DOUBLE_EQ(totals.labels[0].share_of_voice, 35.0 / 60.0);
  EXPECT_EQ(totals.labels[1].name, "globex");
  EXPECT_DOUBLE_EQ(totals.labels[1].share_of_voice, 15.0 / 60.0);
  EXPECT_EQ(totals.labels[2].name, "initech");
  EXPECT_EQ(totals.labels[2].videos, 1);  // on screen in match only
  // Per video: its own share of voice.
  const auto& match = totals.videos[2];
  EXPECT_EQ(match.folder, "out/match");
  EXPECT_DOUBLE_EQ(match.labels[0].share_of_voice, 0.75);

  const json written = exposure_json(totals);
  EXPECT_EQ(written["incomplete"], json::array({"out/half"}));
  EXPECT_EQ(written["labels"][0]["seconds_on_screen"], 35.0);
  const std::string csv = exposure_csv(totals);
  EXPECT_EQ(csv.rfind("video,label,exposures,seconds_on_screen,longest_exposure_s,solus_seconds,share_of_voice\n", 0), 0U);
  EXPECT_NE(csv.find("match.mp4,acme,3,30.000,20.000,10.000,0.7500\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("ALL,acme,4,35.000,20.000,15.000,0.5833\n"), std::string::npos) << csv;
  EXPECT_EQ(csv.find("half.mp4,initech"), std::string::npos);  // no row for a label never on screen
}

TEST(ExposureTotals, HostileNumbersAreIgnoredNotConverted) {
  const auto totals = sum_exposure({{"out/x", summary("x.mp4", true, 1e308 * 10,
                                                      json::array({label("acme", 0, -5, 1, 1), {{"name", "b"}, {"exposures", 3e300}}}))}});
  ASSERT_EQ(totals.labels.size(), 2U);
  for (const auto& l : totals.labels) {
    EXPECT_GE(l.seconds, 0);
    EXPECT_GE(l.exposures, 0);
  }
  EXPECT_DOUBLE_EQ(totals.video_s, 0);
}

// Found by fuzz_exposure: two summaries each claiming 2^31-1 exposures of one label overflowed
// the int sum (UBSan), and seconds of 1e308 summed to infinity.
TEST(ExposureTotals, NoSumOverflowsHoweverManySummariesClaim) {
  const std::string huge = summary("x.mp4", true, 1e9, json::array({{{"name", "acme"},
                                                                       {"exposures", 2147483647},
                                                                       {"seconds_on_screen", 1e308},
                                                                       {"longest_exposure_s", 1e308},
                                                                       {"solus_seconds", 5e8}}}));
  std::vector<SummaryFile> files;
  for (int i = 0; i < 8; ++i) files.push_back({"out/v" + std::to_string(i), huge});
  const auto totals = sum_exposure(files);
  ASSERT_EQ(totals.labels.size(), 1U);
  EXPECT_EQ(totals.labels[0].exposures, 8LL * 2147483647);
  EXPECT_DOUBLE_EQ(totals.labels[0].seconds, 0);  // 1e308 s is no measurement
  EXPECT_DOUBLE_EQ(totals.labels[0].longest_s, 0);
  EXPECT_DOUBLE_EQ(totals.labels[0].solus_seconds, 8 * 5e8);
  EXPECT_DOUBLE_EQ(totals.video_s, 8e9);
  const auto too_many = sum_exposure({{"out/y", summary("y.mp4", true, 1, json::array({{{"name", "acme"},
                                                                                       {"exposures", 9223372036854775807LL}}}))}});
  EXPECT_EQ(too_many.labels[0].exposures, 0);
  // A label listed twice in one summary is on screen in one video, not two.
  const auto twice = sum_exposure({{"out/z", summary("z.mp4", true, 10, json::array({label("acme", 1, 2, 2, 0),
                                                                                     label("acme", 2, 3, 3, 0)}))}});
  EXPECT_EQ(twice.labels[0].videos, 1);
  EXPECT_EQ(twice.labels[0].exposures, 3);
}

}  // namespace
}  // namespace logoscope::video
