// The public library (include/logoscope/) as a program outside logoscope uses it: train a small
// model, detect from bytes and from pixel views, on several threads at once, and evaluate.
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "imageio/image_io.hpp"
#include "infer/intra_op_threads.hpp"
#include "logoscope/detect.hpp"
#include "logoscope/evaluate.hpp"
#include "logoscope/train.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"

namespace logoscope {
namespace {

using testing::read_file;
using testing::run_logoscope;

class LibraryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "12", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    TrainOptions options;
    options.train = dir_->file("dataset.manifest");
    options.out = dir_->file("model");
    options.epochs = 1;
    options.batch_size = 4;
    options.input_size = 128;
    options.infer_size = 160;
    options.context.threads = 2;
    int progress_calls = 0;
    auto trained = train_model(options, [&](const TrainProgress&) { ++progress_calls; });
    ASSERT_TRUE(trained.ok()) << trained.error().message;
    summary_ = new TrainSummary(std::move(trained).value());
    EXPECT_GT(progress_calls, 0);
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete dir_;
  }

  static std::string image(int i) { return dir_->file("images/synth_000" + std::to_string(i) + ".jpg"); }

  static testing::TempDir* dir_;
  static TrainSummary* summary_;
};

testing::TempDir* LibraryTest::dir_ = nullptr;
TrainSummary* LibraryTest::summary_ = nullptr;

TEST_F(LibraryTest, TrainingHoldsOutATestSetAndReportsIt) {
  EXPECT_EQ(summary_->model, dir_->file("model"));
  EXPECT_GT(summary_->steps, 0);
  ASSERT_TRUE(summary_->test.has_value()) << "without a test set, 20 % of train is held out";
  EXPECT_NE(summary_->test->source.find("20% held out"), std::string::npos);
  EXPECT_GE(summary_->test->mean_f1, 0.0);
  EXPECT_LE(summary_->test->mean_f1, 1.0);

  TrainOptions again;
  again.train = dir_->file("dataset.manifest");
  again.out = dir_->file("model");
  const auto refused = train_model(again);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << "a model is never trained over silently";
}

TEST_F(LibraryTest, BytesAndPixelViewsGiveTheSameDetections) {
  auto model = Model::load(dir_->file("model"));
  ASSERT_TRUE(model.ok()) << model.error().message;
  EXPECT_FALSE((*model)->description().labels.empty());
  EXPECT_EQ((*model)->description().infer_size, 160);
  Session session(*model, {1});
  EXPECT_EQ(session.threads(), 1);

  DetectOptions everything;
  everything.min_confidence = 0;
  const auto bytes = read_file(image(0));
  const auto from_bytes = session.detect(bytes, everything);
  ASSERT_TRUE(from_bytes.ok()) << from_bytes.error().message;
  ASSERT_FALSE(from_bytes->labels.empty());
  EXPECT_GT(from_bytes->width, 0);

  // The decoded pixels as RGB (packed and with padded rows), as BGR with padded rows, and as RGBA
  // give the same answer.
  const cv::Mat rgb = imageio::decode_image_bytes(bytes, image(0)).value().rgb;
  ASSERT_FALSE(rgb.empty());
  const ImageView rgb_view{rgb.data, rgb.cols, rgb.rows, rgb.step[0], PixelFormat::kRgb8};
  cv::Mat bgr_padded(rgb.rows, rgb.cols + 7, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::cvtColor(rgb, bgr_padded(cv::Rect(0, 0, rgb.cols, rgb.rows)), cv::COLOR_RGB2BGR);
  const ImageView bgr_view{bgr_padded.data, rgb.cols, rgb.rows, bgr_padded.step[0], PixelFormat::kBgr8};
  cv::Mat rgba;
  cv::cvtColor(rgb, rgba, cv::COLOR_RGB2RGBA);
  const ImageView rgba_view{rgba.data, rgba.cols, rgba.rows, 0, PixelFormat::kRgba8};
  cv::Mat rgb_padded(rgb.rows, rgb.cols + 5, CV_8UC3, cv::Scalar(9, 9, 9));
  rgb.copyTo(rgb_padded(cv::Rect(0, 0, rgb.cols, rgb.rows)));
  const ImageView rgb_padded_view{rgb_padded.data, rgb.cols, rgb.rows, rgb_padded.step[0],
                                  PixelFormat::kRgb8};
  for (const auto& view : {rgb_view, rgb_padded_view, bgr_view, rgba_view}) {
    const auto found = session.detect(view, everything);
    ASSERT_TRUE(found.ok()) << found.error().message;
    ASSERT_EQ(found->labels.size(), from_bytes->labels.size());
    for (std::size_t i = 0; i < found->labels.size(); ++i) {
      EXPECT_EQ(found->labels[i].name, from_bytes->labels[i].name);
      EXPECT_DOUBLE_EQ(found->labels[i].confidence, from_bytes->labels[i].confidence);
      EXPECT_DOUBLE_EQ(found->labels[i].pixel_box.x0, from_bytes->labels[i].pixel_box.x0);
    }
  }
}

TEST_F(LibraryTest, BadInputsAreErrorsNotCrashes) {
  EXPECT_EQ(Model::load(dir_->file("no-model")).error().code, ErrorCode::kNotFound);
  auto model = Model::load(dir_->file("model"));
  ASSERT_TRUE(model.ok());
  Session session(*model, {1});
  const std::vector<std::uint8_t> text = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  EXPECT_EQ(session.detect(text).error().code, ErrorCode::kUnsupportedFormat);
  auto bytes = read_file(image(0));
  const std::vector<std::uint8_t> half(bytes.begin(),
                                       bytes.begin() + static_cast<std::ptrdiff_t>(bytes.size() / 2));
  EXPECT_FALSE(session.detect(half).ok());
  DetectOptions tiny;
  tiny.max_pixels = 100;
  EXPECT_EQ(session.detect(bytes, tiny).error().code, ErrorCode::kTooLarge);
  DetectOptions unknown;
  unknown.labels = {"no-such-label"};
  const auto refused = session.detect(bytes, unknown);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("no-such-label"), std::string::npos);
  DetectOptions over;
  over.min_confidence = 101;
  EXPECT_EQ(session.detect(bytes, over).error().code, ErrorCode::kInvalidArgument);
  // Model::check refuses the same options without an image, with the same messages.
  EXPECT_TRUE((*model)->check(DetectOptions{}).ok());
  EXPECT_EQ((*model)->check(over).error().code, ErrorCode::kInvalidArgument);
  ASSERT_FALSE((*model)->check(unknown).ok());
  EXPECT_EQ((*model)->check(unknown).error().message, refused.error().message);
  DetectOptions known;
  known.labels = {(*model)->description().labels.at(0)};
  EXPECT_TRUE((*model)->check(known).ok());
  EXPECT_EQ(session.detect(ImageView{}).error().code, ErrorCode::kInvalidArgument);
  const std::uint8_t pixel[3] = {1, 2, 3};
  EXPECT_EQ(session.detect(ImageView{pixel, 4, 1, 2, PixelFormat::kRgb8}).error().code,
            ErrorCode::kInvalidArgument)
      << "rows shorter than width x 3 bytes";
}

TEST_F(LibraryTest, OneModelServesSessionsOnManyThreadsAtOnce) {
  auto model = Model::load(dir_->file("model"));
  ASSERT_TRUE(model.ok());
  DetectOptions everything;
  everything.min_confidence = 0;
  std::vector<std::vector<std::uint8_t>> images;
  std::vector<DetectResult> expected;
  Session serial(*model, {1});
  for (int i = 0; i < 4; ++i) {
    images.push_back(read_file(image(i)));
    expected.push_back(serial.detect(images.back(), everything).value());
  }
  std::vector<std::string> mismatches(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Session session(*model, {1});
      for (int round = 0; round < 5; ++round) {
        for (std::size_t i = 0; i < images.size(); ++i) {
          const auto found = session.detect(images[i], everything);
          if (!found || found->labels.size() != expected[i].labels.size()) {
            mismatches[static_cast<std::size_t>(t)] = "a different number of labels";
            return;
          }
          for (std::size_t k = 0; k < found->labels.size(); ++k) {
            if (found->labels[k].confidence != expected[i].labels[k].confidence) {
              mismatches[static_cast<std::size_t>(t)] = "a different confidence";
              return;
            }
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& mismatch : mismatches) EXPECT_EQ(mismatch, "");
}

TEST_F(LibraryTest, DetectFilesReportsEveryPathInOrder) {
  auto model = Model::load(dir_->file("model"));
  ASSERT_TRUE(model.ok());
  Session session(*model, {2});
  std::vector<std::string> paths = {image(0), dir_->file("missing.jpg"), image(1), image(2), image(3),
                                    image(4)};
  DetectOptions options;
  options.min_confidence = 0;
  // Whatever the parallelism, the same answers in input order, the missing file in its place.
  std::vector<std::vector<double>> first;
  for (const int at_once : {1, 2, 3}) {
    FileOptions files;
    files.images_at_once = at_once;
    std::vector<std::size_t> order;
    std::vector<std::vector<double>> confidences;
    ASSERT_TRUE(session
                    .detect_files(paths, options, files,
                                  [&](const FileResult& file) {
                                    order.push_back(file.index);
                                    EXPECT_EQ(file.error.has_value(), file.index == 1) << file.path;
                                    std::vector<double> found;
                                    if (!file.error) {
                                      EXPECT_NE(file.pixels.pixels, nullptr);
                                      for (const auto& label : file.result.labels)
                                        found.push_back(label.confidence);
                                    }
                                    confidences.push_back(found);
                                  })
                    .ok());
    EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5})) << at_once << " images at once";
    if (first.empty()) {
      first = confidences;
    } else {
      EXPECT_EQ(confidences, first) << at_once << " images at once";
    }
  }
}

TEST_F(LibraryTest, EvaluateScoresEveryLabelAndWritesTheReport) {
  EvaluateOptions options;
  options.model = dir_->file("model");
  options.test = dir_->file("dataset.manifest");
  options.out = dir_->file("evaluation");
  std::size_t last_done = 0;
  const auto scores = evaluate(options, [&](std::size_t done, std::size_t) { last_done = done; });
  ASSERT_TRUE(scores.ok()) << scores.error().message;
  EXPECT_EQ(scores->images, 12U);
  EXPECT_EQ(last_done, 12U);
  ASSERT_FALSE(scores->labels.empty());
  for (const auto& label : scores->labels) {
    EXPECT_GE(label.f1, 0.0);
    EXPECT_LE(label.f1, 1.0);
    EXPECT_EQ(label.true_positives + label.false_negatives, label.ground_truth) << label.name;
  }
  EXPECT_FALSE(scores->report.empty());
  EXPECT_FALSE(testing::read_text(scores->report).empty());
  // The same folder again is refused without overwrite.
  EXPECT_EQ(evaluate(options).error().code, ErrorCode::kInvalidArgument);
  options.overwrite = true;
  EXPECT_TRUE(evaluate(options).ok());
}

TEST(IntraOpThreads, ASessionsCountIsItsThreadsAlone) {
  const int before = infer::intra_op_threads();
  int inside = 0;
  int other_thread = 0;
  {
    const infer::ScopedIntraOpThreads one(1);
    inside = infer::intra_op_threads();
    std::thread other([&] {
      const infer::ScopedIntraOpThreads three(3);
      other_thread = infer::intra_op_threads();
    });
    other.join();
    EXPECT_EQ(infer::intra_op_threads(), 1) << "another thread's count does not leak into this one";
  }
  EXPECT_EQ(inside, 1);
  EXPECT_EQ(other_thread, 3);
  EXPECT_EQ(infer::intra_op_threads(), before) << "restored when the scope ends";
}

}  // namespace
}  // namespace logoscope
