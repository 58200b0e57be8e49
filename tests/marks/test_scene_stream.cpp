// The pretraining scene generator: determinism, exact boxes, option checks, throughput.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "dataset/formats.hpp"
#include "imageio/image_io.hpp"
#include "marks/mark_library.hpp"
#include "marks/marks_test_support.hpp"
#include "marks/scene_stream.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::marks {
namespace {

using logoscope::testing::TempDir;

class SceneStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MarkLibraryOptions options;
    options.icons_dir = logoscope::testing::write_test_icon_set(dir_.path());
    options.wordmarks = 60;
    auto library = MarkLibrary::load(options);
    ASSERT_TRUE(library) << library.error().message;
    library_ = std::make_unique<MarkLibrary>(std::move(*library));
  }

  SceneStream stream(const SceneOptions& options) {
    auto created = SceneStream::create(*library_, options);
    EXPECT_TRUE(created) << created.error().message;
    return std::move(*created);
  }

  TempDir dir_;
  std::unique_ptr<MarkLibrary> library_;
};

void expect_same(const SceneSample& a, const SceneSample& b, std::uint64_t index) {
  ASSERT_EQ(a.rgb.size(), b.rgb.size()) << index;
  EXPECT_EQ(cv::norm(a.rgb, b.rgb, cv::NORM_INF), 0) << "pixels differ for index " << index;
  ASSERT_EQ(a.boxes.size(), b.boxes.size()) << index;
  for (std::size_t i = 0; i < a.boxes.size(); ++i) {
    EXPECT_EQ(a.boxes[i].x0, b.boxes[i].x0);
    EXPECT_EQ(a.boxes[i].y0, b.boxes[i].y0);
    EXPECT_EQ(a.boxes[i].x1, b.boxes[i].x1);
    EXPECT_EQ(a.boxes[i].y1, b.boxes[i].y1);
    EXPECT_EQ(a.boxes[i].label, b.boxes[i].label);
    EXPECT_EQ(a.boxes[i].ignore, b.boxes[i].ignore);
  }
  EXPECT_EQ(a.background, b.background);
}

TEST_F(SceneStreamTest, SameSeedAndIndexGiveTheSameSampleInAnyOrderAndThread) {
  SceneOptions options;
  options.seed = 11;
  const SceneStream first = stream(options);
  const std::vector<std::uint64_t> indices = {0, 1, 2, 3, 4, 5, 6, 7, 1000003, 42};
  std::vector<SceneSample> forward;
  for (const auto index : indices) forward.push_back(first.next(index));
  // Reverse order, on another thread, from a second stream over a second library (cold caches).
  MarkLibraryOptions library_options;
  library_options.icons_dir = dir_.path() + "/icons";
  library_options.wordmarks = 60;
  auto other_library = MarkLibrary::load(library_options);
  ASSERT_TRUE(other_library);
  auto second = SceneStream::create(*other_library, options);
  ASSERT_TRUE(second);
  std::vector<SceneSample> backward(indices.size());
  std::thread worker([&] {
    for (std::size_t i = indices.size(); i-- > 0;) backward[i] = second->next(indices[i]);
  });
  worker.join();
  for (std::size_t i = 0; i < indices.size(); ++i) expect_same(forward[i], backward[i], indices[i]);
  // Another index or another seed: another image.
  EXPECT_GT(cv::norm(forward[0].rgb, forward[1].rgb, cv::NORM_L1), 0);
  options.seed = 12;
  EXPECT_GT(cv::norm(stream(options).next(0).rgb, forward[0].rgb, cv::NORM_L1), 0);
}

TEST_F(SceneStreamTest, ConcurrentCallsMatchSerialOnes) {
  SceneOptions options;
  options.seed = 5;
  const SceneStream scenes = stream(options);
  std::vector<SceneSample> serial;
  for (std::uint64_t i = 0; i < 8; ++i) serial.push_back(scenes.next(i));
  std::vector<SceneSample> parallel(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t i = static_cast<std::uint64_t>(t); i < 8; i += 2) parallel[i] = scenes.next(i);
    });
  }
  for (auto& thread : threads) thread.join();
  for (std::uint64_t i = 0; i < 8; ++i) expect_same(serial[i], parallel[i], i);
}

// On a flat background with plain solid marks, the pixels that differ from the background by at
// least a quarter of the mark's contrast are exactly the box (within one pixel at each edge).
// Solid shapes only (no thin swoosh, bars or text), so that every mark of 12 px or more has fully
// covered pixels that tell the mark's full contrast.
TEST_F(SceneStreamTest, BoxesAreTightAroundTheVisibleMark) {
  MarkLibraryOptions library_options;
  library_options.icons_dir = dir_.path() + "/icons";
  library_options.wordmarks = 0;
  library_options.exclude = ExclusionList::from_terms({"nike", "wavetech", "happyburger"});
  auto solid_shapes = MarkLibrary::load(library_options);
  ASSERT_TRUE(solid_shapes) << solid_shapes.error().message;
  SceneOptions options;
  options.seed = 3;
  options.min_marks = 1;
  options.max_marks = 1;
  options.empty_prob = 0;
  options.appearance = AppearanceOptions{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  options.geometry.cylinder_prob = 0;
  options.geometry.wave_prob = 0;
  options.degradation = DegradationOptions{0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  options.background = BackgroundOptions{};
  options.background.procedural = options.background.fractal_noise = options.background.dead_leaves = 0;
  options.background.julia = options.background.texture = options.background.gradient = 0;
  options.background.solid = 1;
  options.background.mix_prob = 0;
  auto created = SceneStream::create(*solid_shapes, options);
  ASSERT_TRUE(created) << created.error().message;
  const SceneStream& scenes = *created;
  int checked = 0;
  for (std::uint64_t index = 0; index < 60; ++index) {
    const SceneSample sample = scenes.next(index);
    EXPECT_EQ(sample.background, "solid");
    ASSERT_LE(sample.boxes.size(), 1U);
    if (sample.boxes.empty() || sample.boxes[0].ignore) continue;
    const Box& box = sample.boxes[0];
    // Marks this small may have no fully covered pixel to calibrate the threshold on.
    if (box.width() < 12 || box.height() < 12) continue;
    // The background is the colour of the corner farthest from the box.
    const cv::Point corner(box.x0 + box.x1 > options.width ? 0 : options.width - 1,
                           box.y0 + box.y1 > options.height ? 0 : options.height - 1);
    const cv::Vec3b background = sample.rgb.at<cv::Vec3b>(corner);
    cv::Mat difference;
    cv::absdiff(sample.rgb, cv::Scalar(background[0], background[1], background[2]), difference);
    std::vector<cv::Mat> channels;
    cv::split(difference, channels);
    cv::Mat largest = cv::max(cv::max(channels[0], channels[1]), channels[2]);
    double strongest = 0;
    cv::minMaxLoc(largest, nullptr, &strongest);
    ASSERT_GT(strongest, 10) << index;
    // Boxes hold the pixels at least a quarter covered by the mark (scene_stream.hpp).
    const cv::Rect marked = cv::boundingRect(largest >= strongest * 0.25);
    EXPECT_NEAR(marked.x, box.x0, 1.0) << "index " << index;
    EXPECT_NEAR(marked.y, box.y0, 1.0) << "index " << index;
    EXPECT_NEAR(marked.x + marked.width, box.x1, 1.0) << "index " << index;
    EXPECT_NEAR(marked.y + marked.height, box.y1, 1.0) << "index " << index;
    ++checked;
  }
  EXPECT_GE(checked, 25);
}

TEST_F(SceneStreamTest, BoxesStayInsideTheImageAndOccludedMarksAreIgnored) {
  SceneOptions options;
  options.seed = 9;
  options.width = 256;
  options.height = 192;
  options.degradation.occlusion_prob = 1.0;
  const SceneStream scenes = stream(options);
  int boxes = 0;
  int ignored = 0;
  for (std::uint64_t index = 0; index < 40; ++index) {
    const SceneSample sample = scenes.next(index);
    ASSERT_EQ(sample.rgb.type(), CV_8UC3);
    ASSERT_EQ(sample.rgb.cols, 256);
    ASSERT_EQ(sample.rgb.rows, 192);
    for (const Box& box : sample.boxes) {
      EXPECT_GE(box.x0, 0);
      EXPECT_GE(box.y0, 0);
      EXPECT_LE(box.x1, 256);
      EXPECT_LE(box.y1, 192);
      EXPECT_GT(box.area(), 0);
      EXPECT_GE(box.label, 0);
      EXPECT_LT(box.label, library_->size());
      ++boxes;
      ignored += box.ignore ? 1 : 0;
    }
  }
  EXPECT_GT(boxes, 60);
  EXPECT_GT(ignored, 0);
  EXPECT_LT(ignored, boxes / 2);
}

TEST_F(SceneStreamTest, RefusesOptionsOutOfRange) {
  auto expect_invalid = [&](const SceneOptions& options, const std::string& part) {
    auto created = SceneStream::create(*library_, options);
    ASSERT_FALSE(created) << part;
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(created.error().message.find(part), std::string::npos) << created.error().message;
  };
  SceneOptions options;
  options.width = 16;
  expect_invalid(options, "16×320");
  options = {};
  options.max_marks = 0;
  expect_invalid(options, "0 ≤ min_marks ≤ max_marks");
  options = {};
  options.appearance.outline_prob = 1.5;
  expect_invalid(options, "appearance.outline_prob must be in [0, 1], got 1.5");
  options = {};
  options.min_mark_side = 400;
  expect_invalid(options, "min_mark_side (400)");
  options = {};
  options.background.photos_dir = "/nonexistent/photos";
  auto missing = SceneStream::create(*library_, options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(SceneStreamTest, UsesPhotosFromAFolder) {
  TempDir photos;
  cv::Mat photo(300, 400, CV_8UC3);
  cv::randu(photo, 0, 255);
  ASSERT_TRUE(imageio::write_image_file(photo, photos.file("noise.png")));
  SceneOptions options;
  options.background = BackgroundOptions{};
  options.background.procedural = options.background.fractal_noise = options.background.dead_leaves = 0;
  options.background.julia = options.background.texture = options.background.gradient =
      options.background.solid = 0;
  options.background.mix_prob = 0;
  options.background.photos_dir = photos.path();
  const SceneStream scenes = stream(options);
  EXPECT_EQ(scenes.next(0).background, "photo");
}

TEST_F(SceneStreamTest, WritesSamplesAsAGroundTruthManifest) {
  SceneOptions options;
  options.width = 128;
  options.height = 96;
  const SceneStream scenes = stream(options);
  TempDir out;
  auto dataset = write_scene_samples(scenes, out.path(), 100, 4);
  ASSERT_TRUE(dataset) << dataset.error().message;
  ASSERT_EQ(dataset->samples.size(), 4U);
  for (std::size_t i = 0; i < 4; ++i) {
    const SceneSample scene = scenes.next(100 + i);
    ASSERT_EQ(dataset->samples[i].boxes.size(), scene.boxes.size());
    for (std::size_t b = 0; b < scene.boxes.size(); ++b) {
      const Box& written = dataset->samples[i].boxes[b];
      EXPECT_EQ(dataset->labels[static_cast<std::size_t>(written.label)],
                library_->info(scene.boxes[b].label).slug);
      EXPECT_EQ(written.x0, scene.boxes[b].x0);
      EXPECT_EQ(written.ignore, scene.boxes[b].ignore);
    }
  }
  const std::string manifest = out.file("scenes.manifest");
  ASSERT_TRUE(dataset::write_dataset(*dataset, manifest, dataset::DatasetFormat::kManifest));
  Problems problems;
  auto read = dataset::read_dataset(manifest, dataset::DatasetFormat::kManifest, problems);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->samples.size(), 4U);
  EXPECT_EQ(read->samples[2].width, 128);
  EXPECT_EQ(read->box_count(), dataset->box_count());
}

// Not a pass/fail check: prints how fast one thread generates 320×320 scenes.
TEST_F(SceneStreamTest, MeasuresThroughput) {
  SceneOptions options;
  options.seed = 21;
  const SceneStream scenes = stream(options);
  (void)scenes.next(0);  // warm the mask cache a little
  constexpr int kSamples = 60;
  std::size_t boxes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 1; i <= kSamples; ++i) boxes += scenes.next(i).boxes.size();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("scene stream: %.1f samples/s at 320x320 on one thread (%d samples, %.1f boxes each)\n",
              kSamples / seconds, kSamples, static_cast<double>(boxes) / kSamples);
  EXPECT_GT(boxes, 0U);
}

}  // namespace
}  // namespace logoscope::marks
