// Readers and writers of the four dataset formats: golden inputs with exact expected boxes,
// writer output checks, and round trips across all formats.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <iterator>
#include <tuple>
#include <set>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/paths.hpp"
#include "dataset/formats.hpp"
#include "dataset/image_copy.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace logoscope::dataset {
namespace {

using logoscope::testing::TempDir;

std::string write_image(const TempDir& dir, const std::string& name, int width, int height) {
  std::string path = dir.file(name);
  fs::create_directories(fs::path(path).parent_path());
  const cv::Mat image(height, width, CV_8UC3, cv::Scalar(40, 90, 160));
  EXPECT_TRUE(cv::imwrite(path, image)) << path;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Box make_box(double x0, double y0, double x1, double y1, int label, bool ignore = false,
             bool difficult = false) {
  Box box;
  box.x0 = x0;
  box.y0 = y0;
  box.x1 = x1;
  box.y1 = y1;
  box.label = label;
  box.ignore = ignore;
  box.difficult = difficult;
  return box;
}

void expect_box(const Box& box, double x0, double y0, double x1, double y1, int label) {
  EXPECT_NEAR(box.x0, x0, 1e-9);
  EXPECT_NEAR(box.y0, y0, 1e-9);
  EXPECT_NEAR(box.x1, x1, 1e-9);
  EXPECT_NEAR(box.y1, y1, 1e-9);
  EXPECT_EQ(box.label, label);
}

Dataset read_ok(const std::string& path, std::optional<DatasetFormat> format, Problems& problems) {
  auto dataset = read_dataset(path, format, problems);
  EXPECT_TRUE(dataset.ok()) << (dataset ? "" : dataset.error().message);
  return dataset ? std::move(dataset).value() : Dataset{};
}

std::string problem_list(const Problems& problems) {
  std::string text;
  for (const Problem& problem : problems) text += format_problem(problem) + "\n";
  return text;
}

// ---- names and detection ---------------------------------------------------------------------

TEST(ImageCopy, SameNamesFromDifferentFoldersNeverShareACopy) {
  // a/x.jpg, b/x.jpg and c/x_2.jpg: three different files, three different copies, each sample
  // pointing at the bytes it had.
  const TempDir dir;
  Dataset data;
  data.labels = {"logo"};
  for (const auto& [folder, name, bytes] : std::vector<std::tuple<std::string, std::string, std::string>>{
           {"a", "x.jpg", "first"}, {"b", "x.jpg", "second"}, {"c", "x_2.jpg", "third"}, {"a", "x.jpg", "first"}}) {
    fs::create_directories(dir.path() + "/" + folder);
    const std::string path = dir.path() + "/" + folder + "/" + name;
    std::ofstream(path) << bytes;
    data.samples.push_back(Sample{path, 0, 0, {}, {}});
  }
  // A file already in the destination under the first name, with other bytes, is left alone.
  fs::create_directories(dir.path() + "/out/images");
  std::ofstream(dir.path() + "/out/images/x_3.jpg") << "someone else's";
  const auto copied = copy_dataset_images(data, dir.path() + "/out");
  ASSERT_TRUE(copied) << copied.error().message;
  std::set<std::string> targets;
  for (std::size_t i = 0; i < data.samples.size(); ++i) {
    std::ifstream original(data.samples[i].image);
    std::ifstream copy(copied->samples[i].image);
    const std::string want((std::istreambuf_iterator<char>(original)), {});
    const std::string got((std::istreambuf_iterator<char>(copy)), {});
    EXPECT_EQ(got, want) << copied->samples[i].image;
    targets.insert(copied->samples[i].image);
  }
  EXPECT_EQ(targets.size(), 3U) << "the sample listed twice shares its copy; the others do not";
  std::ifstream untouched(dir.path() + "/out/images/x_3.jpg");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(untouched)), {}), "someone else's");
}

TEST(DatasetFormat, NamesParseCaseInsensitively) {
  EXPECT_EQ(*parse_dataset_format("Manifest"), DatasetFormat::kManifest);
  EXPECT_EQ(*parse_dataset_format("GT"), DatasetFormat::kManifest);
  EXPECT_EQ(*parse_dataset_format("coco"), DatasetFormat::kCoco);
  EXPECT_EQ(*parse_dataset_format("YOLO"), DatasetFormat::kYolo);
  EXPECT_EQ(*parse_dataset_format("voc"), DatasetFormat::kVoc);
  const auto bad = parse_dataset_format("kitti");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("kitti"), std::string::npos);
  EXPECT_STREQ(dataset_format_name(DatasetFormat::kVoc), "voc");
}

TEST(DatasetFormat, DetectsFromExtensionAndFolderLayout) {
  TempDir dir;
  EXPECT_EQ(*detect_dataset_format(dir.write("a.manifest", "")), DatasetFormat::kManifest);
  EXPECT_EQ(*detect_dataset_format(dir.write("a.jsonl", "")), DatasetFormat::kManifest);
  EXPECT_EQ(*detect_dataset_format(dir.write("a.json", "")), DatasetFormat::kCoco);
  EXPECT_EQ(*detect_dataset_format(dir.write("d.yaml", "")), DatasetFormat::kYolo);
  EXPECT_EQ(*detect_dataset_format(dir.write("x.XML", "")), DatasetFormat::kVoc);
  fs::create_directories(dir.file("voc/Annotations"));
  EXPECT_EQ(*detect_dataset_format(dir.file("voc")), DatasetFormat::kVoc);
  fs::create_directories(dir.file("yolo/labels"));
  EXPECT_EQ(*detect_dataset_format(dir.file("yolo")), DatasetFormat::kYolo);
  const auto missing = detect_dataset_format(dir.file("nope.json"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  const auto unknown = detect_dataset_format(dir.write("a.csv", ""));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnsupportedFormat);
  fs::create_directories(dir.file("plain"));
  EXPECT_FALSE(detect_dataset_format(dir.file("plain")).ok());
}

// ---- golden inputs ---------------------------------------------------------------------------

TEST(ManifestFormat, ReadsGroundTruthLinesWithPerLineClassMaps) {
  TempDir dir;
  const std::string manifest = dir.write(
      "sets/train.manifest",
      R"({"source-ref": "images/a.jpg", "bounding-box": {"image_size": [{"width": 640, "height": 480, "depth": 3}], "annotations": [{"class_id": 1, "top": 251, "left": 399, "width": 155, "height": 101}, {"class_id": 0, "top": 0, "left": 0, "width": 10, "height": 20}]}, "bounding-box-metadata": {"objects": [{"confidence": 1}, {"confidence": 1}], "class-map": {"0": "Echo", "1": "Echo Dot"}, "type": "groundtruth/object-detection", "human-annotated": "yes", "creation-date": "2013-11-18T02:53:27", "job-name": "my job"}}

{"source-ref": "s3://bucket/b.png", "my-job": {"image_size": [{"width": 100, "height": 50, "depth": 3}], "annotations": [{"class_id": 0, "left": 1, "top": 2, "width": 3, "height": 4, "logoscope-ignore": true, "logoscope-difficult": true}]}, "my-job-metadata": {"objects": [{"confidence": 0.9}], "class-map": {"0": "Echo Dot", "5": "Echo"}, "type": "groundtruth/object-detection"}}
{"source-ref": "/abs/c.jpg", "bounding-box": {"image_size": [{"width": 32, "height": 16, "depth": 3}], "annotations": []}, "bounding-box-metadata": {"objects": [], "class-map": {}, "type": "groundtruth/object-detection"}}
)");
  Problems problems;
  const Dataset data = read_ok(manifest, std::nullopt, problems);
  EXPECT_TRUE(problems.empty()) << problem_list(problems);
  ASSERT_EQ(data.labels, (std::vector<std::string>{"Echo", "Echo Dot"}));
  ASSERT_EQ(data.samples.size(), 3U);

  const Sample& a = data.samples[0];
  EXPECT_EQ(a.image, dir.file("sets/images/a.jpg"));
  EXPECT_EQ(a.width, 640);
  EXPECT_EQ(a.height, 480);
  EXPECT_EQ(a.source.file, manifest);
  EXPECT_EQ(a.source.line, 1);
  ASSERT_EQ(a.boxes.size(), 2U);
  expect_box(a.boxes[0], 399, 251, 554, 352, 1);
  expect_box(a.boxes[1], 0, 0, 10, 20, 0);
  EXPECT_FALSE(a.boxes[0].ignore);

  const Sample& b = data.samples[1];
  EXPECT_EQ(b.image, "s3://bucket/b.png");
  EXPECT_EQ(b.source.line, 3);  // the blank line 2 is skipped but counted
  ASSERT_EQ(b.boxes.size(), 1U);
  expect_box(b.boxes[0], 1, 2, 4, 6, 1);  // class 0 of this line is "Echo Dot"
  EXPECT_TRUE(b.boxes[0].ignore);
  EXPECT_TRUE(b.boxes[0].difficult);

  EXPECT_EQ(data.samples[2].image, "/abs/c.jpg");
  EXPECT_TRUE(data.samples[2].boxes.empty());
  EXPECT_EQ(data.samples[2].width, 32);
}

TEST(ManifestFormat, ProbesMissingImageSizes) {
  TempDir dir;
  write_image(dir, "a.png", 24, 12);
  const std::string manifest = dir.write(
      "m.manifest", R"({"source-ref": "a.png", "bb": {"annotations": []}, "bb-metadata": {"class-map": {}}})"
                    "\n");
  Problems problems;
  const Dataset data = read_ok(manifest, DatasetFormat::kManifest, problems);
  ASSERT_EQ(data.samples.size(), 1U);
  EXPECT_EQ(data.samples[0].width, 24);
  EXPECT_EQ(data.samples[0].height, 12);
  Problems again;
  ReadOptions no_probe;
  no_probe.probe_missing_sizes = false;
  const auto unprobed = read_manifest(manifest, again, no_probe);
  ASSERT_TRUE(unprobed.ok());
  EXPECT_EQ(unprobed->samples[0].width, 0);
}

TEST(CocoFormat, ReadsImagesAnnotationsAndCategories) {
  TempDir dir;
  const std::string coco = dir.write("ann/coco.json", R"({
    "images": [{"id": 7, "file_name": "images/x.jpg", "width": 100, "height": 80},
               {"id": 9, "file_name": "/abs/y.jpg", "width": 50, "height": 40}],
    "annotations": [{"id": 1, "image_id": 7, "category_id": 3, "bbox": [10.5, 20, 30, 40], "iscrowd": 0},
                    {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 5, 5], "iscrowd": 1}],
    "categories": [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog", "supercategory": "animal"}]})");
  Problems problems;
  const Dataset data = read_ok(coco, std::nullopt, problems);
  EXPECT_TRUE(problems.empty()) << problem_list(problems);
  ASSERT_EQ(data.labels, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_EQ(data.samples.size(), 2U);
  EXPECT_EQ(data.samples[0].image, dir.file("ann/images/x.jpg"));
  EXPECT_EQ(data.samples[0].width, 100);
  EXPECT_EQ(data.samples[0].height, 80);
  ASSERT_EQ(data.samples[0].boxes.size(), 2U);
  expect_box(data.samples[0].boxes[0], 10.5, 20, 40.5, 60, 1);
  EXPECT_FALSE(data.samples[0].boxes[0].ignore);
  expect_box(data.samples[0].boxes[1], 0, 0, 5, 5, 0);
  EXPECT_TRUE(data.samples[0].boxes[1].ignore);
  EXPECT_EQ(data.samples[1].image, "/abs/y.jpg");
  EXPECT_TRUE(data.samples[1].boxes.empty());  // an image without annotations is kept
}

TEST(CocoFormat, ReadsPythonStyleNanAsAReportedBadBoxWithoutLosingTheFile) {
  TempDir dir;
  const std::string coco = dir.write("c.json", R"({"images": [{"id": 1, "file_name": "a.jpg"}],
    "annotations": [{"image_id": 1, "category_id": 1, "bbox": [NaN, 0, 1, 1]},
                    {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}],
    "categories": [{"id": 1, "name": "x"}]})");
  Problems problems;
  const Dataset data = read_ok(coco, std::nullopt, problems);
  ASSERT_EQ(data.box_count(), 1U);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_EQ(problems[0].kind, "non_finite_coordinate");
}

// Found by fuzz_coco: an id written as a whole number beyond int64 (3.1e69) was converted to an
// integer (undefined behaviour); it is now an id of its own, and 3.0 is still the id 3.
TEST(CocoFormat, IdsBeyondInt64AreKeysNotConversions) {
  TempDir dir;
  const std::string coco = dir.write("c.json", R"({"images": [{"id": 3.0, "file_name": "a.jpg"},
                                                              {"id": 3.1e69, "file_name": "b.jpg"}],
    "annotations": [{"image_id": 3, "category_id": 3111111111111111111111111111111111111111111111111111111111111111111111,
                     "bbox": [1, 2, 3, 4]},
                    {"image_id": 3.1e69, "category_id": 1, "bbox": [1, 2, 3, 4]}],
    "categories": [{"id": 1, "name": "x"}, {"id": 3.111111111111111e69, "name": "y"}]})");
  Problems problems;
  const Dataset data = read_ok(coco, std::nullopt, problems);
  ASSERT_EQ(data.samples.size(), 2U);
  EXPECT_EQ(data.box_count(), 2U);
}

class YoloNames : public ::testing::TestWithParam<std::string> {};

TEST_P(YoloNames, ReadsSplitFoldersAndEveryNamesForm) {
  TempDir dir;
  write_image(dir, "images/train/a.jpg", 40, 20);
  write_image(dir, "images/val/b.png", 100, 50);
  dir.write("labels/train/a.txt", "1 0.5 0.5 0.25 0.5\n");
  dir.write("labels/val/b.txt", "0 0.1 0.2 0.2 0.4\r\n\n");
  dir.write("data.yaml", "# comment\npath: .\ntrain: images/train\nval: images/val\n" + GetParam());
  Problems problems;
  for (const std::string& input : {dir.path(), dir.file("data.yaml")}) {
    problems.clear();
    const Dataset data = read_ok(input, DatasetFormat::kYolo, problems);
    EXPECT_TRUE(problems.empty()) << problem_list(problems);
    ASSERT_EQ(data.labels, (std::vector<std::string>{"red bull", "it's"}));
    ASSERT_EQ(data.samples.size(), 2U);
    EXPECT_EQ(data.samples[0].image, dir.file("images/train/a.jpg"));
    EXPECT_EQ(data.samples[0].width, 40);
    EXPECT_EQ(data.samples[0].height, 20);
    ASSERT_EQ(data.samples[0].boxes.size(), 1U);
    expect_box(data.samples[0].boxes[0], 15, 5, 25, 15, 1);
    EXPECT_EQ(data.samples[0].source.file, dir.file("labels/train/a.txt"));
    ASSERT_EQ(data.samples[1].boxes.size(), 1U);
    expect_box(data.samples[1].boxes[0], 0, 0, 20, 20, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, YoloNames,
    ::testing::Values("names: ['red bull', \"it's\"]\n", "names:\n  - red bull  # first\n  - it's\n",
                      "names:\n- \"red bull\"\n- 'it''s'\n", "names:\n  0: red bull\n  1: it's\n",
                      "names: {0: red bull, 1: \"it's\"}\n", "nc: 2\nnames: [\n  red bull,\n  it's]\n"));

TEST(YoloFormat, FolderWithoutYamlTakesNamesFromClassesTxtOrObjNames) {
  for (const char* names_file : {"classes.txt", "obj.names", "labels/classes.txt"}) {
    TempDir dir;
    write_image(dir, "images/a.jpg", 40, 20);
    write_image(dir, "images/empty.jpg", 8, 8);
    dir.write("labels/a.txt", "1 0.5 0.5 0.5 0.5\n");
    dir.write(names_file, "adidas\nnike\n\n");
    Problems problems;
    const Dataset data = read_ok(dir.path(), std::nullopt, problems);
    EXPECT_TRUE(problems.empty()) << names_file << "\n" << problem_list(problems);
    EXPECT_EQ(data.labels, (std::vector<std::string>{"adidas", "nike"})) << names_file;
    ASSERT_EQ(data.samples.size(), 2U);
    expect_box(data.samples[0].boxes[0], 10, 5, 30, 15, 1);
    EXPECT_TRUE(data.samples[1].boxes.empty());  // no label file: a background image
    EXPECT_EQ(data.samples[1].width, 8);
  }
}

TEST(YoloFormat, YamlSplitsMayBeListFilesAndListsOfFolders) {
  TempDir dir;
  write_image(dir, "set/images/a.jpg", 10, 10);
  write_image(dir, "set/images/b.jpg", 10, 10);
  write_image(dir, "more/images/c.jpg", 10, 10);
  dir.write("set/labels/a.txt", "0 0.5 0.5 1 1\n");
  dir.write("set/train.txt", "images/a.jpg\n./images/b.jpg\n");
  dir.write("set/data.yaml",
            "path: " + dir.file("set") + "\ntrain: train.txt\nval: [../more/images]\nnames: [x]\n");
  Problems problems;
  const Dataset data = read_ok(dir.file("set/data.yaml"), std::nullopt, problems);
  EXPECT_TRUE(problems.empty()) << problem_list(problems);
  ASSERT_EQ(data.samples.size(), 3U);
  EXPECT_EQ(data.samples[0].image, dir.file("more/images/c.jpg"));
  EXPECT_EQ(data.samples[1].image, dir.file("set/images/a.jpg"));
  expect_box(data.samples[1].boxes[0], 0, 0, 10, 10, 0);
}

std::string voc_xml(const std::string& filename, const std::string& path, const std::string& objects) {
  return "<annotation>\n  <folder>x</folder>\n  <filename>" + filename + "</filename>\n" +
         (path.empty() ? "" : "  <path>" + path + "</path>\n") +
         "  <size><width>64</width><height>48</height><depth>3</depth></size>\n" + objects +
         "</annotation>\n";
}

std::string voc_object(const std::string& name, int xmin, int ymin, int xmax, int ymax, int difficult = 0) {
  return "  <object><name>" + name + "</name><difficult>" + std::to_string(difficult) +
         "</difficult><bndbox><xmin>" + std::to_string(xmin) + "</xmin><ymin>" + std::to_string(ymin) +
         "</ymin><xmax>" + std::to_string(xmax) + "</xmax><ymax>" + std::to_string(ymax) +
         "</ymax></bndbox></object>\n";
}

TEST(VocFormat, ReadsOneBasedInclusiveCornersAndResolvesImages) {
  TempDir dir;
  write_image(dir, "voc/JPEGImages/a.jpg", 64, 48);
  write_image(dir, "voc/Annotations/b.jpg", 64, 48);
  write_image(dir, "voc/images/c.jpg", 64, 48);
  const std::string elsewhere = write_image(dir, "elsewhere/d.jpg", 64, 48);
  dir.write(
      "voc/Annotations/a.xml",
      voc_xml("a.jpg", "/gone/a.jpg", voc_object("dog", 1, 1, 10, 20) + voc_object("cat", 5, 6, 7, 8, 1)));
  dir.write("voc/Annotations/b.xml", voc_xml("b.jpg", "", ""));
  dir.write("voc/Annotations/c.xml", voc_xml("c.jpg", "", ""));
  dir.write("voc/Annotations/d.xml", voc_xml("d.jpg", elsewhere, ""));
  dir.write("voc/Annotations/e.xml", voc_xml("e.jpg", "", ""));
  Problems problems;
  const Dataset data = read_ok(dir.file("voc"), std::nullopt, problems);
  EXPECT_TRUE(problems.empty()) << problem_list(problems);
  ASSERT_EQ(data.samples.size(), 5U);
  EXPECT_EQ(data.labels, (std::vector<std::string>{"dog", "cat"}));
  const Sample& a = data.samples[0];
  EXPECT_EQ(a.image, dir.file("voc/JPEGImages/a.jpg"));
  EXPECT_EQ(a.width, 64);
  EXPECT_EQ(a.height, 48);
  EXPECT_EQ(a.source.file, dir.file("voc/Annotations/a.xml"));
  ASSERT_EQ(a.boxes.size(), 2U);
  expect_box(a.boxes[0], 0, 0, 10, 20, 0);
  EXPECT_FALSE(a.boxes[0].difficult);
  expect_box(a.boxes[1], 4, 5, 7, 8, 1);
  EXPECT_TRUE(a.boxes[1].difficult);
  EXPECT_EQ(data.samples[1].image, dir.file("voc/Annotations/b.jpg"));
  EXPECT_EQ(data.samples[2].image, dir.file("voc/images/c.jpg"));
  EXPECT_EQ(data.samples[3].image, elsewhere);
  EXPECT_EQ(data.samples[4].image, dir.file("voc/JPEGImages/e.jpg"));  // the guess

  problems.clear();
  const Dataset single = read_ok(dir.file("voc/Annotations/a.xml"), std::nullopt, problems);
  ASSERT_EQ(single.samples.size(), 1U);
  EXPECT_EQ(single.box_count(), 2U);
  const Dataset folder_of_xml = read_ok(dir.file("voc/Annotations"), DatasetFormat::kVoc, problems);
  EXPECT_EQ(folder_of_xml.samples.size(), 5U);
}

// ---- writers ---------------------------------------------------------------------------------

// Three labeled images, a background image, and degenerate / outside / flagged boxes; two images
// share the file name a.jpg.
struct Reference {
  TempDir dir;
  Dataset data;

  Reference() {
    data.labels = {"Adidas", "Red Bull", "yes"};
    add("imgs/a.jpg", 64, 48, {make_box(10, 5, 30, 25, 0), make_box(0, 0, 64, 48, 1, /*ignore=*/true)});
    add("imgs/sub/a.jpg", 40, 30, {make_box(2, 3, 12, 13, 2, false, /*difficult=*/true)});
    add("imgs/empty.png", 32, 32, {});
    add("imgs/odd.jpg", 50, 40,
        {make_box(3, 20, 3, 20, 1), make_box(20, 10, 15, 30, 0), make_box(-4, 2, 10, 12, 2)});
  }

  void add(const std::string& name, int width, int height, std::vector<Box> boxes) {
    Sample sample;
    sample.image = write_image(dir, name, width, height);
    sample.width = width;
    sample.height = height;
    sample.boxes = std::move(boxes);
    data.samples.push_back(std::move(sample));
  }
};

struct Carried {
  bool flags = true;  // ignore / difficult
  double tolerance = 0;
};

// Same images (as files), sizes, boxes (by label name, in order) and label names.
void expect_same(const Dataset& expected, const Dataset& actual, Carried carried = {}) {
  std::vector<std::string> expected_labels = expected.labels;
  std::vector<std::string> actual_labels = actual.labels;
  std::sort(expected_labels.begin(), expected_labels.end());
  std::sort(actual_labels.begin(), actual_labels.end());
  EXPECT_EQ(expected_labels, actual_labels);
  ASSERT_EQ(expected.samples.size(), actual.samples.size());
  for (const Sample& want : expected.samples) {
    const auto found = std::find_if(actual.samples.begin(), actual.samples.end(),
                                    [&](const Sample& got) { return same_file(got.image, want.image); });
    ASSERT_NE(found, actual.samples.end()) << want.image;
    const Sample& got = *found;
    EXPECT_EQ(got.width, want.width) << want.image;
    EXPECT_EQ(got.height, want.height) << want.image;
    ASSERT_EQ(got.boxes.size(), want.boxes.size()) << want.image;
    for (std::size_t box_idx = 0; box_idx < want.boxes.size(); ++box_idx) {
      const Box& w = want.boxes[box_idx];
      const Box& g = got.boxes[box_idx];
      EXPECT_EQ(actual.labels[static_cast<std::size_t>(g.label)],
                expected.labels[static_cast<std::size_t>(w.label)]);
      EXPECT_NEAR(g.x0, w.x0, carried.tolerance) << want.image << " box " << box_idx;
      EXPECT_NEAR(g.y0, w.y0, carried.tolerance) << want.image << " box " << box_idx;
      EXPECT_NEAR(g.x1, w.x1, carried.tolerance) << want.image << " box " << box_idx;
      EXPECT_NEAR(g.y1, w.y1, carried.tolerance) << want.image << " box " << box_idx;
      if (carried.flags) {
        EXPECT_EQ(g.ignore, w.ignore) << want.image << " box " << box_idx;
        EXPECT_EQ(g.difficult, w.difficult) << want.image << " box " << box_idx;
      }
    }
  }
}

Dataset write_then_read(const Dataset& data, const std::string& path, DatasetFormat format) {
  const Status written = write_dataset(data, path, format);
  EXPECT_TRUE(written.ok()) << (written ? "" : written.error().message);
  Problems problems;
  return read_ok(path, format, problems);
}

TEST(ManifestFormat, WritesRekognitionShapedLines) {
  Reference ref;
  ref.data.samples[2].width = 0;  // probed when written
  ref.data.samples[2].height = 0;
  Sample remote;
  remote.image = "s3://bucket/r.jpg";
  ref.data.samples.push_back(remote);
  const std::string out = ref.dir.file("imgs/out.manifest");
  WriteOptions options;
  options.manifest_attribute = "logos";
  options.job_name = "unit";
  ASSERT_TRUE(write_manifest(ref.data, out, options).ok());
  std::istringstream lines(read_file(out));
  std::vector<nlohmann::json> parsed;
  for (std::string line; std::getline(lines, line);) parsed.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(parsed.size(), 5U);
  const nlohmann::json& first = parsed[0];
  EXPECT_EQ(first["source-ref"], "a.jpg");  // relative: the image lies under the manifest's folder
  EXPECT_EQ(first["logos"]["image_size"][0], (nlohmann::json{{"width", 64}, {"height", 48}, {"depth", 3}}));
  EXPECT_EQ(first["logos"]["annotations"][0],
            (nlohmann::json{{"class_id", 0}, {"left", 10}, {"top", 5}, {"width", 20}, {"height", 20}}));
  EXPECT_TRUE(first["logos"]["annotations"][0]["left"].is_number_integer());
  EXPECT_EQ(first["logos"]["annotations"][1]["logoscope-ignore"], true);
  const nlohmann::json& metadata = first["logos-metadata"];
  EXPECT_EQ(metadata["objects"], nlohmann::json::parse(R"([{"confidence": 1}, {"confidence": 1}])"));
  EXPECT_EQ(metadata["class-map"], nlohmann::json::parse(R"({"0": "Adidas", "1": "Red Bull", "2": "yes"})"));
  EXPECT_EQ(metadata["type"], "groundtruth/object-detection");
  EXPECT_EQ(metadata["human-annotated"], "yes");
  EXPECT_EQ(metadata["job-name"], "unit");
  EXPECT_TRUE(std::regex_match(metadata["creation-date"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)")));
  EXPECT_EQ(parsed[2]["logos"]["image_size"][0]["width"], 32);  // probed
  EXPECT_EQ(parsed[2]["logos"]["annotations"], nlohmann::json::array());
  EXPECT_EQ(parsed[4]["source-ref"], "s3://bucket/r.jpg");
  EXPECT_FALSE(parsed[4]["logos"].contains("image_size"));  // unknown and not probeable

  const std::string outside = ref.dir.file("elsewhere/out.manifest");
  ASSERT_TRUE(write_manifest(ref.data, outside, {}).ok());  // creates the folder
  EXPECT_EQ(nlohmann::json::parse(read_file(outside).substr(0, read_file(outside).find('\n')))["source-ref"],
            ref.data.samples[0].image);
  for (const auto& entry : fs::directory_iterator(ref.dir.file("elsewhere"))) {
    EXPECT_EQ(entry.path().filename(), "out.manifest");  // no temporary file left
  }
}

TEST(CocoFormat, WritesValidCocoWithIdsFromOne) {
  Reference ref;
  const std::string out = ref.dir.file("coco.json");
  ASSERT_TRUE(write_coco(ref.data, out, {}).ok());
  const nlohmann::json root = nlohmann::json::parse(read_file(out));
  ASSERT_EQ(root["images"].size(), 4U);
  EXPECT_EQ(root["images"][0],
            (nlohmann::json{{"id", 1}, {"file_name", "imgs/a.jpg"}, {"width", 64}, {"height", 48}}));
  ASSERT_EQ(root["annotations"].size(), 6U);
  const nlohmann::json& first = root["annotations"][0];
  EXPECT_EQ(first["id"], 1);
  EXPECT_EQ(first["image_id"], 1);
  EXPECT_EQ(first["category_id"], 1);
  EXPECT_EQ(first["bbox"], nlohmann::json::parse("[10, 5, 20, 20]"));
  EXPECT_EQ(first["area"], 400);
  EXPECT_EQ(first["iscrowd"], 0);
  EXPECT_EQ(root["annotations"][1]["iscrowd"], 1);
  EXPECT_EQ(root["annotations"][2]["image_id"], 2);
  EXPECT_EQ(root["annotations"][2]["logoscope-difficult"], true);
  EXPECT_EQ(root["annotations"][3]["area"], 0);  // degenerate
  EXPECT_EQ(root["categories"][1],
            (nlohmann::json{{"id", 2}, {"name", "Red Bull"}, {"supercategory", "logo"}}));
}

TEST(YoloFormat, WritesLabelsLinksYamlAndClassesWithoutTouchingImages) {
  Reference ref;
  const std::string original = read_file(ref.data.samples[0].image);
  const std::string out = ref.dir.file("yolo");
  ASSERT_TRUE(write_yolo(ref.data, out, {}).ok());
  EXPECT_EQ(read_file(out + "/labels/a.txt"),
            "0 0.312500 0.312500 0.312500 0.416667\n1 0.500000 0.500000 1.000000 1.000000\n");
  EXPECT_EQ(read_file(out + "/labels/a_1.txt"), "2 0.175000 0.266667 0.250000 0.333333\n");
  EXPECT_EQ(read_file(out + "/labels/empty.txt"), "");
  EXPECT_TRUE(fs::is_symlink(out + "/images/a.jpg"));
  EXPECT_TRUE(fs::equivalent(out + "/images/a.jpg", ref.data.samples[0].image));
  EXPECT_TRUE(fs::equivalent(out + "/images/a_1.jpg", ref.data.samples[1].image));
  EXPECT_EQ(read_file(out + "/classes.txt"), "Adidas\nRed Bull\nyes\n");
  const std::string yaml = read_file(out + "/data.yaml");
  EXPECT_NE(yaml.find("train: images\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("names:\n  - Adidas\n  - Red Bull\n  - \"yes\"\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("path: " + fs::absolute(out).lexically_normal().string()), std::string::npos);
  EXPECT_EQ(read_file(ref.data.samples[0].image), original);

  // Writing again over the same output replaces the links; copies on request.
  WriteOptions copy;
  copy.copy_images = true;
  ASSERT_TRUE(write_yolo(ref.data, out, copy).ok());
  EXPECT_FALSE(fs::is_symlink(out + "/images/a.jpg"));
  EXPECT_EQ(read_file(out + "/images/a.jpg"), original);
  EXPECT_EQ(read_file(ref.data.samples[0].image), original);
}

TEST(YoloFormat, RemoteImagesGoToAListFileAndReadBack) {
  TempDir dir;
  Dataset data;
  data.labels = {"x"};
  Sample remote;
  remote.image = "s3://bucket/key with space/r.jpg";
  remote.width = 200;
  remote.height = 100;
  remote.boxes = {make_box(20, 10, 60, 50, 0)};
  data.samples.push_back(remote);
  const Dataset back = write_then_read(data, dir.file("y"), DatasetFormat::kYolo);
  EXPECT_EQ(read_file(dir.file("y/remote_images.txt")),
            "r.jpg\t200\t100\ts3://bucket/key with space/r.jpg\n");
  ASSERT_EQ(back.samples.size(), 1U);
  EXPECT_EQ(back.samples[0].image, remote.image);
  ASSERT_EQ(back.samples[0].boxes.size(), 1U);
  expect_box(back.samples[0].boxes[0], 20, 10, 60, 50, 0);
}

TEST(VocFormat, WritesAnnotationsAndImageSet) {
  Reference ref;
  const std::string out = ref.dir.file("voc");
  ASSERT_TRUE(write_voc(ref.data, out, {}).ok());
  const std::string xml = read_file(out + "/Annotations/a.xml");
  EXPECT_NE(xml.find("<filename>a.jpg</filename>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<path>" + ref.data.samples[0].image + "</path>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<width>64</width>"), std::string::npos);
  EXPECT_NE(xml.find("<xmin>11</xmin>"), std::string::npos);
  EXPECT_NE(xml.find("<ymin>6</ymin>"), std::string::npos);
  EXPECT_NE(xml.find("<xmax>30</xmax>"), std::string::npos);
  EXPECT_NE(xml.find("<ymax>25</ymax>"), std::string::npos);
  EXPECT_NE(xml.find("<logoscope-ignore>1</logoscope-ignore>"), std::string::npos);
  EXPECT_NE(read_file(out + "/Annotations/a_1.xml").find("<difficult>1</difficult>"), std::string::npos);
  EXPECT_EQ(read_file(out + "/ImageSets/Main/default.txt"), "a\na_1\nempty\nodd\n");
}

TEST(Writers, RefuseToWriteOverAnInputFile) {
  Reference ref;
  const std::string image = ref.data.samples[0].image;
  const std::string original = read_file(image);
  for (const DatasetFormat format : {DatasetFormat::kManifest, DatasetFormat::kCoco}) {
    const Status written = write_dataset(ref.data, image, format);
    ASSERT_FALSE(written.ok());
    EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(written.error().message.find(image), std::string::npos);
  }
  EXPECT_EQ(read_file(image), original);

  // The dataset file a dataset was read from is an input too.
  const std::string manifest = ref.dir.file("m.manifest");
  ASSERT_TRUE(write_manifest(ref.data, manifest, {}).ok());
  Problems problems;
  const Dataset read = read_ok(manifest, std::nullopt, problems);
  EXPECT_FALSE(write_dataset(read, manifest, DatasetFormat::kManifest).ok());
  // So are the label files of a YOLO folder written over itself.
  const std::string yolo = ref.dir.file("yolo");
  ASSERT_TRUE(write_yolo(read, yolo, {}).ok());
  const Dataset from_yolo = read_ok(yolo, std::nullopt, problems);
  EXPECT_FALSE(write_yolo(from_yolo, yolo, {}).ok());
  EXPECT_EQ(read_file(image), original);
}

// ---- round trips -----------------------------------------------------------------------------

TEST(RoundTrip, ManifestCocoManifestKeepsEverything) {
  Reference ref;
  const Dataset manifest = write_then_read(ref.data, ref.dir.file("a.manifest"), DatasetFormat::kManifest);
  expect_same(ref.data, manifest);
  EXPECT_EQ(manifest.labels, ref.data.labels);
  const Dataset coco = write_then_read(manifest, ref.dir.file("b.json"), DatasetFormat::kCoco);
  expect_same(ref.data, coco);
  const Dataset back = write_then_read(coco, ref.dir.file("c.manifest"), DatasetFormat::kManifest);
  expect_same(ref.data, back);
  EXPECT_EQ(back.labels, ref.data.labels);
}

TEST(RoundTrip, ManifestYoloManifestKeepsEveryBoxWithinRounding) {
  Reference ref;
  const Dataset manifest = write_then_read(ref.data, ref.dir.file("a.manifest"), DatasetFormat::kManifest);
  const Dataset yolo = write_then_read(manifest, ref.dir.file("yolo"), DatasetFormat::kYolo);
  expect_same(ref.data, yolo, Carried{false, 1e-3});
  EXPECT_EQ(yolo.labels, ref.data.labels);
  const Dataset back = write_then_read(yolo, ref.dir.file("b.manifest"), DatasetFormat::kManifest);
  expect_same(ref.data, back, Carried{false, 0});
}

TEST(RoundTrip, ManifestVocManifestKeepsEverything) {
  Reference ref;
  const Dataset manifest = write_then_read(ref.data, ref.dir.file("a.manifest"), DatasetFormat::kManifest);
  const Dataset voc = write_then_read(manifest, ref.dir.file("voc"), DatasetFormat::kVoc);
  expect_same(ref.data, voc);
  const Dataset back = write_then_read(voc, ref.dir.file("b.manifest"), DatasetFormat::kManifest);
  expect_same(ref.data, back);
}

TEST(RoundTrip, ThroughAllFourFormats) {
  Reference ref;
  const Dataset coco = write_then_read(ref.data, ref.dir.file("a.json"), DatasetFormat::kCoco);
  const Dataset voc = write_then_read(coco, ref.dir.file("voc"), DatasetFormat::kVoc);
  const Dataset yolo = write_then_read(voc, ref.dir.file("yolo"), DatasetFormat::kYolo);
  const Dataset manifest = write_then_read(yolo, ref.dir.file("z.manifest"), DatasetFormat::kManifest);
  expect_same(ref.data, manifest, Carried{false, 0});
}

}  // namespace
}  // namespace logoscope::dataset
