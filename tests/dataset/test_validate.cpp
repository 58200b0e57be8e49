#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "dataset/validate.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::dataset {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string write_jpeg(const testing::TempDir& dir, const std::string& name, int width, int height, int shade) {
  const std::string path = dir.file(name);
  cv::Mat image(height, width, CV_8UC3, cv::Scalar(shade, 255 - shade, (shade * 7) % 256));
  cv::rectangle(image, cv::Rect(width / 4, height / 4, width / 2, height / 2), cv::Scalar(20, 40, 200), cv::FILLED);
  EXPECT_TRUE(cv::imwrite(path, image));
  return path;
}

Sample make_sample(const std::string& image, int line, std::vector<Box> boxes, int width = 0, int height = 0) {
  Sample sample;
  sample.image = image;
  sample.width = width;
  sample.height = height;
  sample.boxes = std::move(boxes);
  sample.source = {"data.manifest", line};
  return sample;
}

std::vector<const Problem*> of_kind(const ValidationReport& report, const std::string& kind) {
  std::vector<const Problem*> found;
  for (const auto& problem : report.problems) {
    if (problem.kind == kind) found.push_back(&problem);
  }
  return found;
}

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_.labels = {"acme", "bolt"};
    image_a_ = write_jpeg(dir_, "a.jpg", 200, 100, 10);
    image_b_ = write_jpeg(dir_, "b.jpg", 120, 160, 200);
  }

  ValidationReport run(const ValidateOptions& options = {}) {
    ValidateOptions with_fix = options;
    with_fix.build_cleaned = true;
    with_fix.threads = 2;
    return validate_dataset(data_, "data.manifest", reader_problems_, with_fix);
  }

  testing::TempDir dir_;
  Dataset data_;
  Problems reader_problems_;
  std::string image_a_;
  std::string image_b_;
};

TEST_F(ValidateTest, CleanDatasetHasNoProblemsAndCountsEverything) {
  data_.samples.push_back(make_sample(image_a_, 1, {{10, 10, 60, 50, 0}, {100, 20, 150, 90, 1}}, 200, 100));
  data_.samples.push_back(make_sample(image_b_, 2, {{5, 5, 100, 150, 1}}, 120, 160));
  const auto report = run();
  EXPECT_TRUE(report.problems.empty()) << format_report(report);
  EXPECT_EQ(report.summary.images, 2);
  EXPECT_EQ(report.summary.boxes, 3);
  EXPECT_EQ(report.summary.boxes_per_label, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(report.summary.images_per_label, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(report.images_checked, 2);
  ASSERT_TRUE(report.cleaned);
  EXPECT_EQ(report.cleaned->box_count(), 3U);
}

TEST_F(ValidateTest, DegenerateBoxIsAnErrorNamingLineAndValues) {
  data_.samples.push_back(make_sample(image_a_, 7, {{3, 50, 3, 50, 0}, {10, 10, 60, 50, 1}}));
  const auto report = run();
  const auto found = of_kind(report, "degenerate_box");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0]->severity, Severity::kError);
  EXPECT_EQ(found[0]->where.line, 7);
  EXPECT_EQ(found[0]->image, image_a_);
  EXPECT_THAT(found[0]->message, HasSubstr("acme box [x0=3, y0=50, x1=3, y1=50] (w=0, h=0)"));
  EXPECT_EQ(report.cleaned->box_count(), 1U);
}

TEST_F(ValidateTest, DegenerateBoxAlreadyReportedByTheReaderIsNotRepeated) {
  data_.samples.push_back(make_sample(image_a_, 1, {{3, 50, 3, 50, 0}}));
  Problem from_reader;
  from_reader.kind = "degenerate_box";
  from_reader.image = image_a_;
  reader_problems_.push_back(from_reader);
  const auto report = run();
  EXPECT_EQ(of_kind(report, "degenerate_box").size(), 1U);
}

TEST_F(ValidateTest, BoxPartlyOutsideIsClippedEntirelyOutsideIsDropped) {
  data_.samples.push_back(make_sample(image_a_, 1, {{-10, 20, 50, 120, 0}, {300, 10, 350, 50, 1}}));
  const auto report = run();
  const auto found = of_kind(report, "box_outside_image");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0]->severity, Severity::kWarning);
  EXPECT_THAT(found[0]->message, HasSubstr("clipped to [0, 20, 50, 100]"));
  EXPECT_EQ(found[1]->severity, Severity::kError);
  EXPECT_THAT(found[1]->message, HasSubstr("entirely outside the 200x100 image"));
  ASSERT_EQ(report.cleaned->samples[0].boxes.size(), 1U);
  const Box& clipped = report.cleaned->samples[0].boxes[0];
  EXPECT_EQ(clipped.x0, 0);
  EXPECT_EQ(clipped.y1, 100);
}

TEST_F(ValidateTest, DuplicateBoxesAndTinyBoxesAreWarned) {
  data_.samples.push_back(make_sample(image_a_, 1, {{10, 10, 60, 50, 0}, {11, 10, 60, 51, 0}, {10, 10, 60, 50, 1},
                                                    {100, 10, 105, 40, 0}}));
  const auto report = run();
  const auto duplicates = of_kind(report, "duplicate_box");
  ASSERT_EQ(duplicates.size(), 1U);  // the same place with another label is not a duplicate
  EXPECT_EQ(duplicates[0]->field, "box 1");
  const auto tiny = of_kind(report, "box_too_small");
  ASSERT_EQ(tiny.size(), 1U);
  EXPECT_EQ(tiny[0]->field, "box 3");
  EXPECT_EQ(report.cleaned->box_count(), 3U);
}

TEST_F(ValidateTest, MissingTruncatedAndDuplicateImagesAreReported) {
  const std::string copy = dir_.file("copy_of_a.jpg");
  fs::copy_file(image_a_, copy);
  std::string bytes;
  {
    std::ifstream in(image_b_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string truncated = dir_.write("truncated.jpg", bytes.substr(0, bytes.size() / 2));
  data_.samples.push_back(make_sample(image_a_, 1, {}));
  data_.samples.push_back(make_sample(dir_.file("nowhere.jpg"), 2, {}));
  data_.samples.push_back(make_sample(truncated, 3, {}));
  data_.samples.push_back(make_sample(copy, 4, {}));
  data_.samples.push_back(make_sample(image_a_, 5, {}));
  const auto report = run();
  ASSERT_EQ(of_kind(report, "missing_image").size(), 1U);
  EXPECT_EQ(of_kind(report, "missing_image")[0]->where.line, 2);
  const auto undecodable = of_kind(report, "undecodable_image");
  ASSERT_EQ(undecodable.size(), 1U);
  EXPECT_THAT(undecodable[0]->message, HasSubstr("truncated"));
  const auto duplicate = of_kind(report, "duplicate_image");
  ASSERT_EQ(duplicate.size(), 1U);
  EXPECT_EQ(duplicate[0]->where.line, 4);
  EXPECT_THAT(duplicate[0]->message, HasSubstr("a.jpg (line 1)"));
  ASSERT_EQ(of_kind(report, "duplicate_entry").size(), 1U);
  EXPECT_EQ(report.images_unreadable, 2);
  ASSERT_EQ(report.cleaned->samples.size(), 1U);
  EXPECT_EQ(report.cleaned->samples[0].image, image_a_);
}

TEST_F(ValidateTest, SizeMismatchIsWarnedAndCorrectedInTheCleanedCopy) {
  data_.samples.push_back(make_sample(image_a_, 1, {{10, 10, 60, 50, 0}}, 640, 480));
  const auto report = run();
  const auto found = of_kind(report, "image_size_mismatch");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_THAT(found[0]->message, HasSubstr("says 640x480 but the image is 200x100"));
  EXPECT_EQ(report.cleaned->samples[0].width, 200);
}

TEST_F(ValidateTest, ImagesSharedWithTheTestSetAreErrors) {
  const std::string copy = dir_.file("b_again.jpg");
  fs::copy_file(image_b_, copy);
  data_.samples.push_back(make_sample(image_a_, 1, {}));
  data_.samples.push_back(make_sample(image_b_, 2, {}));
  Dataset test;
  test.labels = data_.labels;
  test.samples.push_back(make_sample(image_a_, 1, {}));
  test.samples.push_back(make_sample(copy, 2, {}));
  ValidateOptions options;
  const auto report = validate_dataset(data_, "train.manifest", {}, options, &test, "test.manifest");
  const auto found = of_kind(report, "train_test_overlap");
  ASSERT_EQ(found.size(), 2U);
  EXPECT_THAT(found[0]->message, HasSubstr("the same file"));
  EXPECT_THAT(found[1]->message, HasSubstr("the same content"));
  EXPECT_THAT(found[1]->message, HasSubstr("test.manifest:2"));
}

TEST_F(ValidateTest, EmptyDatasetIsAnError) {
  const auto report = run();
  ASSERT_EQ(of_kind(report, "empty_dataset").size(), 1U);
}

TEST_F(ValidateTest, JsonReportListsEveryProblem) {
  data_.samples.push_back(make_sample(image_a_, 3, {{3, 50, 3, 50, 0}}));
  const auto json = report_to_json(run());
  EXPECT_EQ(json["errors"], 1);
  ASSERT_EQ(json["problems"].size(), 1U);
  EXPECT_EQ(json["problems"][0]["kind"], "degenerate_box");
  EXPECT_EQ(json["problems"][0]["line"], 3);
  EXPECT_EQ(json["summary"]["boxes"], 1);
}

}  // namespace
}  // namespace logoscope::dataset
