// Videos the test writes itself (Motion-JPEG AVI through OpenCV): reading with timestamps, bad and
// truncated files, and `logoscope video` end to end with a small model trained here.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <httplib.h>

#include "logoscope/detect.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"
#include "video/frame_export.hpp"
#include "video/video_analysis.hpp"
#include "video/video_reader.hpp"

namespace fs = std::filesystem;

namespace logoscope::video {
namespace {

using nlohmann::json;
using testing::read_text;
using testing::run_logoscope;

class VideoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "12", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    const auto trained =
        run_logoscope({"train", "--train", dir_->file("dataset.manifest"), "--out", dir_->file("model"),
                       "--epochs", "2", "--batch-size", "4", "--input-size", "128", "--infer-size", "160"});
    ASSERT_EQ(trained.exit_code, 0) << trained.err;
    // 4 s at 10 fps: each demo image for 5 frames (0.5 s), then grey.
    video_ = dir_->file("clip.avi");
    cv::VideoWriter writer(video_, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, {320, 240});
    ASSERT_TRUE(writer.isOpened());
    for (int frame = 0; frame < 40; ++frame) {
      cv::Mat bgr(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
      if (frame < 30) {
        cv::Mat image = cv::imread(dir_->file("images/synth_000" + std::to_string(frame / 5) + ".jpg"));
        ASSERT_FALSE(image.empty());
        cv::resize(image, bgr, {320, 240});
      }
      writer.write(bgr);
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static testing::TempDir* dir_;
  static std::string video_;
};

testing::TempDir* VideoTest::dir_ = nullptr;
std::string VideoTest::video_;

TEST_F(VideoTest, ReadsEveryFrameWithItsTime) {
  auto reader = VideoReader::open(video_);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  const auto& info = (*reader)->info();
  EXPECT_NEAR(info.fps, 10.0, 1e-6);
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_EQ(info.frames, 40);
  Frame frame;
  int count = 0;
  double last = -1;
  while (count % 2 == 0 ? (*reader)->read(frame) : (*reader)->skip()) {
    if (count % 2 == 0) {
      EXPECT_EQ(frame.index, count);
      EXPECT_NEAR(frame.time_s, count / 10.0, 0.011);
      EXPECT_GT(frame.time_s, last);
      last = frame.time_s;
      EXPECT_EQ(frame.rgb.type(), CV_8UC3);
    }
    ++count;
  }
  EXPECT_EQ(count, 40);
  EXPECT_EQ((*reader)->error(), "");
}

TEST_F(VideoTest, ReadsAStreamOverHttp) {
  // The clip served by a real HTTP server on an ephemeral port, read by URL as a stream is.
  const std::string bytes = read_text(video_);
  httplib::Server server;
  server.Get("/clip.avi", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(bytes, "video/x-msvideo");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  const std::string url = fmt::format("http://127.0.0.1:{}/clip.avi", port);
  auto reader = VideoReader::open(url);
  std::int64_t frames = 0;
  if (reader.ok()) {
    EXPECT_TRUE((*reader)->info().is_stream());
    Frame frame;
    while ((*reader)->read(frame)) ++frames;
  }
  server.stop();
  serving.join();
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(frames, 40);
}

TEST_F(VideoTest, WhatIsNotAVideoGetsAClearError) {
  // (A single JPEG is not tried: OpenCV's FFmpeg reads one as a one-frame video on some builds.)
  const std::string text = dir_->write("notes.mp4", "this is not a video\n");
  const auto not_video = VideoReader::open(text);
  ASSERT_FALSE(not_video.ok());
  EXPECT_EQ(not_video.error().code, ErrorCode::kUnsupportedFormat);
  EXPECT_NE(not_video.error().message.find("notes.mp4"), std::string::npos);
  EXPECT_EQ(VideoReader::open(dir_->file("missing.mp4")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(VideoReader::open(dir_->path()).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(VideoTest, AnalysisWritesConsistentOutputs) {
  auto model = Model::load(dir_->file("model"));
  ASSERT_TRUE(model.ok());
  Session session(*model, {2});
  AnalysisOptions options;
  options.every_s = 0;  // every frame
  options.min_confidence = 5;
  options.annotated_video = true;
  const std::string out = dir_->file("analysis");
  int progress_calls = 0;
  auto summary =
      analyse_video(session, video_, out, options, [&](const AnalysisProgress&) { ++progress_calls; });
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_TRUE(summary->complete) << summary->stopped;
  EXPECT_EQ(summary->frames_read, 40);
  EXPECT_EQ(summary->frames_analysed, 40);
  EXPECT_EQ(progress_calls, 40);
  EXPECT_NEAR(summary->video_s, 4.0, 1e-6);

  std::ifstream jsonl(out + "/detections.jsonl");
  std::string line;
  int lines = 0;
  std::set<std::int64_t> ids;
  double last_time = -1;
  while (std::getline(jsonl, line)) {
    const auto record = json::parse(line);
    EXPECT_GT(record["time_s"].get<double>(), last_time);
    last_time = record["time_s"].get<double>();
    for (const auto& label : record["CustomLabels"]) ids.insert(label["TrackId"].get<std::int64_t>());
    ++lines;
  }
  EXPECT_EQ(lines, 40);
  EXPECT_FALSE(ids.empty()) << "no detection at all: nothing was checked";
  const auto written = json::parse(read_text(out + "/summary.json"));
  EXPECT_TRUE(written["complete"].get<bool>());
  EXPECT_EQ(written["labels"].size(), (*model)->description().labels.size());
  for (const auto& exposure : written["exposures"]) {
    EXPECT_TRUE(ids.count(exposure["track_id"].get<std::int64_t>())) << "an exposure with no detections";
    EXPECT_GT(exposure["seconds"].get<double>(), 0.0);
  }
  EXPECT_EQ(read_text(out + "/timeline.csv").rfind("second,label,seconds_on_screen\n", 0), 0U);
  const std::string report = read_text(out + "/report.html");
  EXPECT_NE(report.find("<svg class=\"timeline\""), std::string::npos);
  if (!written["exposures"].empty()) {
    EXPECT_NE(report.find("data:image/jpeg;base64,"), std::string::npos) << "a thumbnail per exposure";
  }
  EXPECT_GT(fs::file_size(out + "/annotated.mp4"), 1000U);
  auto annotated = VideoReader::open(out + "/annotated.mp4");
  ASSERT_TRUE(annotated.ok());
  EXPECT_EQ((*annotated)->info().width, 320);

  // Every third frame at the default setting: a third of the detections, the same video time.
  AnalysisOptions strided;
  strided.every_s = 0.3;
  auto fewer = analyse_video(session, video_, dir_->file("strided"), strided);
  ASSERT_TRUE(fewer.ok());
  EXPECT_EQ(fewer->stride, 3);
  EXPECT_EQ(fewer->frames_analysed, 14);
  EXPECT_EQ(fewer->frames_read, 40);

  // An output folder in use is refused.
  EXPECT_EQ(analyse_video(session, video_, out, options).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(VideoTest, StoppedAndBrokenVideosLeaveOutputsThatSaySo) {
  auto model = Model::load(dir_->file("model"));
  ASSERT_TRUE(model.ok());
  Session session(*model, {1});
  const std::atomic<bool> cancelled{true};
  auto stopped = analyse_video(session, video_, dir_->file("stopped"), {}, {}, &cancelled);
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(stopped->complete);
  EXPECT_NE(stopped->stopped.find("interrupted"), std::string::npos);
  const auto summary = json::parse(read_text(dir_->file("stopped/summary.json")));
  EXPECT_FALSE(summary["complete"].get<bool>());

  // The first 40 % of the file: the frames before the cut are analysed, and the summary says where
  // it stopped.
  const std::string whole = read_text(video_);
  const std::string cut = dir_->write("cut.avi", whole.substr(0, whole.size() * 2 / 5));
  auto broken = analyse_video(session, cut, dir_->file("broken"), {});
  if (!broken.ok()) {
    EXPECT_EQ(broken.error().code, ErrorCode::kUnsupportedFormat) << broken.error().message;
    return;
  }
  EXPECT_LT(broken->frames_read, 40);
  EXPECT_FALSE(broken->complete);
  EXPECT_NE(broken->stopped.find("stopped at frame"), std::string::npos) << broken->stopped;
}

TEST_F(VideoTest, CommandLine) {
  const auto result = run_logoscope({"video", "--model", dir_->file("model"), video_, "--out",
                                     dir_->file("cli"), "--min-confidence", "5", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto printed = json::parse(result.out);
  ASSERT_EQ(printed.size(), 1U);
  EXPECT_TRUE(printed[0]["complete"].get<bool>());
  EXPECT_TRUE(fs::exists(dir_->file("cli/clip/summary.json")));
  const auto bad = run_logoscope({"video", "--model", dir_->file("model"), dir_->write("x.mp4", "text"),
                                  "--out", dir_->file("cli-bad")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("x.mp4"), std::string::npos) << bad.err;
}

// An array job's tasks: each --shard K/N analyses its share of the videos into the same --out, a
// retried task skips what it finished, and `exposure` sums every shard into one report.
TEST_F(VideoTest, ShardsSplitTheVideosAndExposureSumsThem) {
  std::vector<std::string> videos;
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    const std::string copy = dir_->file(std::string("shards-in/") + name + ".avi");
    fs::create_directories(fs::path(copy).parent_path());
    fs::copy_file(video_, copy, fs::copy_options::overwrite_existing);
    videos.push_back(copy);
  }
  const std::string out = dir_->file("shards-out");
  std::size_t analysed = 0;
  for (int shard = 0; shard < 2; ++shard) {
    std::vector<std::string> args = {"video", "--model", dir_->file("model"), "--out", out, "--min-confidence", "5",
                                     "--shard", std::to_string(shard) + "/2", "--json"};
    args.insert(args.end(), videos.begin(), videos.end());
    const auto run = run_logoscope(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    analysed += json::parse(run.out).size();
    if (shard == 0) {  // the same task again: everything it did is skipped
      const auto again = run_logoscope(args);
      ASSERT_EQ(again.exit_code, 0) << again.err;
      for (const auto& result : json::parse(again.out)) EXPECT_TRUE(result.value("skipped", false)) << result.dump();
    }
  }
  EXPECT_EQ(analysed, videos.size());  // disjoint shares that cover every video
  for (const char* name : {"a", "b", "c", "d", "e"}) {
    EXPECT_TRUE(fs::exists(out + "/" + name + "/summary.json")) << name;
  }

  const auto summed = run_logoscope({"exposure", out, "--json"});
  ASSERT_EQ(summed.exit_code, 0) << summed.err;
  const auto totals = json::parse(summed.out);
  EXPECT_EQ(totals["videos"].size(), 5U);
  EXPECT_TRUE(totals["incomplete"].empty());
  EXPECT_NEAR(totals["video_s"].get<double>(), 5 * 4.0, 1e-6);
  // Five copies of one clip: every label's total is five times the clip's own.
  const auto one = json::parse(read_text(out + "/a/summary.json"));
  for (const auto& label : one["labels"]) {
    for (const auto& total : totals["labels"]) {
      if (total["name"] != label["name"]) continue;
      EXPECT_NEAR(total["seconds_on_screen"].get<double>(), 5 * label["seconds_on_screen"].get<double>(), 1e-9);
      EXPECT_EQ(total["exposures"].get<int>(), 5 * label["exposures"].get<int>());
    }
  }
  EXPECT_TRUE(fs::exists(out + "/exposure.csv"));
  EXPECT_EQ(run_logoscope({"exposure", dir_->file("nothing-here")}).exit_code, 2);
}

// 6 s at 30 fps with exact ground truth: a red mark on screen 1.0-5.0 s moving right, hidden
// behind a grey board 3.0-3.3 s; a blue mark 2.0-4.0 s.
std::string write_marks(const std::string& path) {
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30.0, {320, 240});
  for (int frame = 0; frame < 180; ++frame) {
    cv::Mat bgr(240, 320, CV_8UC3, cv::Scalar(90, 90, 90));
    if (frame >= 30 && frame < 150 && !(frame >= 90 && frame < 99)) {
      cv::rectangle(bgr, {40 + frame, 60, 40, 40}, cv::Scalar(0, 0, 255), cv::FILLED);
    }
    if (frame >= 60 && frame < 120) cv::rectangle(bgr, {200, 150, 50, 30}, cv::Scalar(255, 0, 0), cv::FILLED);
    writer.write(bgr);
  }
  return path;
}

// Finds the red and the blue mark by colour: a detector whose answers are the ground truth.
FrameDetector colour_detector() {
  FrameDetector detector;
  detector.name = "colour";
  detector.labels = {"red", "blue"};
  detector.min_confidence = {50, 50};
  detector.detect = [](const cv::Mat& rgb, double) -> Result<std::vector<Detection>> {
    std::vector<Detection> found;
    for (int label = 0; label < 2; ++label) {
      cv::Mat mask;
      if (label == 0) {
        cv::inRange(rgb, cv::Scalar(180, 0, 0), cv::Scalar(255, 80, 80), mask);
      } else {
        cv::inRange(rgb, cv::Scalar(0, 0, 180), cv::Scalar(80, 80, 255), mask);
      }
      if (cv::countNonZero(mask) < 50) continue;
      const cv::Rect box = cv::boundingRect(mask);
      found.push_back({static_cast<double>(box.x), static_cast<double>(box.y),
                       static_cast<double>(box.x + box.width), static_cast<double>(box.y + box.height), label,
                       0.9F});
    }
    return found;
  };
  return detector;
}

TEST_F(VideoTest, ExposureOfGeneratedMarksMatchesTheGroundTruth) {
  const std::string marks = write_marks(dir_->file("marks.avi"));
  const double frame = 1.0 / 30;
  std::map<double, double> red_seconds_by_every;
  for (const double every : {0.0, 0.1}) {
    AnalysisOptions options;
    options.every_s = every;
    const std::string out = dir_->file(fmt::format("marks-{}", every));
    auto summary = analyse_video(colour_detector(), marks, out, options);
    ASSERT_TRUE(summary.ok()) << summary.error().message;
    const auto& red = summary->exposure.labels[0];
    const auto& blue = summary->exposure.labels[1];
    EXPECT_EQ(red.exposures, 1) << "every " << every << ": the 0.3 s behind the board is bridged";
    EXPECT_EQ(blue.exposures, 1) << "every " << every;
    EXPECT_NEAR(red.seconds, 4.0, frame) << "every " << every;
    EXPECT_NEAR(blue.seconds, 2.0, frame) << "every " << every;
    EXPECT_NEAR(red.first_s, 1.0, frame);
    EXPECT_NEAR(red.solus_seconds, 2.0, 2 * frame);
    EXPECT_NEAR(red.share_of_voice, 4.0 / 6.0, 0.02);
    EXPECT_NEAR(blue.mean_share, 50.0 * 30.0 / (320.0 * 240.0), 0.002);
    red_seconds_by_every[every] = red.seconds;
    // One track id for the red mark in every frame it was seen, before and after the board.
    std::ifstream jsonl(out + "/detections.jsonl");
    std::set<std::int64_t> red_ids;
    std::string line;
    while (std::getline(jsonl, line)) {
      const auto record = json::parse(line);
      for (const auto& label : record["CustomLabels"]) {
        if (label["Name"] == "red") red_ids.insert(label["TrackId"].get<std::int64_t>());
      }
    }
    EXPECT_EQ(red_ids.size(), 1U) << "every " << every;
  }
  // The default stride against every frame: within 2 % (BENCHMARKS.md, "Video").
  EXPECT_NEAR(red_seconds_by_every[0.1], red_seconds_by_every[0.0], 0.02 * red_seconds_by_every[0.0]);
}

// 8 s at 10 fps: three still scenes of 2 s (grey, red, blue), then white stripes on grey that move
// every frame for 2 s.
std::string write_scenes(const std::string& path) {
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, {320, 240});
  for (int frame = 0; frame < 80; ++frame) {
    cv::Mat bgr(240, 320, CV_8UC3, cv::Scalar(128, 128, 128));
    if (frame >= 20 && frame < 40) bgr.setTo(cv::Scalar(0, 0, 255));
    if (frame >= 40 && frame < 60) bgr.setTo(cv::Scalar(255, 0, 0));
    if (frame >= 60) {
      for (int x = 0; x < 320; x += 40) {
        cv::rectangle(bgr, {(x + frame * 6) % 320, 0, 20, 240}, cv::Scalar(255, 255, 255), cv::FILLED);
      }
    }
    writer.write(bgr);
  }
  return path;
}

TEST_F(VideoTest, FramesForLabelingKeepScenesAndIntervalsButNotDuplicates) {
  const std::string scenes = write_scenes(dir_->file("scenes.avi"));
  ExportOptions options;
  options.sampler.every_s = 1.0;
  auto summary = export_frames(scenes, dir_->file("frames"), options);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_TRUE(summary->complete);
  EXPECT_EQ(summary->frames_read, 80);
  // Still scenes: 0.0 (first), 2.0 and 4.0 (scene changes); the interval frames at 1, 3 and 5 s
  // repeat them and are dropped. The moving pattern: a scene change at 6.0 and the interval at 7.0.
  std::ifstream manifest(summary->manifest);
  std::vector<double> times;
  std::vector<std::string> reasons;
  std::string line;
  while (std::getline(manifest, line)) {
    const auto record = json::parse(line);
    times.push_back(record["logoscope-frame"]["time_s"].get<double>());
    reasons.push_back(record["logoscope-frame"]["reason"].get<std::string>());
    EXPECT_TRUE(fs::exists(dir_->file("frames/" + record["source-ref"].get<std::string>()))) << line;
    EXPECT_EQ(record["logoscope-frame"]["video"].get<std::string>(),
              fs::absolute(scenes).lexically_normal().string());
  }
  ASSERT_EQ(times.size(), 5U);
  const std::vector<double> expected = {0.0, 2.0, 4.0, 6.0, 7.0};
  for (std::size_t i = 0; i < times.size(); ++i) EXPECT_NEAR(times[i], expected[i], 0.011) << i;
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"first", "scene_change", "scene_change", "scene_change", "interval"}));
  EXPECT_EQ(summary->duplicates_dropped, 3);
  EXPECT_EQ(summary->frames_kept, 5);

  ExportOptions scenes_only;
  scenes_only.sampler.every_s = 0;
  scenes_only.max_frames = 3;
  auto capped = export_frames(scenes, dir_->file("frames-capped"), scenes_only);
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(capped->frames_kept, 3);
  EXPECT_EQ(capped->by_interval, 0);

  const auto cli = run_logoscope({"frames", scenes, "--out", dir_->file("frames-cli"), "--json"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(json::parse(cli.out)["frames_kept"].get<int>(), 5);
  const auto in_use = run_logoscope({"frames", scenes, "--out", dir_->file("frames-cli")});
  EXPECT_EQ(in_use.exit_code, 2) << "an output folder in use is refused";
  const auto not_video = run_logoscope({"frames", dir_->write("y.mov", "text"), "--out", dir_->file("f2")});
  EXPECT_EQ(not_video.exit_code, 2);
  EXPECT_NE(not_video.err.find("y.mov"), std::string::npos);
}

}  // namespace
}  // namespace logoscope::video
