// The HTML report: self-contained, escaped, one thumbnail per gallery item, placeholders for
// unreadable images, caps, curves. ReportSample writes a realistic report for
// tests/report/screenshot_test.sh (into $LOGOSCOPE_REPORT_OUT when set).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <opencv2/imgproc.hpp>

#include "imageio/image_io.hpp"
#include "report/html_report.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"

namespace logoscope::report {
namespace {

namespace fs = std::filesystem;
using eval::Evaluation;
using eval::FalsePositiveKind;
using eval::Suggestion;
using eval::Verdict;
using testing::TempDir;

// ------------------------------------------------------------------ building evaluations by hand

Box make_box(double x0, double y0, double x1, double y1, int label) {
  Box box;
  box.x0 = x0;
  box.y0 = y0;
  box.x1 = x1;
  box.y1 = y1;
  box.label = label;
  return box;
}

/// Fills a label's curve and operating point from scored detections (score, is true positive),
/// the way docs/metrics.md defines them; precise enough for pictures, not a metric reference.
eval::LabelMetrics label_metrics(const std::string& name, std::int64_t ground_truth,
                                 std::vector<std::pair<float, bool>> scored) {
  eval::LabelMetrics metrics;
  metrics.name = name;
  metrics.ground_truth = ground_truth;
  metrics.detections = static_cast<std::int64_t>(scored.size());
  metrics.assumed_threshold = 0.5F;
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::int64_t tp = 0;
  std::int64_t fp = 0;
  double ap = 0;
  double last_recall = 0;
  for (std::size_t idx = 0; idx < scored.size(); ++idx) {
    (scored[idx].second ? tp : fp) += 1;
    if (idx + 1 < scored.size() && scored[idx + 1].first == scored[idx].first) continue;
    eval::CurvePoint point;
    point.threshold = scored[idx].first;
    point.precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
    point.recall = ground_truth > 0 ? static_cast<double>(tp) / static_cast<double>(ground_truth) : 0;
    point.f1 = tp > 0 ? 2 * point.precision * point.recall / (point.precision + point.recall) : 0;
    ap += (point.recall - last_recall) * point.precision;
    last_recall = point.recall;
    if (metrics.curve.empty() || point.f1 > metrics.f1) {
      metrics.f1 = point.f1;
      metrics.precision = point.precision;
      metrics.recall = point.recall;
      metrics.assumed_threshold = point.threshold;
      metrics.true_positives = tp;
      metrics.false_positives = fp;
      metrics.false_negatives = ground_truth - tp;
    }
    metrics.curve.push_back(point);
  }
  metrics.ap50 = ground_truth > 0 ? ap : -1;
  metrics.ap50_95 = ground_truth > 0 ? ap * 0.6 : -1;
  return metrics;
}

class EvaluationBuilder {
 public:
  explicit EvaluationBuilder(std::vector<std::string> labels) {
    evaluation_.labels = std::move(labels);
    for (const auto& name : evaluation_.labels) {
      evaluation_.metrics.labels.push_back(label_metrics(name, 0, {}));
      eval::ImageLevelLabelMetrics image_level;
      image_level.name = name;
      evaluation_.image_level.labels.push_back(image_level);
    }
    evaluation_.thresholds.assign(evaluation_.labels.size(), 0.5F);
  }

  std::size_t add_image(const std::string& path, int width, int height) {
    eval::ImageEvaluation image;
    image.image = path;
    image.width = width;
    image.height = height;
    evaluation_.images.push_back(image);
    return evaluation_.images.size() - 1;
  }

  int add_truth(std::size_t image, const Box& box, Verdict verdict, float best_score = 0) {
    eval::JudgedBox judged;
    judged.box = box;
    judged.verdict = verdict;
    judged.best_score = best_score;
    auto& truth = evaluation_.images[image].ground_truth;
    truth.push_back(judged);
    if (verdict == Verdict::kFalseNegative) ++evaluation_.false_negatives;
    if (verdict == Verdict::kTruePositive) ++evaluation_.true_positives;
    return static_cast<int>(truth.size()) - 1;
  }

  int add_prediction(std::size_t image, const Box& box, float score, Verdict verdict,
                     FalsePositiveKind kind = FalsePositiveKind::kNone, double iou = 0) {
    eval::JudgedPrediction judged;
    judged.detection = {box.x0, box.y0, box.x1, box.y1, box.label, score};
    judged.verdict = verdict;
    judged.kind = kind;
    judged.iou = iou;
    auto& predictions = evaluation_.images[image].predictions;
    predictions.push_back(judged);
    if (verdict == Verdict::kFalsePositive) ++evaluation_.false_positives;
    return static_cast<int>(predictions.size()) - 1;
  }

  void add_suggestion(Suggestion::Kind kind, std::size_t image, int index, const Box& box, float score,
                      int other_label = -1) {
    Suggestion suggestion;
    suggestion.kind = kind;
    suggestion.image = image;
    suggestion.index = index;
    suggestion.box = box;
    suggestion.label = box.label;
    suggestion.other_label = other_label;
    suggestion.score = score;
    evaluation_.suggestions.push_back(suggestion);
  }

  void set_metrics(std::size_t label, eval::LabelMetrics metrics) {
    evaluation_.metrics.labels[label] = std::move(metrics);
    evaluation_.thresholds[label] = evaluation_.metrics.labels[label].assumed_threshold;
  }

  Evaluation& evaluation() { return evaluation_; }

 private:
  Evaluation evaluation_;
};

// ------------------------------------------------------------------ reading the page

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + needle.size()))
    ++count;
  return count;
}

/// The <section id="ID"> … </section> element (sections do not nest).
std::string section(const std::string& html, const std::string& id) {
  const auto begin = html.find("<section id=\"" + id + "\"");
  if (begin == std::string::npos) return "";
  const auto end = html.find("</section>", begin);
  return html.substr(begin, end - begin);
}

std::vector<std::string> attribute_values(const std::string& html, const std::string& attribute) {
  std::vector<std::string> values;
  const std::regex pattern("\\s" + attribute + "\\s*=\\s*\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), pattern); it != std::sregex_iterator(); ++it)
    values.push_back((*it)[1].str());
  return values;
}

std::vector<std::uint8_t> base64_decode(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const auto value = kAlphabet.find(c);
    if (value == std::string::npos) return {};
    buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  return out;
}

/// The gallery thumbnails, decoded.
std::vector<cv::Mat> thumbnails(const std::string& html) {
  std::vector<cv::Mat> images;
  const std::string prefix = "data:image/jpeg;base64,";
  for (const auto& src : attribute_values(html, "src")) {
    EXPECT_EQ(src.rfind(prefix, 0), 0U) << src.substr(0, 60);
    auto decoded = imageio::decode_image_bytes(base64_decode(src.substr(prefix.size())), "thumbnail");
    EXPECT_TRUE(decoded) << decoded.error().message;
    if (decoded) images.push_back(decoded->rgb);
  }
  return images;
}

/// A width×height image of flat grey.
std::string write_grey_image(const std::string& dir, const std::string& name, int width, int height) {
  return testing::write_rgb_image(dir, name, cv::Mat(height, width, CV_8UC3, cv::Scalar(128, 128, 128)));
}

/// Two labels, one image with a false positive and a false negative.
EvaluationBuilder small_evaluation(const std::string& image_path) {
  EvaluationBuilder builder({"acme", "bolt"});
  const auto image = builder.add_image(image_path, 320, 240);
  builder.add_truth(image, make_box(20, 20, 80, 60, 0), Verdict::kTruePositive);
  builder.add_prediction(image, make_box(21, 20, 80, 61, 0), 0.9F, Verdict::kTruePositive);
  builder.add_truth(image, make_box(200, 150, 260, 200, 1), Verdict::kFalseNegative);
  builder.add_prediction(image, make_box(150, 30, 210, 90, 1), 0.8F, Verdict::kFalsePositive,
                         FalsePositiveKind::kBackground);
  builder.set_metrics(0, label_metrics("acme", 1, {{0.9F, true}}));
  builder.set_metrics(1, label_metrics("bolt", 1, {{0.8F, false}}));
  return builder;
}

// ------------------------------------------------------------------ tests

TEST(HtmlEscape, ReplacesEveryMarkupCharacter) {
  EXPECT_EQ(html_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
  EXPECT_EQ(html_escape("caf\u00e9 \u03a9"), "caf\u00e9 \u03a9");
  EXPECT_EQ(html_escape(""), "");
}

TEST(HtmlReport, IsOneSelfContainedPage) {
  const TempDir dir;
  auto builder = small_evaluation(testing::write_test_image(dir.path(), "image.png", 320, 240));
  const std::string html = render_html_report(builder.evaluation(), {});
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<iframe"), std::string::npos);
  for (const auto& src : attribute_values(html, "src"))
    EXPECT_EQ(src.rfind("data:image/jpeg;base64,", 0), 0U) << src;
  for (const auto& href : attribute_values(html, "href")) EXPECT_EQ(href.rfind('#', 0), 0U) << href;
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  // The script the screenshot test reads, inline.
  EXPECT_EQ(count_of(html, "<script"), 1U);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_NE(html.find("data-gallery-images-loaded"), std::string::npos);
  EXPECT_NE(html.find("naturalWidth"), std::string::npos);
}

TEST(HtmlReport, ShowsContextAndCounts) {
  const TempDir dir;
  auto builder = small_evaluation(testing::write_test_image(dir.path(), "image.png", 320, 240));
  ReportContext context;
  context.title = "Q3 <logos>";
  context.model = "models/acme-v2";
  context.ground_truth = "data/test.manifest";
  context.created = "2024-05-01 12:00";
  const std::string html = render_html_report(builder.evaluation(), context);
  EXPECT_NE(html.find("<title>Q3 &lt;logos&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("models/acme-v2"), std::string::npos);
  EXPECT_NE(html.find("data/test.manifest"), std::string::npos);
  EXPECT_NE(html.find("2024-05-01 12:00"), std::string::npos);
  EXPECT_EQ(html.find("<dt>predictions</dt>"), std::string::npos);  // empty fields are left out
  EXPECT_NE(html.find("<b>1</b>images"), std::string::npos);
  EXPECT_NE(html.find("<b>2</b>labels"), std::string::npos);
  EXPECT_NE(html.find("<b>2</b>ground-truth boxes"), std::string::npos);
  EXPECT_NE(html.find("<b>2</b>predictions"), std::string::npos);
  for (const char* part : {"mAP50", "mAP50:95", "mean F1", "image-level mean AP", "image-level mean F1"})
    EXPECT_NE(section(html, "summary").find(part), std::string::npos) << part;
}

TEST(HtmlReport, TrainingSectionDrawsTheCurvesAndSaysWhatStoppedIt) {
  const TempDir dir;
  auto builder = small_evaluation(testing::write_test_image(dir.path(), "image.png", 320, 240));
  EXPECT_EQ(render_html_report(builder.evaluation(), {}).find("id=\"training\""), std::string::npos)
      << "no training section without a training curve";
  ReportContext context;
  TrainingCurve curve;
  curve.points = {{10, 5, 2.0, -1, -1}, {20, 10, 1.5, -1, -1}, {25, 13, 1.2, 0.5, 0.4}, {30, 15, 1.0, -1, -1}};
  curve.steps_done = 30;
  curve.train_seconds = 15;
  curve.stopped_by = "time_budget";
  context.training = curve;
  const std::string html = render_html_report(builder.evaluation(), context);
  const std::string training = section(html, "training");
  ASSERT_FALSE(training.empty());
  EXPECT_NE(training.find("30 steps in 15 s (120 steps a minute"), std::string::npos) << training.substr(0, 400);
  EXPECT_NE(training.find("The time budget stopped it"), std::string::npos);
  curve.steps_planned = 400;  // a step count the cap cut short
  context.training = curve;
  EXPECT_NE(section(render_html_report(builder.evaluation(), context), "training")
                .find("The time budget stopped it at 30 of its 400 steps"),
            std::string::npos);
  EXPECT_NE(training.find("data-chart=\"training-loss\""), std::string::npos);
  EXPECT_NE(training.find("data-chart=\"training-validation\""), std::string::npos);
  // The loss line has a point per row; the validation lines only where there was a validation.
  const auto loss_chart = training.substr(training.find("training-loss"));
  const auto loss_line = loss_chart.substr(loss_chart.find("<polyline points=\""));
  EXPECT_EQ(count_of(loss_line.substr(0, loss_line.find("\"", 18)), ","), 4U);
  EXPECT_NE(html.find("href=\"#training\""), std::string::npos);
}

TEST(HtmlReport, PerLabelTableIsWorstFirstWithEveryColumn) {
  const TempDir dir;
  auto builder = small_evaluation(testing::write_test_image(dir.path(), "image.png", 320, 240));
  const std::string table = section(render_html_report(builder.evaluation(), {}), "labels");
  for (const char* column : {"F1", "precision", "recall", "assumed threshold", "AP50", "AP50:95", "TP", "FP",
                             "FN", "GT boxes", "image AP", "image F1"})
    EXPECT_NE(table.find(std::string("<th>") + column + "</th>"), std::string::npos) << column;
  // bolt (F1 0) before acme (F1 1).
  EXPECT_LT(table.find("bolt"), table.find("acme"));
}

TEST(HtmlReport, EscapesLabelsAndFileNames) {
  const TempDir dir;
  const std::string awkward = "logo <1> & \"q\" 'x'.png";
  const std::string path = testing::write_test_image(dir.path(), awkward, 320, 240);
  EvaluationBuilder builder({"<b>bolt & co</b>", "caf\u00e9 \"\u03a9\""});
  const auto image = builder.add_image(path, 320, 240);
  builder.add_prediction(image, make_box(10, 10, 60, 60, 0), 0.9F, Verdict::kFalsePositive,
                         FalsePositiveKind::kBackground);
  builder.add_truth(image, make_box(100, 100, 160, 150, 1), Verdict::kFalseNegative);
  builder.set_metrics(0, label_metrics("<b>bolt & co</b>", 0, {{0.9F, false}}));
  builder.set_metrics(1, label_metrics("caf\u00e9 \"\u03a9\"", 1, {}));
  const std::string html = render_html_report(builder.evaluation(), {});
  EXPECT_EQ(html.find("<b>bolt"), std::string::npos);
  EXPECT_EQ(html.find("\"\u03a9\""), std::string::npos);
  EXPECT_EQ(html.find("logo <1>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;bolt &amp; co&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(html.find("caf\u00e9 &quot;\u03a9&quot;"), std::string::npos);
  EXPECT_NE(html.find("logo &lt;1&gt; &amp; &quot;q&quot; &#39;x&#39;.png"), std::string::npos);
  // Both labels appear in the per-label table, the mistakes table and (with curves) the charts.
  EXPECT_NE(section(html, "labels").find("&lt;b&gt;bolt &amp; co&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(section(html, "labels").find("caf\u00e9 &quot;\u03a9&quot;"), std::string::npos);
  EXPECT_EQ(thumbnails(html).size(), 2U);
}

TEST(HtmlReport, OneThumbnailPerFalsePositiveAndFalseNegative) {
  const TempDir dir;
  const std::string first = testing::write_test_image(dir.path(), "first.png", 400, 300);
  const std::string second = testing::write_test_image(dir.path(), "second.jpg", 640, 480);
  EvaluationBuilder builder({"acme", "bolt"});
  const auto a = builder.add_image(first, 400, 300);
  const auto b = builder.add_image(second, 640, 480);
  builder.add_prediction(a, make_box(10, 10, 50, 50, 0), 0.7F, Verdict::kFalsePositive,
                         FalsePositiveKind::kBackground);
  builder.add_prediction(a, make_box(100, 100, 150, 150, 1), 0.95F, Verdict::kFalsePositive,
                         FalsePositiveKind::kLocalization, 0.3);
  builder.add_prediction(b, make_box(300, 200, 380, 260, 0), 0.85F, Verdict::kFalsePositive,
                         FalsePositiveKind::kConfusion);
  builder.add_prediction(b, make_box(20, 20, 60, 60, 0), 0.2F, Verdict::kBelowThreshold);
  builder.add_truth(a, make_box(200, 100, 260, 160, 1), Verdict::kFalseNegative);
  builder.add_truth(b, make_box(20, 20, 200, 140, 0), Verdict::kFalseNegative, 0.2F);
  builder.add_truth(b, make_box(400, 300, 500, 400, 1), Verdict::kTruePositive);
  const std::string html = render_html_report(builder.evaluation(), {});

  const std::string fps = section(html, "false-positives");
  const std::string fns = section(html, "false-negatives");
  EXPECT_EQ(count_of(fps, "<img "), 3U);
  EXPECT_EQ(count_of(fns, "<img "), 2U);
  EXPECT_EQ(count_of(html, "<img "), 5U);
  // Highest score first; captions say the kind and the IoU.
  EXPECT_LT(fps.find("0.95"), fps.find("0.85"));
  EXPECT_LT(fps.find("0.85"), fps.find("0.70"));
  EXPECT_NE(fps.find("localization"), std::string::npos);
  EXPECT_NE(fps.find("IoU 0.30"), std::string::npos);
  EXPECT_NE(fps.find("confusion"), std::string::npos);
  // Largest box first; a miss found below threshold says so.
  EXPECT_LT(fns.find("180\u00d7120 px"), fns.find("60\u00d760 px"));
  EXPECT_NE(fns.find("best confidence 20.0, below threshold 50.0"), std::string::npos);
  EXPECT_NE(fns.find("no prediction overlaps it"), std::string::npos);
  // The file name is shown, the full path in the tooltip.
  EXPECT_NE(fps.find(">second.jpg<"), std::string::npos);
  EXPECT_NE(fps.find("title=\"" + html_escape(second) + "\""), std::string::npos);
}

TEST(HtmlReport, ThumbnailsHaveTheRequestedSizeAndShowTheBox) {
  const TempDir dir;
  const std::string path = write_grey_image(dir.path(), "grey.png", 800, 600);
  EvaluationBuilder builder({"acme"});
  const auto image = builder.add_image(path, 800, 600);
  // A 60×40 box: the crop is 180×120 around it, scaled ×(200/180).
  builder.add_prediction(image, make_box(370, 280, 430, 320, 0), 0.9F, Verdict::kFalsePositive,
                         FalsePositiveKind::kBackground);
  // A box at the corner: the crop stays inside the image.
  builder.add_truth(image, make_box(0, 0, 10, 10, 0), Verdict::kFalseNegative);
  ReportContext context;
  context.thumbnail_size = 200;
  const std::string html = render_html_report(builder.evaluation(), context);
  const auto images = thumbnails(html);
  ASSERT_EQ(images.size(), 2U);
  EXPECT_EQ(images[0].cols, 200);
  EXPECT_EQ(images[0].rows, 133);
  EXPECT_EQ(images[1].cols, 200);  // 96×96 crop
  EXPECT_EQ(images[1].rows, 200);
  EXPECT_NE(html.find(R"(width="200" height="133")"), std::string::npos);
  // The false positive is drawn in red where the box's left edge falls (x = 60 of 180 → 67).
  bool red = false;
  for (int x = 62; x <= 72; ++x) {
    const cv::Vec3b pixel = images[0].at<cv::Vec3b>(66, x);
    red = red || (pixel[0] > 180 && pixel[1] < 100 && pixel[2] < 100);
  }
  EXPECT_TRUE(red);
  // Far from the box the image is its grey.
  const cv::Vec3b corner = images[0].at<cv::Vec3b>(5, 5);
  EXPECT_NEAR(corner[0], 128, 12);
  // The ground-truth box is green.
  bool green = false;
  for (int x = 0; x <= 30; ++x) {
    const cv::Vec3b pixel = images[1].at<cv::Vec3b>(10, x);
    green = green || (pixel[1] > 150 && pixel[0] < 110 && pixel[2] < 110);
  }
  EXPECT_TRUE(green);
}

TEST(HtmlReport, UnreadableImageGetsAPlaceholder) {
  const TempDir dir;
  const std::string good = testing::write_test_image(dir.path(), "good.png", 320, 240);
  const std::string missing = dir.file("missing.jpg");
  const std::string garbage = testing::write_garbage_bytes(dir.path());
  EvaluationBuilder builder({"acme"});
  for (const auto& path : {good, missing, garbage}) {
    const auto image = builder.add_image(path, 320, 240);
    builder.add_prediction(image, make_box(10, 10, 60, 60, 0), 0.9F, Verdict::kFalsePositive,
                           FalsePositiveKind::kBackground);
  }
  std::string html;
  ASSERT_NO_THROW(html = render_html_report(builder.evaluation(), {}));
  EXPECT_EQ(count_of(html, "<img "), 1U);
  EXPECT_EQ(count_of(html, "class=\"placeholder\""), 2U);
  EXPECT_NE(html.find(html_escape(missing)), std::string::npos);
  EXPECT_NE(html.find("image unavailable"), std::string::npos);
}

TEST(HtmlReport, BrokenBoxesStillGetThumbnails) {
  const TempDir dir;
  const std::string path = testing::write_test_image(dir.path(), "image.png", 320, 240);
  EvaluationBuilder builder({"acme"});
  const auto image = builder.add_image(path, 320, 240);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  builder.add_prediction(image, make_box(nan, 10, 60, nan, 0), 0.9F, Verdict::kFalsePositive,
                         FalsePositiveKind::kBackground);
  builder.add_prediction(image, make_box(-inf, 0, inf, 1e300, 0), 0.8F, Verdict::kFalsePositive,
                         FalsePositiveKind::kBackground);
  builder.add_truth(image, make_box(500, 400, 600, 500, 0), Verdict::kFalseNegative);  // outside the image
  builder.add_truth(image, make_box(50, 50, 50, 50, 0), Verdict::kFalseNegative);      // empty
  const std::string html = render_html_report(builder.evaluation(), {});
  EXPECT_EQ(thumbnails(html).size(), 4U);
}

TEST(HtmlReport, GalleriesAreCappedWithACountOfTheRest) {
  const TempDir dir;
  const std::string path = testing::write_test_image(dir.path(), "image.png", 640, 480);
  EvaluationBuilder builder({"acme"});
  const auto image = builder.add_image(path, 640, 480);
  for (int idx = 0; idx < 5; ++idx)
    builder.add_prediction(image, make_box(10 + 100 * idx, 10, 60 + 100 * idx, 60, 0), 0.5F + 0.1F * idx,
                           Verdict::kFalsePositive, FalsePositiveKind::kBackground);
  builder.add_truth(image, make_box(10, 300, 60, 350, 0), Verdict::kFalseNegative);
  ReportContext context;
  context.max_gallery_items = 2;
  const std::string html = render_html_report(builder.evaluation(), context);
  const std::string fps = section(html, "false-positives");
  EXPECT_EQ(count_of(fps, "<img "), 2U);
  EXPECT_NE(fps.find("3 more not shown."), std::string::npos);
  EXPECT_NE(fps.find("False positives <small>(5)</small>"), std::string::npos);
  EXPECT_EQ(section(html, "false-negatives").find("more not shown"), std::string::npos);
  // The two shown are the highest scores.
  EXPECT_NE(fps.find("acme 0.90"), std::string::npos);
  EXPECT_NE(fps.find("acme 0.80"), std::string::npos);
  EXPECT_EQ(fps.find("acme 0.70"), std::string::npos);
}

TEST(HtmlReport, SuggestionGalleriesComeFirst) {
  const TempDir dir;
  const std::string path = testing::write_test_image(dir.path(), "image.png", 640, 480);
  EvaluationBuilder builder({"acme", "bolt"});
  const auto image = builder.add_image(path, 640, 480);
  const Box unlabeled = make_box(10, 10, 80, 80, 0);
  const int fp = builder.add_prediction(image, unlabeled, 0.93F, Verdict::kFalsePositive,
                                        FalsePositiveKind::kBackground);
  const Box mislabeled = make_box(200, 200, 280, 260, 0);
  const int missed = builder.add_truth(image, mislabeled, Verdict::kFalseNegative);
  builder.add_prediction(image, make_box(202, 200, 280, 262, 1), 0.88F, Verdict::kFalsePositive,
                         FalsePositiveKind::kConfusion);
  const Box lonely = make_box(500, 380, 560, 440, 1);
  const int never = builder.add_truth(image, lonely, Verdict::kFalseNegative);
  builder.add_suggestion(Suggestion::Kind::kMissingLabel, image, fp, unlabeled, 0.93F);
  builder.add_suggestion(Suggestion::Kind::kWrongLabel, image, missed, mislabeled, 0.88F, 1);
  builder.add_suggestion(Suggestion::Kind::kNeverDetected, image, never, lonely, 0);
  const std::string html = render_html_report(builder.evaluation(), {});
  const auto missing_at = html.find("<section id=\"missing-labels\"");
  const auto wrong_at = html.find("<section id=\"wrong-labels\"");
  const auto never_at = html.find("<section id=\"never-detected\"");
  const auto fp_at = html.find("<section id=\"false-positives\"");
  ASSERT_NE(missing_at, std::string::npos);
  EXPECT_LT(missing_at, wrong_at);
  EXPECT_LT(wrong_at, never_at);
  EXPECT_LT(never_at, fp_at);
  EXPECT_EQ(count_of(section(html, "missing-labels"), "<img "), 1U);
  EXPECT_NE(section(html, "missing-labels").find("acme 0.93"), std::string::npos);
  EXPECT_NE(section(html, "wrong-labels").find("labeled acme"), std::string::npos);
  EXPECT_NE(section(html, "wrong-labels").find("model: bolt 0.88"), std::string::npos);
  EXPECT_EQ(count_of(section(html, "never-detected"), "<img "), 1U);
  // 3 suggestions + 2 false positives + 2 false negatives.
  EXPECT_EQ(count_of(html, "<img "), 7U);
}

TEST(HtmlReport, CurvesHaveOnePolylinePerLabel) {
  const TempDir dir;
  auto builder = small_evaluation(testing::write_test_image(dir.path(), "image.png", 320, 240));
  const std::string curves = section(render_html_report(builder.evaluation(), {}), "curves");
  EXPECT_EQ(count_of(curves, "<svg"), 2U);
  EXPECT_NE(curves.find("data-chart=\"precision-recall\""), std::string::npos);
  EXPECT_NE(curves.find("data-chart=\"f1-confidence\""), std::string::npos);
  EXPECT_EQ(count_of(curves, "<polyline"), 4U);  // 2 labels × 2 charts
  EXPECT_NE(curves.find(">recall</text>"), std::string::npos);
  EXPECT_NE(curves.find(">precision</text>"), std::string::npos);
  EXPECT_NE(curves.find(">confidence threshold (0-100)</text>"), std::string::npos);
  EXPECT_NE(curves.find(">0.6</text>"), std::string::npos);
}

TEST(HtmlReport, CurvesShowTwelveLabelsWithTheMostTruthAndAtMost200Points) {
  std::vector<std::string> names;
  names.reserve(15);
  for (int label = 0; label < 15; ++label) names.push_back("label" + std::to_string(label));
  EvaluationBuilder builder(names);
  for (int label = 0; label < 15; ++label) {
    std::vector<std::pair<float, bool>> scored;
    scored.reserve(1000);
    for (int det = 0; det < 1000; ++det)
      scored.emplace_back(1.0F - static_cast<float>(det) / 1000.0F, det % 3 != 0);
    builder.set_metrics(static_cast<std::size_t>(label),
                        label_metrics(names[static_cast<std::size_t>(label)], 100 + label, scored));
  }
  const std::string curves = section(render_html_report(builder.evaluation(), {}), "curves");
  EXPECT_EQ(count_of(curves, "<polyline"), 24U);
  EXPECT_NE(curves.find("Showing the 12 labels with the most ground-truth boxes of 15."), std::string::npos);
  EXPECT_EQ(curves.find("data-label=\"label0\""), std::string::npos);  // the fewest ground truth
  EXPECT_EQ(curves.find("data-label=\"label2\""), std::string::npos);
  EXPECT_NE(curves.find("data-label=\"label3\""), std::string::npos);
  for (const auto& points : attribute_values(curves, "points")) {
    EXPECT_LE(count_of(points, ","), 200U);
    EXPECT_GE(count_of(points, ","), 150U);
  }
  EXPECT_LT(curves.size(), 200'000U);
}

TEST(HtmlReport, RendersWhatEvaluateProduces) {
  const TempDir dir;
  Dataset truth;
  truth.labels = {"acme", "bolt"};
  std::vector<ImageDetections> found;
  for (int image_idx = 0; image_idx < 4; ++image_idx) {
    Sample sample;
    sample.image = testing::write_test_image(dir.path(), fmt::format("image{}.png", image_idx), 320, 240);
    sample.width = 320;
    sample.height = 240;
    sample.boxes = {make_box(20, 20, 80, 80, 0), make_box(150, 100, 230, 160, 1)};
    truth.samples.push_back(sample);
    ImageDetections detections;
    detections.image = sample.image;
    detections.width = 320;
    detections.height = 240;
    detections.detections.push_back({21, 19, 80, 81, 0, 0.9F});                            // a hit
    if (image_idx % 2 == 0) detections.detections.push_back({250, 10, 300, 60, 0, 0.8F});  // unlabeled?
    if (image_idx == 1) detections.detections.push_back({150, 100, 230, 160, 0, 0.85F});   // wrong label?
    if (image_idx == 3) detections.detections.push_back({152, 101, 231, 161, 1, 0.7F});    // a hit
    found.push_back(detections);
  }
  const Evaluation evaluation = eval::evaluate(truth, found);
  std::size_t expected = evaluation.suggestions.size();
  for (const auto& image : evaluation.images) {
    for (const auto& prediction : image.predictions)
      expected += prediction.verdict == Verdict::kFalsePositive;
    for (const auto& box : image.ground_truth) expected += box.verdict == Verdict::kFalseNegative;
  }
  ASSERT_GT(expected, 0U);
  const std::string html = render_html_report(evaluation, {});
  EXPECT_EQ(count_of(html, "<img "), expected);
  EXPECT_EQ(count_of(section(html, "curves"), "<polyline"), 4U);
}

TEST(HtmlReport, EmptyEvaluationStillRenders) {
  const std::string html = render_html_report(Evaluation{}, {});
  EXPECT_NE(html.find("No label has ground truth or predictions."), std::string::npos);
  EXPECT_NE(section(html, "false-positives").find("None."), std::string::npos);
  EXPECT_EQ(count_of(html, "<img "), 0U);
}

TEST(WriteHtmlReport, WritesAtomicallyAndCreatesTheFolder) {
  const TempDir dir;
  auto builder = small_evaluation(testing::write_test_image(dir.path(), "image.png", 320, 240));
  const std::string path = dir.file("out/nested/report.html");
  const auto written = write_html_report(builder.evaluation(), {}, path);
  ASSERT_TRUE(written) << written.error().message;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), render_html_report(builder.evaluation(), {}));
  // Nothing but the report is left beside it.
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path()))
    files.push_back(entry.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"report.html"});
}

TEST(WriteHtmlReport, UnwritablePathIsAnIoErrorNamingIt) {
  const TempDir dir;
  const std::string blocker = dir.write("file", "not a folder");
  const std::string path = blocker + "/report.html";
  const auto written = write_html_report(Evaluation{}, {}, path);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIo);
  EXPECT_NE(written.error().message.find(path), std::string::npos) << written.error().message;
}

// ------------------------------------------------------------------ the sample report

/// An RGB scene with drawn "logos" at the given boxes (label 0 a red disc, 1 a blue square,
/// 2 a green triangle, 3 yellow text).
cv::Mat draw_scene(int width, int height, const std::vector<Box>& logos, int seed) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      rgb.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<std::uint8_t>(90 + (x * 60) / width + seed * 7 % 40),
                                          static_cast<std::uint8_t>(110 + (y * 50) / height),
                                          static_cast<std::uint8_t>(140 + ((x + y) * 40) / (width + height)));
  cv::rectangle(rgb, cv::Rect(0, height * 2 / 3, width, height / 3), cv::Scalar(70, 80, 60), cv::FILLED);
  for (const auto& logo : logos) {
    const cv::Rect rect(static_cast<int>(logo.x0), static_cast<int>(logo.y0), static_cast<int>(logo.width()),
                        static_cast<int>(logo.height()));
    const cv::Point centre(rect.x + rect.width / 2, rect.y + rect.height / 2);
    const int radius = std::min(rect.width, rect.height) / 2;
    switch (logo.label % 4) {
      case 0:
        cv::circle(rgb, centre, radius, cv::Scalar(220, 30, 40), cv::FILLED, cv::LINE_AA);
        cv::putText(rgb, "A", centre + cv::Point(-radius / 3, radius / 3), cv::FONT_HERSHEY_SIMPLEX,
                    radius / 25.0, cv::Scalar(255, 255, 255), 2, cv::LINE_AA);
        break;
      case 1:
        cv::rectangle(rgb, rect, cv::Scalar(30, 60, 200), cv::FILLED);
        cv::rectangle(rgb, rect, cv::Scalar(255, 255, 255), 3);
        break;
      case 2: {
        const std::vector<cv::Point> triangle = {
            {rect.x, rect.y + rect.height}, {rect.x + rect.width, rect.y + rect.height}, {centre.x, rect.y}};
        cv::fillConvexPoly(rgb, triangle, cv::Scalar(40, 170, 60), cv::LINE_AA);
        break;
      }
      default:
        cv::rectangle(rgb, rect, cv::Scalar(20, 20, 20), cv::FILLED);
        cv::putText(rgb, "ZZ", cv::Point(rect.x + 4, rect.y + rect.height * 3 / 4), cv::FONT_HERSHEY_DUPLEX,
                    rect.height / 40.0, cv::Scalar(250, 220, 40), 2, cv::LINE_AA);
    }
  }
  return rgb;
}

Evaluation sample_evaluation(const std::string& dir) {
  const std::vector<std::string> names = {"acme", "<bolt & co>", "caf\u00e9 \"\u03a9\"", "zeta's"};
  EvaluationBuilder builder(names);
  const int width = 640;
  const int height = 480;
  // Per image: labeled logos, unlabeled logos (drawn, not in the ground truth).
  for (int image_idx = 0; image_idx < 10; ++image_idx) {
    std::vector<Box> labeled;
    for (int logo = 0; logo < 2; ++logo) {
      const int label = (image_idx + logo) % 4;
      const double size = 50 + 25 * ((image_idx * 3 + logo) % 5);
      const double x0 = 40 + logo * 300 + (image_idx * 37) % 120;
      const double y0 = 40 + (image_idx * 53 + logo * 90) % 220;
      labeled.push_back(make_box(x0, y0, x0 + size, y0 + size * (label == 3 ? 0.5 : 1.0), label));
    }
    std::vector<Box> drawn = labeled;
    const bool has_unlabeled = image_idx % 3 == 1;
    const Box unlabeled = make_box(480, 330, 560, 410, image_idx % 4);
    if (has_unlabeled) drawn.push_back(unlabeled);
    // Images 5 and 9: an acme logo labeled as café.
    const bool has_mislabeled = image_idx % 4 == 1 && !has_unlabeled;
    const Box mislabeled_logo = make_box(470, 320, 560, 410, 0);
    if (has_mislabeled) drawn.push_back(mislabeled_logo);
    const std::string name =
        image_idx == 7 ? "shop <front> & 'sign'.jpg" : fmt::format("image_{:02}.jpg", image_idx);
    const std::string path = testing::write_rgb_image(dir, name, draw_scene(width, height, drawn, image_idx));
    const auto image = builder.add_image(path, width, height);
    for (std::size_t logo = 0; logo < labeled.size(); ++logo) {
      const Box& box = labeled[logo];
      const bool found = (image_idx + static_cast<int>(logo)) % 4 != 3;
      if (found) {
        builder.add_truth(image, box, Verdict::kTruePositive);
        builder.add_prediction(image, make_box(box.x0 + 3, box.y0 - 2, box.x1 + 4, box.y1 + 1, box.label),
                               0.95F - 0.04F * static_cast<float>(image_idx), Verdict::kTruePositive);
      } else {
        const float below = image_idx % 2 == 0 ? 0.31F : 0.0F;
        const int gt = builder.add_truth(image, box, Verdict::kFalseNegative, below);
        if (below > 0) {
          builder.add_prediction(image, make_box(box.x0 + 5, box.y0 + 4, box.x1 + 2, box.y1 + 6, box.label),
                                 below, Verdict::kBelowThreshold);
        } else {
          builder.add_suggestion(Suggestion::Kind::kNeverDetected, image, gt, box, 0);
        }
      }
    }
    if (has_unlabeled) {
      const int fp = builder.add_prediction(image, unlabeled, 0.9F - 0.05F * static_cast<float>(image_idx),
                                            Verdict::kFalsePositive, FalsePositiveKind::kBackground);
      builder.add_suggestion(Suggestion::Kind::kMissingLabel, image, fp, unlabeled,
                             0.9F - 0.05F * static_cast<float>(image_idx));
    }
    if (has_mislabeled) {
      const Box labeled_as = make_box(470, 320, 560, 410, 2);
      const int gt = builder.add_truth(image, labeled_as, Verdict::kFalseNegative);
      builder.evaluation().images[image].ground_truth[static_cast<std::size_t>(gt)].best_iou_any = 0.93;
      builder.add_prediction(image, make_box(472, 318, 561, 409, 0), 0.88F, Verdict::kFalsePositive,
                             FalsePositiveKind::kConfusion);
      builder.add_suggestion(Suggestion::Kind::kWrongLabel, image, gt, labeled_as, 0.88F, 0);
    }
    if (image_idx % 4 == 2) {
      const Box& box = labeled[0];
      builder.add_prediction(
          image, make_box(box.x0 + box.width() * 0.5, box.y0, box.x1 + box.width() * 0.6, box.y1, box.label),
          0.62F, Verdict::kFalsePositive, FalsePositiveKind::kLocalization, 0.31);
    }
  }
  // An image that cannot be read: its false negative gets a placeholder.
  const auto broken = builder.add_image(testing::write_truncated_png(dir), width, height);
  builder.add_truth(broken, make_box(100, 100, 200, 200, 0), Verdict::kFalseNegative);
  // Curves shaped like a decent detector's.
  for (std::size_t label = 0; label < names.size(); ++label) {
    std::vector<std::pair<float, bool>> scored;
    std::int64_t true_positives = 0;
    for (int det = 0; det < 60; ++det) {
      const float score = 0.99F - 0.016F * static_cast<float>(det);
      const bool tp =
          det < 25 + static_cast<int>(label) * 3 ? det % (6 + static_cast<int>(label)) != 5 : det % 4 == 0;
      scored.emplace_back(score, tp);
      true_positives += tp ? 1 : 0;
    }
    builder.set_metrics(
        label,
        label_metrics(names[label], true_positives + 12 - 3 * static_cast<std::int64_t>(label), scored));
    auto& image_level = builder.evaluation().image_level.labels[label];
    image_level.positive_images = 5;
    image_level.ap = 0.7 + 0.05 * static_cast<double>(label);
    image_level.f1 = 0.65 + 0.06 * static_cast<double>(label);
  }
  auto& evaluation = builder.evaluation();
  auto& metrics = evaluation.metrics;
  for (const auto& label : metrics.labels) {
    metrics.true_positives += label.true_positives;
    metrics.false_positives += label.false_positives;
    metrics.false_negatives += label.false_negatives;
    metrics.map50 += label.ap50 / static_cast<double>(metrics.labels.size());
    metrics.map50_95 += label.ap50_95 / static_cast<double>(metrics.labels.size());
    metrics.mean_f1 += label.f1 / static_cast<double>(metrics.labels.size());
    metrics.mean_precision += label.precision / static_cast<double>(metrics.labels.size());
    metrics.mean_recall += label.recall / static_cast<double>(metrics.labels.size());
  }
  const auto tp = static_cast<double>(metrics.true_positives);
  metrics.precision = tp / (tp + static_cast<double>(metrics.false_positives));
  metrics.recall = tp / (tp + static_cast<double>(metrics.false_negatives));
  metrics.f1 = 2 * metrics.precision * metrics.recall / (metrics.precision + metrics.recall);
  evaluation.image_level.mean_ap = 0.775;
  evaluation.image_level.mean_f1 = 0.74;
  return evaluation;
}

TEST(ReportSample, WritesSampleReport) {
  const TempDir temp;
  const char* out_env = std::getenv("LOGOSCOPE_REPORT_OUT");
  const std::string out = out_env != nullptr && *out_env != '\0' ? out_env : temp.path();
  const std::string images = (fs::path(out) / "images").string();
  fs::create_directories(images);
  const Evaluation evaluation = sample_evaluation(images);
  ReportContext context;
  context.title = "logoscope evaluation \u2014 sample";
  context.model = "models/sample <v1>";
  context.ground_truth = "data/test/manifest.jsonl";
  context.created = "2024-05-01 12:00 UTC";
  const std::string path = (fs::path(out) / "report.html").string();
  const auto written = write_html_report(evaluation, context, path);
  ASSERT_TRUE(written) << written.error().message;
  const std::string html = render_html_report(evaluation, context);
  EXPECT_GT(count_of(html, "<img "), 10U);
  EXPECT_EQ(count_of(html, "class=\"placeholder\""), 1U);
}

}  // namespace
}  // namespace logoscope::report
