// Every kind of bad record each reader reports: the Problem kind, severity, file, line, field and
// a message naming the value; reading never stops. And the whole-file failures (Result errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "dataset/formats.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {
namespace {

using logoscope::testing::TempDir;

std::string problem_list(const Problems& problems) {
  std::string text;
  for (const Problem& problem : problems) text += format_problem(problem) + "\n";
  return text;
}

// Expects a problem of `kind` at `line` whose field is `field` ("*" = any) and whose message
// contains `message`, with `severity`, in `file` (empty = any).
void expect_problem(const Problems& problems, const std::string& kind, int line, const std::string& field,
                    const std::string& message, Severity severity = Severity::kError,
                    const std::string& file = "") {
  for (const Problem& problem : problems) {
    if (problem.kind != kind || problem.where.line != line) continue;
    if (field != "*" && problem.field != field) continue;
    if (!file.empty() && problem.where.file != file) continue;
    if (problem.message.find(message) == std::string::npos) continue;
    EXPECT_EQ(problem.severity, severity) << format_problem(problem);
    return;
  }
  ADD_FAILURE() << "no problem " << kind << " at line " << line << " field " << field
                << " with message containing \"" << message << "\" in:\n"
                << problem_list(problems);
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

std::string write_image(const TempDir& dir, const std::string& name, int width, int height) {
  std::string path = dir.file(name);
  fs::create_directories(fs::path(path).parent_path());
  EXPECT_TRUE(cv::imwrite(path, cv::Mat(height, width, CV_8UC3, cv::Scalar(10, 20, 30))));
  return path;
}

// ---- manifest --------------------------------------------------------------------------------

const std::string kMeta =
    R"("bb-metadata": {"class-map": {"0": "logo"}, "type": "groundtruth/object-detection"})";
const std::string kGoodBox = R"({"class_id": 0, "left": 1, "top": 2, "width": 3, "height": 4})";

std::string detection_line(const std::string& image, const std::string& annotations) {
  return R"({"source-ref": ")" + image + R"(", "bb": {"annotations": [)" + annotations + "]}, " + kMeta + "}";
}

TEST(ManifestBadRecords, EachBadLineIsReportedAndReadingGoesOn) {
  TempDir dir;
  const std::string manifest = dir.write(
      "bad.manifest",
      join_lines({
          detection_line("good.jpg", kGoodBox),                          // 1
          R"({"source-ref": "x.jpg", "bb": )",                           // 2
          R"({"bb": {"annotations": []}, )" + kMeta + "}",               // 3
          R"({"source-ref": "nometa.jpg", "bb": {"annotations": []}})",  // 4
          detection_line("unknown.jpg",
                         R"({"class_id": 7, "left": 1, "top": 2, "width": 3, "height": 4})"),  // 5
          R"({"source-ref": "cls.jpg", "class": 0, "class-metadata": {"class-name": "logo", "type": "groundtruth/image-classification"}})",  // 6
          R"({"source-ref": "nothing.jpg"})",                                                    // 7
          detection_line("missing.jpg", R"({"class_id": 0, "left": 1, "top": 2, "width": 3})"),  // 8
          detection_line("text.jpg",
                         R"({"class_id": 0, "left": "abc", "top": 2, "width": 3, "height": 4})"),  // 9
          detection_line("nan.jpg",
                         R"({"class_id": 0, "left": NaN, "top": 2, "width": 3, "height": 4}, )"
                         R"({"class_id": 0, "left": 1, "top": 2, "width": 1e999, "height": 4}, )" +
                             kGoodBox),  // 10
          detection_line("negative.jpg",
                         R"({"class_id": 0, "left": -5, "top": 2, "width": 10, "height": 4})"),  // 11
          detection_line("zero.jpg",
                         R"({"class_id": 0, "left": 5, "top": 2, "width": 0, "height": 4})"),  // 12
          R"({"source-ref": "size.jpg", "bb": {"image_size": [{"width": "big", "height": 4}], "annotations": []}, )" +
              kMeta + "}",                       // 13
          "[1, 2]",                              // 14
          detection_line("notobject.jpg", "5"),  // 15
          R"({"source-ref": "two.jpg", "bb": {"annotations": []}, "cc": {"annotations": []}, "cc-metadata": {"class-map": {}}, )" +
              kMeta + "}",  // 16
          detection_line("fraction.jpg",
                         R"({"class_id": 1.5, "left": 1, "top": 2, "width": 3, "height": 4})"),  // 17
          R"({"source-ref": 12, "bb": {"annotations": []}, )" + kMeta + "}",                     // 18
          R"({"source-ref": "arr.jpg", "bb": {"annotations": "oops"}, )" + kMeta + "}",          // 19
          R"({"source-ref": "neg.jpg", "bb": {"image_size": [{"width": -3, "height": 4}], "annotations": []}, )" +
              kMeta + "}",  // 20
      }));
  Problems problems;
  const auto read = read_manifest(manifest, problems, {});
  ASSERT_TRUE(read.ok()) << read.error().message;
  const Dataset& data = *read;
  for (const Problem& problem : problems) EXPECT_EQ(problem.where.file, manifest);

  expect_problem(problems, "bad_json", 2, "", "invalid JSON: parse error at column 30");
  expect_problem(problems, "missing_source_ref", 3, "source-ref", "no source-ref");
  expect_problem(problems, "missing_metadata", 4, "bb-metadata", "\"bb\" holds annotations");
  expect_problem(problems, "unknown_class_id", 5, "bb.annotations[0].class_id",
                 "class_id 7 is not in this line's class-map (ids 0)");
  expect_problem(problems, "classification_label", 6, "class", "image-level classification");
  expect_problem(problems, "missing_attribute", 7, "", "no object-detection attribute");
  expect_problem(problems, "missing_field", 8, "bb.annotations[0].height", "height is missing");
  expect_problem(problems, "non_numeric_field", 9, "bb.annotations[0].left", "left is not a number: \"abc\"");
  expect_problem(problems, "non_finite_coordinate", 10, "bb.annotations[0].left", "left is NaN");
  expect_problem(problems, "non_finite_coordinate", 10, "bb.annotations[1].width", "width is Infinity");
  expect_problem(problems, "negative_coordinate", 11, "bb.annotations[0].left", "left is negative (-5)",
                 Severity::kWarning);
  expect_problem(problems, "degenerate_box", 12, "bb.annotations[0]", "width zero (0)");
  expect_problem(problems, "invalid_image_size", 13, "bb.image_size[0].width",
                 "width is not a number: \"big\"", Severity::kWarning);
  expect_problem(problems, "bad_json", 14, "", "not a JSON object: [1,2]");
  expect_problem(problems, "invalid_record", 15, "bb.annotations[0]", "not an object: 5");
  expect_problem(problems, "multiple_attributes", 16, "bb", "using \"bb\" and ignoring \"cc\"",
                 Severity::kWarning);
  expect_problem(problems, "non_numeric_field", 17, "bb.annotations[0].class_id",
                 "class_id is not an integer: 1.5");
  expect_problem(problems, "missing_source_ref", 18, "source-ref", "not a non-empty string: 12");
  expect_problem(problems, "invalid_record", 19, "bb.annotations",
                 "annotations is not an array: \"oops\"; skipped");
  expect_problem(problems, "invalid_image_size", 20, "bb.image_size[0].width",
                 "width is not a usable size: -3", Severity::kWarning);
  EXPECT_EQ(problems.size(), 20U) << problem_list(problems);

  std::vector<int> lines;
  for (const Sample& sample : data.samples) lines.push_back(sample.source.line);
  EXPECT_EQ(lines, (std::vector<int>{1, 5, 8, 9, 10, 11, 12, 13, 15, 16, 17, 20}));
  EXPECT_EQ(data.box_count(), 4U);
  const Sample& negative = data.samples[5];
  ASSERT_EQ(negative.boxes.size(), 1U);
  EXPECT_EQ(negative.boxes[0].x0, -5);  // kept as read
  ASSERT_EQ(data.samples[6].boxes.size(), 1U);
  EXPECT_EQ(data.samples[6].boxes[0].width(), 0);  // degenerate, kept
  EXPECT_EQ(data.samples[1].image, dir.file("unknown.jpg"));
  EXPECT_TRUE(data.samples[1].boxes.empty());
}

// An input manifest (source-ref only, as `logoscope frames` writes) lists images: for a reader
// that wants images (detect's inputs, dataset next's pool) each line is one; for training data it
// is still a line without labels.
TEST(ManifestBadRecords, InputManifestLinesAreImagesOnlyWhereImagesAreWanted) {
  TempDir dir;
  const std::string manifest = dir.write(
      "frames.manifest", join_lines({R"({"source-ref": "f1.jpg", "frame-time-s": 1.5})",
                                     detection_line("labeled.jpg", kGoodBox),
                                     R"({"source-ref": "f2.jpg"})",
                                     R"({"source-ref": "class.jpg", "class": 1, "class-metadata": {"class-name": "x"}})"}));
  ReadOptions images;
  images.probe_missing_sizes = false;
  images.images_only = true;
  Problems problems;
  const auto listed = read_manifest(manifest, problems, images);
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->samples.size(), 3U) << problem_list(problems);
  EXPECT_EQ(fs::path(listed->samples[0].image).filename(), "f1.jpg");
  EXPECT_TRUE(listed->samples[0].boxes.empty());
  EXPECT_EQ(listed->samples[1].boxes.size(), 1U);
  EXPECT_EQ(fs::path(listed->samples[2].image).filename(), "f2.jpg");
  expect_problem(problems, "classification_label", 4, "class", "image-level classification");

  Problems training_problems;
  ReadOptions labels;
  labels.probe_missing_sizes = false;
  const auto training = read_manifest(manifest, training_problems, labels);
  ASSERT_TRUE(training.ok());
  EXPECT_EQ(training->samples.size(), 1U);
  expect_problem(training_problems, "missing_attribute", 1, "", "no object-detection attribute");
  expect_problem(training_problems, "missing_attribute", 3, "", "no object-detection attribute");
}

TEST(ManifestBadRecords, WholeFileFailures) {
  TempDir dir;
  Problems problems;
  const auto missing = read_manifest(dir.file("none.manifest"), problems, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find(dir.file("none.manifest")), std::string::npos);

  const auto folder = read_manifest(dir.path(), problems, {});
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.error().code, ErrorCode::kNotFound);

  const std::string garbage = dir.write("garbage.manifest", "hello\nworld\n");
  const auto not_json = read_manifest(garbage, problems, {});
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.error().code, ErrorCode::kParse);
  EXPECT_NE(not_json.error().message.find("not a JSON Lines manifest"), std::string::npos);
  EXPECT_NE(not_json.error().message.find(garbage), std::string::npos);

  const std::string classification = dir.write(
      "cls.manifest",
      R"({"source-ref": "a.jpg", "class": 1, "class-metadata": {"class-name": "x", "type": "groundtruth/image-classification"}})"
      "\n");
  const auto image_level = read_manifest(classification, problems, {});
  ASSERT_FALSE(image_level.ok());
  EXPECT_EQ(image_level.error().code, ErrorCode::kInvalidValue);
  EXPECT_NE(image_level.error().message.find("image-classification manifest"), std::string::npos);

  problems.clear();
  const auto empty = read_manifest(dir.write("empty.manifest", "\n\n"), problems, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->samples.empty());
  EXPECT_TRUE(problems.empty());
}

// ---- COCO ------------------------------------------------------------------------------------

TEST(CocoBadRecords, EachBadRecordIsReportedAndReadingGoesOn) {
  TempDir dir;
  const std::string coco = dir.write("bad.json", R"({
  "images": [
    {"id": 1, "file_name": "a.jpg", "width": 10, "height": 10},
    {"id": 1, "file_name": "dup.jpg"},
    {"id": 2},
    "oops",
    {"id": 3, "file_name": "b.jpg", "width": "wide", "height": 5}
  ],
  "categories": [{"id": 1, "name": "logo"}, {"id": 1, "name": "again"}, {"id": 2}],
  "annotations": [
    {"image_id": 1, "category_id": 1, "bbox": [1, 1, 2, 2]},
    {"image_id": 99, "category_id": 1, "bbox": [1, 1, 2, 2]},
    {"image_id": 1, "category_id": 42, "bbox": [1, 1, 2, 2]},
    {"image_id": 1, "category_id": 1},
    {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3]},
    {"image_id": 1, "category_id": 1, "bbox": [1, "two", 3, 4]},
    {"image_id": 1, "category_id": 1, "bbox": [Infinity, 2, 3, 4]},
    {"image_id": 1, "category_id": 1, "bbox": [-2, 2, 3, 4]},
    {"image_id": 1, "category_id": 1, "bbox": [2, 2, 0, 4]},
    {"category_id": 1, "bbox": [2, 2, 1, 1]},
    {"image_id": [1], "category_id": 1, "bbox": [2, 2, 1, 1]},
    7
  ]})");
  Problems problems;
  ReadOptions options;
  options.probe_missing_sizes = false;
  const auto read = read_coco(coco, problems, options);
  ASSERT_TRUE(read.ok()) << read.error().message;
  for (const Problem& problem : problems) EXPECT_EQ(problem.where.file, coco);

  expect_problem(problems, "duplicate_id", 0, "images[1].id", "image id 1 is defined twice");
  expect_problem(problems, "missing_field", 0, "images[2].file_name", "no file_name");
  expect_problem(problems, "invalid_record", 0, "images[3]", "not a JSON object: \"oops\"");
  expect_problem(problems, "invalid_image_size", 0, "images[4].width", "width is not a number: \"wide\"",
                 Severity::kWarning);
  expect_problem(problems, "duplicate_id", 0, "categories[1].id",
                 "category id 1 is defined twice; the first (\"logo\")");
  expect_problem(problems, "missing_field", 0, "categories[2].name", "no name");
  expect_problem(problems, "unknown_image_id", 0, "annotations[1].image_id", "image_id 99");
  expect_problem(problems, "unknown_class_id", 0, "annotations[2].category_id",
                 "category_id 42 is not defined");
  expect_problem(problems, "missing_field", 0, "annotations[3].bbox", "bbox is missing");
  expect_problem(problems, "invalid_record", 0, "annotations[4].bbox", "not [x, y, width, height]: [1,2,3]");
  expect_problem(problems, "non_numeric_field", 0, "annotations[5].bbox[1]", "y is not a number: \"two\"");
  expect_problem(problems, "non_finite_coordinate", 0, "annotations[6].bbox[0]", "x is Infinity");
  expect_problem(problems, "negative_coordinate", 0, "annotations[7].bbox.x", "x is negative (-2)",
                 Severity::kWarning);
  expect_problem(problems, "degenerate_box", 0, "annotations[8].bbox", "width zero (0)");
  expect_problem(problems, "missing_field", 0, "annotations[9].image_id", "image_id is missing");
  expect_problem(problems, "non_numeric_field", 0, "annotations[10].image_id",
                 "image_id is not an integer id: [1]");
  expect_problem(problems, "invalid_record", 0, "annotations[11]", "not a JSON object: 7");
  EXPECT_EQ(problems.size(), 17U) << problem_list(problems);

  ASSERT_EQ(read->samples.size(), 2U);
  EXPECT_EQ(read->samples[0].boxes.size(), 3U);  // the good, the negative and the degenerate box
  EXPECT_EQ(read->labels, (std::vector<std::string>{"logo"}));
  const Problem& unknown_class = *std::find_if(problems.begin(), problems.end(),
                                               [](const Problem& p) { return p.kind == "unknown_class_id"; });
  EXPECT_EQ(unknown_class.image, dir.file("a.jpg"));
}

TEST(CocoBadRecords, WholeFileFailures) {
  TempDir dir;
  Problems problems;
  const auto missing = read_coco(dir.file("none.json"), problems, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  const std::string broken = dir.write("broken.json", "{\"images\": [\n  {\"id\": 1,, }\n]}");
  const auto invalid = read_coco(broken, problems, {});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kParse);
  EXPECT_NE(invalid.error().message.find(broken), std::string::npos);
  EXPECT_NE(invalid.error().message.find("line 2"), std::string::npos) << invalid.error().message;

  const std::string array = dir.write("array.json", "[1, 2]");
  const auto not_coco = read_coco(array, problems, {});
  ASSERT_FALSE(not_coco.ok());
  EXPECT_EQ(not_coco.error().code, ErrorCode::kParse);
  EXPECT_NE(not_coco.error().message.find("not a COCO dataset"), std::string::npos);
  EXPECT_TRUE(problems.empty());
}

// ---- YOLO ------------------------------------------------------------------------------------

TEST(YoloBadRecords, EachBadLineIsReportedAndReadingGoesOn) {
  TempDir dir;
  write_image(dir, "images/a.jpg", 40, 20);
  const std::string labels = dir.write("labels/a.txt", join_lines({
                                                           "0 0.5 0.5 0.2 0.2",      // 1
                                                           "0 0.5 0.5 0.2",          // 2
                                                           "5 0.5 0.5 0.2 0.2",      // 3
                                                           "0 1.5 0.5 0.2 0.2",      // 4
                                                           "x 0.5 0.5 0.2 0.2",      // 5
                                                           "0 0.5 abc 0.2 0.2",      // 6
                                                           "0 nan 0.5 0.2 0.2",      // 7
                                                           "1 0.5 0.5 0 0",          // 8
                                                           "0 0.5 0.5 0.2 0.2 0.9",  // 9
                                                           "-1 0.5 0.5 0.2 0.2",     // 10
                                                       }));
  dir.write("classes.txt", "a\nb\n");
  dir.write("images/broken.jpg", "this is not an image");
  const std::string broken_labels = dir.write("labels/broken.txt", "0 0.5 0.5 0.1 0.1\n");
  const std::string orphan = dir.write("labels/orphan.txt", "0 0.5 0.5 0.1 0.1\n");
  Problems problems;
  const auto read = read_yolo(dir.path(), problems, {});
  ASSERT_TRUE(read.ok()) << read.error().message;

  expect_problem(problems, "wrong_field_count", 2, "", "expected 5 fields (class cx cy w h), found 4",
                 Severity::kError, labels);
  expect_problem(problems, "unknown_class_id", 3, "class", "class 5 is out of range (2 class names");
  expect_problem(problems, "value_out_of_range", 4, "cx", "cx 1.5 is outside [0, 1]", Severity::kWarning);
  expect_problem(problems, "non_numeric_field", 5, "class", "class \"x\" is not an integer");
  expect_problem(problems, "non_numeric_field", 6, "cy", "cy \"abc\" is not a number");
  expect_problem(problems, "non_finite_coordinate", 7, "cx", "cx is nan");
  expect_problem(problems, "degenerate_box", 8, "", "width zero (0), height zero (0)");
  expect_problem(problems, "wrong_field_count", 9, "", "found 6");
  expect_problem(problems, "unknown_class_id", 10, "class", "class -1");
  expect_problem(problems, "unknown_image_size", 0, "", "1 box(es) dropped", Severity::kError, broken_labels);
  expect_problem(problems, "label_without_image", 0, "", "no matching image", Severity::kWarning, orphan);
  EXPECT_EQ(problems.size(), 11U) << problem_list(problems);

  ASSERT_EQ(read->samples.size(), 2U);
  EXPECT_EQ(read->samples[0].image, dir.file("images/a.jpg"));
  ASSERT_EQ(read->samples[0].boxes.size(), 3U);  // lines 1, 4 and 8
  EXPECT_NEAR(read->samples[0].boxes[1].x0, 56, 1e-9);
  EXPECT_EQ(read->samples[0].boxes[2].label, 1);
  EXPECT_TRUE(read->samples[1].boxes.empty());
}

TEST(YoloBadRecords, MissingNamesAndSplitsAreWarnings) {
  TempDir dir;
  write_image(dir, "images/a.jpg", 10, 10);
  dir.write("labels/a.txt", "3 0.5 0.5 0.5 0.5\n");
  dir.write("data.yaml", "train: images\nval: gone/images\n");
  Problems problems;
  const auto read = read_yolo(dir.file("data.yaml"), problems, {});
  ASSERT_TRUE(read.ok()) << read.error().message;
  expect_problem(problems, "missing_class_names", 0, "names", "labels are named by their class id",
                 Severity::kWarning);
  expect_problem(problems, "missing_split", 0, "val", "gone/images does not exist", Severity::kWarning,
                 dir.file("data.yaml"));
  EXPECT_EQ(read->labels, (std::vector<std::string>{"3"}));
  EXPECT_EQ(read->box_count(), 1U);
}

TEST(YoloBadRecords, NamesMapWithANonIntegerKeyIsReported) {
  TempDir dir;
  write_image(dir, "images/a.jpg", 10, 10);
  const std::string yaml = dir.write("data.yaml", "train: images\nnames:\n  0: a\n  x: b\n");
  Problems problems;
  const auto read = read_yolo(yaml, problems, {});
  ASSERT_TRUE(read.ok()) << read.error().message;
  expect_problem(problems, "invalid_record", 0, "names.x", "class id \"x\" in names is not a",
                 Severity::kError, yaml);
  EXPECT_EQ(problems.size(), 1U) << problem_list(problems);
  EXPECT_EQ(read->labels, (std::vector<std::string>{"a"}));
}

TEST(YoloBadRecords, WholeInputFailures) {
  TempDir dir;
  Problems problems;
  const auto missing = read_yolo(dir.file("none"), problems, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  fs::create_directories(dir.file("only_labels/labels"));
  const auto no_images = read_yolo(dir.file("only_labels"), problems, {});
  ASSERT_FALSE(no_images.ok());
  EXPECT_EQ(no_images.error().code, ErrorCode::kNotFound);
  EXPECT_NE(no_images.error().message.find("no images/ folder"), std::string::npos);

  const auto not_yaml = read_yolo(dir.write("x.yaml", "hello world\n"), problems, {});
  ASSERT_FALSE(not_yaml.ok());
  EXPECT_EQ(not_yaml.error().code, ErrorCode::kParse);
  EXPECT_NE(not_yaml.error().message.find("not a YOLO data.yaml"), std::string::npos);
}

// ---- VOC -------------------------------------------------------------------------------------

TEST(VocBadRecords, EachBadRecordIsReportedAndReadingGoesOn) {
  TempDir dir;
  const std::string bad = dir.write("bad.xml", "<annotation><filename>x.jpg</filename>\n");
  const std::string not_voc = dir.write("notvoc.xml", "<foo/>\n");
  const std::string nameless = dir.write("nofile.xml", "<annotation><object/></annotation>\n");
  const auto object = [](const std::string& inner) { return "  <object>" + inner + "</object>"; };
  const auto bndbox = [](const std::string& xmin, const std::string& xmax) {
    return "<bndbox><xmin>" + xmin + "</xmin><ymin>1</ymin><xmax>" + xmax + "</xmax><ymax>5</ymax></bndbox>";
  };
  const std::string name = "<name>logo</name>";
  const std::string objects = dir.write(
      "objects.xml", join_lines({
                         "<annotation>",                                                                // 1
                         "  <filename>o.jpg</filename>",                                                // 2
                         "  <size><width>abc</width><height>10</height></size>",                        // 3
                         object(bndbox("1", "2")),                                                      // 4
                         object(name),                                                                  // 5
                         object(name + bndbox("abc", "2")),                                             // 6
                         object(name + bndbox("nan", "2")),                                             // 7
                         object(name + bndbox("-3", "5")),                                              // 8
                         object(name + bndbox("6", "5")),                                               // 9
                         object(name + "<bndbox><xmin>1</xmin><ymin>1</ymin><ymax>5</ymax></bndbox>"),  // 10
                         "</annotation>",                                                               // 11
                     }));
  Problems problems;
  ReadOptions options;
  options.probe_missing_sizes = false;
  const auto read = read_voc(dir.path(), problems, options);
  ASSERT_TRUE(read.ok()) << read.error().message;

  expect_problem(problems, "bad_xml", 0, "", "invalid XML", Severity::kError, bad);
  expect_problem(problems, "bad_xml", 0, "", "not a Pascal VOC annotation (root element <foo>",
                 Severity::kError, not_voc);
  expect_problem(problems, "missing_field", 1, "filename", "neither <filename> nor <path>", Severity::kError,
                 nameless);
  expect_problem(problems, "invalid_image_size", 3, "size", "size \"abc\" x \"10\"", Severity::kWarning,
                 objects);
  expect_problem(problems, "missing_field", 4, "object[0].name", "no <name>");
  expect_problem(problems, "missing_field", 5, "object[1].bndbox", "\"logo\" has no <bndbox>");
  expect_problem(problems, "non_numeric_field", 6, "object[2].bndbox.xmin", "xmin is not a number: \"abc\"");
  expect_problem(problems, "non_finite_coordinate", 7, "object[3].bndbox.xmin", "xmin is nan");
  expect_problem(problems, "negative_coordinate", 8, "object[4].bndbox.xmin", "xmin is negative (-3)",
                 Severity::kWarning);
  expect_problem(problems, "degenerate_box", 9, "object[5].bndbox", "width zero (0)");
  expect_problem(problems, "missing_field", 10, "object[6].bndbox.xmax", "xmax is missing");
  EXPECT_EQ(problems.size(), 11U) << problem_list(problems);

  ASSERT_EQ(read->samples.size(), 1U);
  EXPECT_EQ(read->samples[0].source.file, objects);
  ASSERT_EQ(read->samples[0].boxes.size(), 2U);
  EXPECT_EQ(read->samples[0].boxes[0].x0, -4);
  EXPECT_EQ(read->samples[0].boxes[1].width(), 0);
}

TEST(VocBadRecords, WholeInputFailures) {
  TempDir dir;
  Problems problems;
  const auto missing = read_voc(dir.file("none.xml"), problems, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  const std::string bad = dir.write("bad.xml", "<annotation>\n<filename>x</filename>\n");
  const auto invalid = read_voc(bad, problems, {});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kParse);
  EXPECT_NE(invalid.error().message.find(bad + ": invalid XML at line"), std::string::npos)
      << invalid.error().message;

  const auto not_voc = read_voc(dir.write("other.xml", "<svg/>"), problems, {});
  ASSERT_FALSE(not_voc.ok());
  EXPECT_EQ(not_voc.error().code, ErrorCode::kParse);

  fs::create_directories(dir.file("empty"));
  const auto empty = read_voc(dir.file("empty"), problems, {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(problems.empty());
}

TEST(ReadDataset, S3FolderFormatsAreRefusedClearly) {
  // Manifests and COCO files are read from S3 (tests/storage); YOLO and VOC are folders.
  Problems problems;
  for (const char* uri : {"s3://bucket/data.yaml", "s3://bucket/voc/", "s3://bucket/annotations/a.xml"}) {
    const auto read = read_dataset(uri, std::nullopt, problems);
    ASSERT_FALSE(read.ok()) << uri;
    EXPECT_EQ(read.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(read.error().message.find("read locally"), std::string::npos) << read.error().message;
  }
}

}  // namespace
}  // namespace logoscope::dataset
