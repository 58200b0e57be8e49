// `logoscope ui`'s HTTP server (ui/ui_server.hpp) on an ephemeral port: the app's files, the
// token and the loopback guard, imports with bad files, conflicts between tabs, the path guard,
// the upload cap, and clear answers while no model is served. Training, suggestions and Try run
// in the browser test (tests/ui/e2e).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "support/temp_dir.hpp"
#include "support/test_images.hpp"
#include "ui/project.hpp"
#include "ui/ui_server.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace logoscope::ui {
namespace {

using ::testing::HasSubstr;

std::string jpeg(int width, int height) {
  const auto bytes = testing::encode_pattern_jpeg(width, height);
  return {bytes.begin(), bytes.end()};
}

// A 2 s MJPEG clip (20 frames of a moving disc), written with OpenCV.
std::string write_clip(const std::string& path) {
  cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, {320, 240});
  EXPECT_TRUE(writer.isOpened());
  for (int index = 0; index < 20; ++index) {
    cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(40, 120 + index * 4, 200));
    cv::circle(frame, {60 + index * 10, 120}, 30, cv::Scalar(0, 0, 230), cv::FILLED);
    writer.write(frame);
  }
  writer.release();
  return path;
}

// A JPEG of coloured discs placed by `seed`: different seeds look different to a perceptual hash.
std::string scene_jpeg(unsigned seed) {
  cv::Mat image(240, 320, CV_8UC3, cv::Scalar(30 + seed * 25 % 200, 90, 160));
  for (unsigned disc = 0; disc < 5; ++disc) {
    const unsigned value = seed * 7919U + disc * 104729U;
    cv::circle(image, {static_cast<int>(value % 320), static_cast<int>(value / 320 % 240)},
               15 + static_cast<int>(value % 50), cv::Scalar(value % 256, value / 7 % 256, value / 13 % 256), cv::FILLED);
  }
  std::vector<std::uint8_t> bytes;
  cv::imencode(".jpg", image, bytes);
  return {bytes.begin(), bytes.end()};
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A project and its server on a free port, stopped when the test ends.
class RunningUi {
 public:
  explicit RunningUi(UiOptions options = {}) {
    auto opened = Project::open(dir_.file("project"));
    project_ = std::move(*opened);
    options.port = 0;
    server_ = std::make_unique<UiServer>(*project_, options);
    port_ = *server_->bind();
    thread_ = std::thread([this] { server_->listen(); });
  }
  ~RunningUi() {
    server_->stop();
    thread_.join();
  }
  RunningUi(const RunningUi&) = delete;
  RunningUi& operator=(const RunningUi&) = delete;

  [[nodiscard]] httplib::Client client() const {
    httplib::Client http("127.0.0.1", port_);
    http.set_read_timeout(30, 0);
    return http;
  }
  Project& project() { return *project_; }
  const testing::TempDir& dir() const { return dir_; }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Project> project_;
  std::unique_ptr<UiServer> server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(UiServer, ServesTheAppBuiltIntoTheBinary) {
  RunningUi ui;
  auto http = ui.client();
  auto page = http.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("/app/app.js"));
  auto script = http.Get("/app/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_THAT(script->get_header_value("Content-Type"), HasSubstr("javascript"));
  EXPECT_EQ(http.Get("/app/none.js")->status, 404);
}

TEST(UiServer, ATokenGuardsTheApiWhenGiven) {
  UiOptions options;
  options.token = "s3cret-token";
  RunningUi ui(options);
  auto http = ui.client();
  auto refused = http.Get("/api/project");
  EXPECT_EQ(refused->status, 401);
  EXPECT_THAT(json::parse(refused->body)["message"].get<std::string>(), HasSubstr("token"));
  EXPECT_EQ(http.Get("/api/project", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(http.Get("/api/project", {{"Authorization", "Bearer s3cret-token"}})->status, 200);
  EXPECT_EQ(http.Get("/api/project?token=s3cret-token")->status, 200);
  EXPECT_EQ(http.Get("/project/train.manifest")->status, 401);
  EXPECT_EQ(http.Get("/")->status, 200);  // the page itself holds no data
}

TEST(UiServer, WithoutATokenOnlyLoopbackNamesAndTheAppsOriginAreAnswered) {
  RunningUi ui;
  auto http = ui.client();
  EXPECT_EQ(http.Get("/api/project")->status, 200);
  EXPECT_EQ(http.Get("/api/project", {{"Host", "attacker.example:8090"}})->status, 403);
  EXPECT_EQ(http.Get("/api/project", {{"Host", "127.0.0.1.attacker.example:8090"}})->status, 403);
  EXPECT_EQ(http.Get("/api/project", {{"Host", "localhost:8090"}})->status, 200);
  EXPECT_TRUE(is_loopback_host("127.8.9.10"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.nip.io"));
  auto cross = http.Post("/api/labels", {{"Origin", "http://attacker.example"}}, R"({"name": "x"})",
                         "application/json");
  EXPECT_EQ(cross->status, 403);
  EXPECT_TRUE(ui.project().labels().empty());
  EXPECT_EQ(http.Post("/api/labels", R"({"name": "acme"})", "application/json")->status, 200);
  EXPECT_EQ(ui.project().labels(), std::vector<std::string>{"acme"});
}

TEST(UiServer, ImportsImagesAndNamesEachFileItRefuses) {
  RunningUi ui;
  auto http = ui.client();
  httplib::MultipartFormDataItems items = {
      {"files", jpeg(80, 60), "shelf.jpg", "image/jpeg"},
      {"files", "hello", "readme.txt", "text/plain"},
      {"files", "RIFF....WEBPVP8 broken", "broken.webp", "image/webp"},
  };
  auto answer = http.Post("/api/datasets/train/import", items);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  const json body = json::parse(answer->body);
  EXPECT_EQ(body["added"], json::array({"images/shelf.jpg"}));
  ASSERT_EQ(body["problems"].size(), 2u);
  EXPECT_EQ(body["problems"][0]["file"], "readme.txt");
  EXPECT_THAT(body["problems"][0]["message"].get<std::string>(), HasSubstr("readme.txt"));
  EXPECT_EQ(http.Post("/api/datasets/nope/import", items)->status, 404);

  auto images = json::parse(http.Get("/api/datasets/train/images")->body)["images"];
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(images[0]["width"], 80);
  auto thumb = http.Get("/api/image?ref=images/shelf.jpg&thumb=1");
  EXPECT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
}

TEST(UiServer, AnEditOnAStaleRevisionIsRefusedWithTheCurrentBoxes) {
  RunningUi ui;
  auto http = ui.client();
  const std::string ref = *ui.project().import_image("train", "a.jpg", jpeg(100, 80));
  const auto revision = ui.project().image("train", ref)->revision;
  const json edit{{"revision", revision},
                  {"boxes", {{{"x0", 5}, {"y0", 5}, {"x1", 40}, {"y1", 30}, {"label", "acme"}}}}};
  auto first = http.Put("/api/datasets/train/image?ref=" + ref, edit.dump(), "application/json");
  ASSERT_EQ(first->status, 200) << first->body;
  const json stale{{"revision", revision}, {"boxes", json::array()}};
  auto second = http.Put("/api/datasets/train/image?ref=" + ref, stale.dump(), "application/json");
  ASSERT_EQ(second->status, 409);
  const json conflict = json::parse(second->body);
  EXPECT_THAT(conflict["message"].get<std::string>(), HasSubstr("another tab"));
  EXPECT_EQ(conflict["current"]["boxes"].size(), 1u);
  EXPECT_EQ(ui.project().image("train", ref)->boxes.size(), 1u);

  auto bad =
      http.Put("/api/datasets/train/image?ref=" + ref,
               json{{"revision", conflict["current"]["revision"]}, {"boxes", {{{"x0", "left"}}}}}.dump(),
               "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(json::parse(bad->body)["message"].get<std::string>(), HasSubstr("boxes[0].x0"));
}

TEST(UiServer, NeverServesFilesOutsideTheProject) {
  RunningUi ui;
  auto http = ui.client();
  ui.dir().write("secret.txt", "not yours");
  fs::create_symlink(ui.dir().file("secret.txt"), ui.dir().file("project/images/link.jpg"));
  EXPECT_EQ(http.Get("/project/train.manifest")->status, 200);
  EXPECT_EQ(http.Get("/project/%2e%2e/secret.txt")->status, 403);
  EXPECT_EQ(http.Get("/api/image?ref=..%2Fsecret.txt")->status, 403);
  EXPECT_EQ(http.Get("/api/image?ref=images/link.jpg")->status, 403);
  EXPECT_EQ(http.Get("/project/images/link.jpg")->status, 403);
  EXPECT_EQ(http.Get("/project/images/none.jpg")->status, 404);
}

TEST(UiServer, CapsUploads) {
  UiOptions options;
  options.max_upload_bytes = 64 * 1024;
  RunningUi ui(options);
  auto http = ui.client();
  auto answer = http.Post("/api/try", std::string(200 * 1024, 'x'), "image/jpeg");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413);
  EXPECT_THAT(json::parse(answer->body)["message"].get<std::string>(), HasSubstr("MiB"));
}

TEST(UiServer, SaysWhatToDoWhileNoModelIsServed) {
  RunningUi ui;
  auto http = ui.client();
  auto attempt = http.Post("/api/try", jpeg(64, 64), "image/jpeg");
  EXPECT_EQ(attempt->status, 409);
  EXPECT_THAT(json::parse(attempt->body)["message"].get<std::string>(), HasSubstr("train one"));
  auto train = http.Post("/api/train", R"({"time_budget_s": 30})", "application/json");
  EXPECT_EQ(train->status, 400);
  EXPECT_THAT(json::parse(train->body)["message"].get<std::string>(), HasSubstr("label at least 2 images"));
  auto stop = http.Post("/api/train/stop", "", "application/json");
  EXPECT_EQ(stop->status, 409);
  EXPECT_THAT(json::parse(stop->body)["message"].get<std::string>(), HasSubstr("no training is running"));
  EXPECT_EQ(json::parse(http.Get("/api/review")->body)["items"].size(), 0u);
  EXPECT_EQ(http.Post("/api/models/v9/serve", "", "application/json")->status, 404);
}

TEST(UiServer, ImportsAVideoAsFramesToLabel) {
  RunningUi ui;
  auto http = ui.client();
  const std::string clip = read_all(write_clip(ui.dir().file("clip.avi")));
  auto answer = http.Post("/api/datasets/train/import",
                          httplib::MultipartFormDataItems{{"files", clip, "clip.avi", "video/x-msvideo"}});
  ASSERT_EQ(answer->status, 200) << answer->body;
  const json body = json::parse(answer->body);
  ASSERT_GE(body["added"].size(), 2u) << body.dump();  // one a second, plus scene changes
  EXPECT_TRUE(body["problems"].empty());
  EXPECT_THAT(body["added"][0].get<std::string>(), HasSubstr("images/clip/"));
  EXPECT_EQ(ui.project().counts("train").images, body["added"].size());
  EXPECT_FALSE(fs::exists(ui.dir().file("project/.uploads/clip.avi")));
  auto broken =
      http.Post("/api/datasets/train/import",
                httplib::MultipartFormDataItems{{"files", "not a video at all", "broken.mp4", "video/mp4"}});
  ASSERT_EQ(broken->status, 200);
  ASSERT_EQ(json::parse(broken->body)["problems"].size(), 1u);
  EXPECT_THAT(json::parse(broken->body)["problems"][0]["message"].get<std::string>(),
              HasSubstr("broken.mp4"));
}

// With a served model (the built-in base model, copied in as v1), Try answers an image with its
// detections and a video with frames spread over it, each with its own.
TEST(UiServer, TriesAnImageAndAVideoWithTheServedModel) {
  RunningUi ui;
  fs::copy(fs::path(LOGOSCOPE_SOURCE_DIR) / "models" / "base", ui.project().models_dir() / "v1",
           fs::copy_options::recursive);
  auto http = ui.client();
  ASSERT_EQ(http.Post("/api/models/v1/serve", "", "application/json")->status, 200);
  auto image = http.Post("/api/try?name=photo.jpg", jpeg(320, 240), "image/jpeg");
  ASSERT_EQ(image->status, 200) << image->body;
  EXPECT_EQ(json::parse(image->body)["width"], 320);
  EXPECT_TRUE(json::parse(image->body)["labels"].is_array());

  const std::string clip = read_all(write_clip(ui.dir().file("clip.avi")));
  auto video = http.Post("/api/try?name=clip.avi", clip, "video/x-msvideo");
  ASSERT_EQ(video->status, 200) << video->body;
  const json frames = json::parse(video->body)["frames"];
  ASSERT_GE(frames.size(), 10u);
  EXPECT_LT(frames[0]["time_s"].get<double>(), frames[1]["time_s"].get<double>());
  EXPECT_EQ(frames[0]["width"], 320);
  EXPECT_THAT(frames[0]["image"].get<std::string>(), HasSubstr("data:image/jpeg;base64,"));
  EXPECT_TRUE(frames[0]["labels"].is_array());
  auto text = http.Post("/api/try?name=notes.mp4", std::string("plain text"), "video/mp4");
  EXPECT_EQ(text->status, 400);
  EXPECT_THAT(json::parse(text->body)["message"].get<std::string>(), HasSubstr("notes.mp4"));
}

// "Label next": the unlabeled images of a dataset ranked by the served model, each with a reason;
// labeled images are never among them, and a second copy of an image is left out.
TEST(UiServer, RanksTheUnlabeledImagesToLabelNext) {
  RunningUi ui;
  auto http = ui.client();
  const auto before = http.Get("/api/datasets/train/next");
  EXPECT_EQ(before->status, 409);
  EXPECT_THAT(json::parse(before->body)["message"].get<std::string>(), HasSubstr("train one"));

  std::vector<std::string> refs;
  for (unsigned seed = 1; seed <= 5; ++seed) {
    refs.push_back(*ui.project().import_image("train", fmt::format("scene{}.jpg", seed), scene_jpeg(seed)));
  }
  refs.push_back(*ui.project().import_image("train", "repost.jpg", scene_jpeg(3)));
  const auto labeled = ui.project().image("train", refs[0]);
  ASSERT_TRUE(ui.project().set_boxes("train", refs[0], {{10, 10, 60, 60, "acme"}}, labeled->revision));
  fs::copy(fs::path(LOGOSCOPE_SOURCE_DIR) / "models" / "base", ui.project().models_dir() / "v1",
           fs::copy_options::recursive);
  ASSERT_EQ(http.Post("/api/models/v1/serve", "", "application/json")->status, 200);

  const auto answer = http.Get("/api/datasets/train/next?count=10");
  ASSERT_EQ(answer->status, 200) << answer->body;
  const json body = json::parse(answer->body);
  EXPECT_EQ(body["model"], "v1");
  EXPECT_EQ(body["pool"], 5);  // the 5 images without boxes
  std::set<std::string> picked;
  for (const auto& pick : body["picks"]) {
    const std::string ref = pick["ref"];
    EXPECT_NE(ref, refs[0]) << "a labeled image was picked";
    EXPECT_TRUE(std::find(refs.begin(), refs.end(), ref) != refs.end()) << ref;
    EXPECT_FALSE(pick["reason"].get<std::string>().empty());
    picked.insert(ref);
  }
  EXPECT_FALSE(picked.contains(refs[3]) && picked.contains(refs[5])) << "an image and its copy were both picked";
  EXPECT_GE(body["near_duplicates"].get<int>(), 1);
  EXPECT_EQ(picked.size() + body["near_duplicates"].get<std::size_t>(), 5U);

  const auto two = json::parse(http.Get("/api/datasets/train/next?count=2")->body);
  EXPECT_EQ(two["picks"].size(), 2U);
  for (const std::string bad : {"0", "abc", "100000", "-1"}) {
    const auto refused = http.Get("/api/datasets/train/next?count=" + bad);
    EXPECT_EQ(refused->status, 400) << bad;
    EXPECT_THAT(json::parse(refused->body)["message"].get<std::string>(), HasSubstr("give 1 to 500"));
  }
  EXPECT_EQ(http.Get("/api/datasets/other/next")->status, 404);
}

}  // namespace
}  // namespace logoscope::ui
