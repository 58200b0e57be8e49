// A real `logoscope serve` server on an ephemeral port, driven over loopback: Rekognition's JSON
// protocol, the REST API, every kind of bad request, back-pressure, slow clients and a graceful stop.
// The model is the built-in base model (models/base, one label "logo"); images come from `demo`.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/base64.hpp"
#include "logoscope/detect.hpp"
#include "server/http_server.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"
#include "support/test_images.hpp"

namespace logoscope::server {
namespace {

using nlohmann::json;
using testing::read_file;
using testing::run_logoscope;

const std::string kBaseModel = std::string(LOGOSCOPE_SOURCE_DIR) + "/models/base";

// A raw TCP connection to the server, for requests no well-behaved client sends.
class RawSocket {
 public:
  explicit RawSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~RawSocket() { close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  [[nodiscard]] bool connected() const { return connected_; }
  bool send_text(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  void close_write() { shutdown(fd_, SHUT_WR); }
  /// Everything the server sends until it closes or 10 s pass.
  std::string receive_all() {
    std::string text;
    char buffer[4096];
    for (;;) {
      const auto n = recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.find("\r\n\r\n") != std::string::npos && complete(text)) break;
    }
    return text;
  }

 private:
  static bool complete(const std::string& text) {
    const auto end = text.find("\r\n\r\n");
    const auto length_at = text.find("Content-Length: ");
    if (length_at == std::string::npos || length_at > end) return true;
    const auto length = std::stoul(text.substr(length_at + 16));
    return text.size() >= end + 4 + length;
  }
  int fd_;
  bool connected_ = false;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const auto demo = run_logoscope({"demo", "--out", dir_->path(), "--images", "8", "--no-train"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    image_ = read_file(dir_->file("images/synth_0000.jpg"));
    ASSERT_FALSE(image_.empty());
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override { start({}); }
  void TearDown() override { stop(); }

  void start(ServerOptions options) {
    stop();
    registry_ = std::make_unique<ModelRegistry>();
    ASSERT_TRUE(registry_->add({"base", kBaseModel}).ok());
    options.port = 0;
    if (options.workers == 0) options.workers = 2;
    if (options.read_timeout_s == 5) options.read_timeout_s = 1;
    if (options.request_timeout_s == 30) options.request_timeout_s = 2;
    server_ = std::make_unique<Server>(*registry_, options);
    auto port = server_->bind();
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
    listener_ = std::thread([this] { server_->listen(); });
    ASSERT_TRUE(registry_->start("base", true));
    server_->set_ready(true);
  }

  void stop() {
    if (!server_) return;
    server_->stop();
    if (listener_.joinable()) listener_.join();
    server_.reset();
    registry_.reset();
  }

  [[nodiscard]] httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(30, 0);
    return c;
  }

  httplib::Result rekognition(const std::string& operation, const std::string& body) const {
    auto c = client();
    return c.Post("/", {{"X-Amz-Target", "RekognitionService." + operation}}, body,
                  "application/x-amz-json-1.1");
  }

  static std::string detect_body(const std::vector<std::uint8_t>& image, const std::string& arn = "base",
                                 const std::string& extra = "") {
    return fmt::format(R"({{"ProjectVersionArn": "{}", "Image": {{"Bytes": "{}"}}{}}})", arn,
                       base64_encode(image), extra);
  }

  static void expect_aws_error(const httplib::Result& result, int status, const std::string& type) {
    ASSERT_TRUE(result) << "no answer";
    EXPECT_EQ(result->status, status) << result->body;
    const auto body = json::parse(result->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << result->body;
    EXPECT_EQ(body.value("__type", ""), type) << result->body;
    EXPECT_FALSE(body.value("Message", "").empty()) << result->body;
    EXPECT_EQ(result->get_header_value("x-amzn-ErrorType"), type);
  }

  static testing::TempDir* dir_;
  static std::vector<std::uint8_t> image_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<Server> server_;
  std::thread listener_;
  int port_ = 0;
};

testing::TempDir* ServerTest::dir_ = nullptr;
std::vector<std::uint8_t> ServerTest::image_;

TEST_F(ServerTest, AnswersDetectCustomLabelsAsTheLibraryDoes) {
  auto answer = rekognition("DetectCustomLabels", detect_body(image_, "base", R"(, "MinConfidence": 0)"));
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(answer->get_header_value("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_FALSE(answer->get_header_value("x-amzn-RequestId").empty());
  const auto body = json::parse(answer->body);
  ASSERT_EQ(body.size(), 1U) << "only CustomLabels, as AWS answers: " << answer->body;

  auto model = Model::load(kBaseModel);
  ASSERT_TRUE(model.ok());
  Session session(*model, {1});
  DetectOptions options;
  options.min_confidence = 0;
  const auto expected = session.detect(image_, options);
  ASSERT_TRUE(expected.ok());
  ASSERT_FALSE(expected->labels.empty()) << "the base model should find the demo's marks";
  const auto& labels = body["CustomLabels"];
  ASSERT_EQ(labels.size(), expected->labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(labels[i]["Name"], expected->labels[i].name);
    EXPECT_NEAR(labels[i]["Confidence"].get<double>(), expected->labels[i].confidence, 1e-9);
    const auto& box = labels[i]["Geometry"]["BoundingBox"];
    EXPECT_NEAR(box["Left"].get<double>(), expected->labels[i].bounding_box.left, 1e-12);
    EXPECT_NEAR(box["Top"].get<double>(), expected->labels[i].bounding_box.top, 1e-12);
    EXPECT_NEAR(box["Width"].get<double>(), expected->labels[i].bounding_box.width, 1e-12);
    EXPECT_NEAR(box["Height"].get<double>(), expected->labels[i].bounding_box.height, 1e-12);
  }
  // MaxResults keeps the most confident; the ARN from DescribeProjectVersions works like the name.
  const auto arn = registry_->find("base")->version_arn;
  auto one =
      rekognition("DetectCustomLabels", detect_body(image_, arn, R"(, "MinConfidence": 0, "MaxResults": 1)"));
  ASSERT_EQ(one->status, 200) << one->body;
  const auto first = json::parse(one->body)["CustomLabels"];
  ASSERT_EQ(first.size(), 1U);
  EXPECT_NEAR(first[0]["Confidence"].get<double>(), expected->labels[0].confidence, 1e-9);
}

TEST_F(ServerTest, ExistingCodeNamesTheModelByItsAwsArn) {
  // The ARN in a user's code from Rekognition: its project name is the served model's name.
  const std::string aws_arn = "arn:aws:rekognition:eu-west-1:123456789012:project/base/version/base.2024-05-01T10.00.00/1714557600000";
  auto answer = rekognition("DetectCustomLabels", detect_body(image_, aws_arn, R"(, "MinConfidence": 0)"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  auto described =
      rekognition("DescribeProjectVersions", json{{"ProjectArn", "arn:aws:rekognition:eu-west-1:123456789012:project/base/1714557600000"}}.dump());
  ASSERT_TRUE(described);
  EXPECT_EQ(described->status, 200) << described->body;
  // Another project's ARN is refused with what to do about it.
  const std::string other = "arn:aws:rekognition:us-east-1:123456789012:project/monster/version/monster.v1/1";
  auto refused = rekognition("DetectCustomLabels", detect_body(image_, other));
  expect_aws_error(refused, 400, "ResourceNotFoundException");
  const auto message = json::parse(refused->body).value("Message", "");
  EXPECT_THAT(message, ::testing::HasSubstr("project \"monster\""));
  EXPECT_THAT(message, ::testing::HasSubstr("served: base"));
  EXPECT_THAT(message, ::testing::HasSubstr("logoscope serve --model monster=MODEL_DIR"));
}

TEST(RekognitionArn, ProjectNameOfEachForm) {
  EXPECT_EQ(rekognition_project_name("arn:aws:rekognition:us-east-1:123456789012:project/my-logos/version/my-logos.2020-01-21T09.10.15/1579597815"),
            "my-logos");
  EXPECT_EQ(rekognition_project_name("arn:aws:rekognition:us-east-1:123456789012:project/my-logos/1579597815"), "my-logos");
  EXPECT_EQ(rekognition_project_name("arn:aws-cn:rekognition:cn-north-1:123456789012:project/p/1"), "p");
  EXPECT_FALSE(rekognition_project_name("arn:aws:s3:::bucket/key"));
  EXPECT_FALSE(rekognition_project_name("arn:aws:rekognition:us-east-1:123456789012:collection/x"));
  EXPECT_FALSE(rekognition_project_name("my-logos"));
  EXPECT_FALSE(rekognition_project_name("arn:aws:rekognition:us-east-1:123456789012:project/my-logos/version/v1"));
}

TEST_F(ServerTest, EveryBadRequestGetsItsAwsError) {
  expect_aws_error(rekognition("DetectCustomLabels", "this is not json"), 400, "SerializationException");
  expect_aws_error(rekognition("DetectCustomLabels", ""), 400, "SerializationException");
  expect_aws_error(
      rekognition("DetectCustomLabels", R"({"ProjectVersionArn": "base", "Image": {"Bytes": "@@@@"}})"), 400,
      "InvalidImageFormatException");
  const std::vector<std::uint8_t> text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(text)), 400, "InvalidImageFormatException");
  std::vector<std::uint8_t> truncated(image_.begin(),
                                      image_.begin() + static_cast<std::ptrdiff_t>(image_.size() / 2));
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(truncated)), 400,
                   "InvalidImageFormatException");
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_, "arn:nope")), 400,
                   "ResourceNotFoundException");
  expect_aws_error(
      rekognition("DetectCustomLabels", detect_body(image_, "base", R"(, "MinConfidence": 150)")), 400,
      "InvalidParameterException");
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_, "base", R"(, "MaxResults": -1)")),
                   400, "InvalidParameterException");
  expect_aws_error(rekognition("DetectCustomLabels", R"({"Image": {"Bytes": "AAAA"}})"), 400,
                   "InvalidParameterException");
  expect_aws_error(
      rekognition("DetectCustomLabels",
                  R"({"ProjectVersionArn": "base", "Image": {"S3Object": {"Bucket": "b", "Name": "k"}}})"),
      400, "InvalidS3ObjectException");
  expect_aws_error(rekognition("DetectLabels", detect_body(image_)), 400, "UnknownOperationException");
  auto c = client();
  expect_aws_error(c.Post("/", detect_body(image_), "application/x-amz-json-1.1"), 400,
                   "UnknownOperationException");
  // The server still answers good requests.
  auto good = rekognition("DetectCustomLabels", detect_body(image_));
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200);
}

TEST_F(ServerTest, OversizedBodiesGet413) {
  ServerOptions options;
  options.max_body_bytes = 1000;
  start(options);
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_)), 413, "ImageTooLargeException");
  RawSocket socket(port_);
  ASSERT_TRUE(socket.connected());
  socket.send_text(
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService.DetectCustomLabels\r\n"
      "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 999999999\r\n\r\n{");
  const auto response = socket.receive_all();
  EXPECT_EQ(status_of(response), 413) << response;
  // A client that keeps its connection alive sends its next request in step with the server.
  auto c = client();
  c.set_keep_alive(true);
  const auto big = c.Post("/", {{"X-Amz-Target", "RekognitionService.DetectCustomLabels"}},
                          detect_body(image_), "application/x-amz-json-1.1");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  const auto next = c.Post("/", {{"X-Amz-Target", "RekognitionService.DescribeProjects"}}, "{}",
                           "application/x-amz-json-1.1");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200) << next->body;
}

TEST_F(ServerTest, ABodyShorterThanItsLengthGets400AndOthersGoOn) {
  RawSocket socket(port_);
  ASSERT_TRUE(socket.connected());
  socket.send_text(
      "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService.DetectCustomLabels\r\n"
      "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 100000\r\n\r\n{\"ProjectVersionArn\"");
  auto good =
      std::async(std::launch::async, [&] { return rekognition("DetectCustomLabels", detect_body(image_)); });
  const auto answer = good.get();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  const auto response = socket.receive_all();  // after the 1 s read timeout
  EXPECT_EQ(status_of(response), 400) << response;
  EXPECT_NE(body_of(response).find("IncompleteBodyException"), std::string::npos) << response;
  // A client that hangs up half way through is forgotten; the server goes on.
  {
    RawSocket half(port_);
    half.send_text(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService.DetectCustomLabels\r\n"
        "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 5000\r\n\r\n{\"Project");
    half.close_write();
  }
  EXPECT_EQ(rekognition("DetectCustomLabels", detect_body(image_))->status, 200);
}

TEST_F(ServerTest, ASlowClientGets408WhileOthersAreServed) {
  std::atomic<bool> done{false};
  std::string slow_response;
  std::thread slow([&] {
    RawSocket socket(port_);
    socket.send_text(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: RekognitionService.DetectCustomLabels\r\n"
        "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 200\r\n\r\n");
    const std::string body(200, ' ');
    for (std::size_t i = 0; i < body.size() && !done; ++i) {
      if (!socket.send_text(body.substr(i, 1))) break;  // the server hung up
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      if (i == 8) break;  // ~3.6 s: past the 2 s request timeout
    }
    slow_response = socket.receive_all();
  });
  for (int i = 0; i < 3; ++i) {
    const auto answer = rekognition("DetectCustomLabels", detect_body(image_));
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
  }
  slow.join();
  done = true;
  EXPECT_EQ(status_of(slow_response), 408) << slow_response;
  EXPECT_NE(body_of(slow_response).find("RequestTimeoutException"), std::string::npos) << slow_response;
}

TEST_F(ServerTest, AFullQueueAnswers429AtOnceAndTheRestSucceed) {
  ServerOptions options;
  options.workers = 1;
  options.queue_capacity = 1;
  start(options);
  // A large image keeps the worker busy (tiles at full resolution).
  cv::Mat big = testing::make_pattern_rgb(2400, 1800);
  const auto jpeg = testing::encode_jpeg(big);
  const auto body = detect_body(jpeg);
  std::vector<std::future<std::pair<int, double>>> answers;
  for (int i = 0; i < 8; ++i) {
    answers.push_back(std::async(std::launch::async, [&] {
      const auto started = std::chrono::steady_clock::now();
      const auto answer = rekognition("DetectCustomLabels", body);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      return std::pair<int, double>{answer ? answer->status : 0, seconds};
    }));
  }
  int ok = 0;
  int throttled = 0;
  for (auto& answer : answers) {
    const auto [status, seconds] = answer.get();
    if (status == 200) ++ok;
    if (status == 429) {
      ++throttled;
      EXPECT_LT(seconds, 1.0) << "a 429 must come at once";
    }
  }
  EXPECT_GE(ok, 1);  // one running; the second may find the first still waiting for the worker
  EXPECT_GE(throttled, 1);
  EXPECT_EQ(ok + throttled, 8);
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_, "base", R"(, "MaxResults": 1.5)")),
                   400, "InvalidParameterException");
  EXPECT_EQ(rekognition("DetectCustomLabels", detect_body(image_))->status, 200)
      << "good requests still succeed";
}

TEST_F(ServerTest, StopAndStartAModel) {
  const auto entry = *registry_->find("base");
  auto described = rekognition("DescribeProjectVersions", json{{"ProjectArn", entry.project_arn}}.dump());
  ASSERT_EQ(described->status, 200) << described->body;
  const auto versions = json::parse(described->body)["ProjectVersionDescriptions"];
  ASSERT_EQ(versions.size(), 1U);
  EXPECT_EQ(versions[0]["Status"], "RUNNING");
  EXPECT_EQ(versions[0]["ProjectVersionArn"], entry.version_arn);

  auto stopped = rekognition("StopProjectVersion", json{{"ProjectVersionArn", entry.version_arn}}.dump());
  ASSERT_EQ(stopped->status, 200) << stopped->body;
  EXPECT_EQ(json::parse(stopped->body)["Status"], "STOPPING");
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_, entry.version_arn)), 400,
                   "ResourceNotReadyException");
  auto c = client();
  EXPECT_EQ(c.Get("/health")->status, 503);

  auto started = rekognition("StartProjectVersion", json{{"ProjectVersionArn", entry.version_arn}}.dump());
  ASSERT_EQ(started->status, 200) << started->body;
  for (int i = 0; i < 200 && registry_->find("base")->status != ModelStatus::kRunning; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(rekognition("DetectCustomLabels", detect_body(image_, entry.version_arn))->status, 200);
  expect_aws_error(rekognition("DescribeProjectVersions", R"({"ProjectArn": "nope"})"), 400,
                   "ResourceNotFoundException");
  expect_aws_error(rekognition("StartProjectVersion", R"({"ProjectVersionArn": "nope"})"), 400,
                   "ResourceNotFoundException");
}

TEST_F(ServerTest, RestApiTakesRawAndMultipartImages) {
  auto c = client();
  const std::string bytes(image_.begin(), image_.end());
  auto raw = c.Post("/v1/models/base/detect?min_confidence=0&max_results=2", bytes, "image/jpeg");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  const auto found = json::parse(raw->body);
  EXPECT_GT(found["width"].get<int>(), 0);
  EXPECT_LE(found["CustomLabels"].size(), 2U);
  EXPECT_GE(found["CustomLabels"].size(), 1U);
  EXPECT_TRUE(found["CustomLabels"][0].contains("PixelBox"));

  httplib::MultipartFormDataItems items = {{"note", "hello", "", "text/plain"},
                                           {"image", bytes, "photo.jpg", "image/jpeg"}};
  auto multipart = c.Post("/v1/models/base/detect?min_confidence=0&max_results=2", items);
  ASSERT_TRUE(multipart);
  ASSERT_EQ(multipart->status, 200) << multipart->body;
  EXPECT_EQ(json::parse(multipart->body)["CustomLabels"], found["CustomLabels"]);

  EXPECT_EQ(c.Post("/v1/models/nope/detect", bytes, "image/jpeg")->status, 404);
  EXPECT_EQ(c.Post("/v1/models/base/detect?min_confidence=abc", bytes, "image/jpeg")->status, 400);
  EXPECT_EQ(c.Post("/v1/models/base/detect?labels=nope", bytes, "image/jpeg")->status, 400);
  const auto not_image = c.Post("/v1/models/base/detect", "hello", "image/jpeg");
  EXPECT_EQ(not_image->status, 415);
  EXPECT_EQ(json::parse(not_image->body)["error"]["code"], "invalid_image_format");
  EXPECT_EQ(c.Get("/nowhere")->status, 404);

  auto models = c.Get("/v1/models");
  ASSERT_EQ(models->status, 200);
  const auto listed = json::parse(models->body)["models"];
  ASSERT_EQ(listed.size(), 1U);
  EXPECT_EQ(listed[0]["status"], "RUNNING");
  EXPECT_EQ(listed[0]["labels"], json::array({"logo"}));
}

TEST_F(ServerTest, HealthAndMetrics) {
  auto c = client();
  EXPECT_EQ(c.Get("/health")->status, 200);
  rekognition("DetectCustomLabels", detect_body(image_));
  rekognition("DetectCustomLabels", "garbage");
  const auto metrics = c.Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  const auto& text = metrics->body;
  EXPECT_NE(text.find(R"(logoscope_requests_total{operation="DetectCustomLabels",status="200"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find(R"(logoscope_errors_total{operation="DetectCustomLabels",type="SerializationException"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(logoscope_request_seconds_count{operation="DetectCustomLabels"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find("logoscope_inference_queue_depth 0"), std::string::npos);
  EXPECT_NE(text.find(R"(logoscope_model_load_seconds{model="base"})"), std::string::npos);
}

TEST_F(ServerTest, HealthIs503UntilTheModelsAreLoaded) {
  stop();
  registry_ = std::make_unique<ModelRegistry>();
  ASSERT_TRUE(registry_->add({"base", kBaseModel}).ok());
  ServerOptions options;
  options.port = 0;
  options.workers = 1;
  server_ = std::make_unique<Server>(*registry_, options);
  port_ = server_->bind().value();
  listener_ = std::thread([this] { server_->listen(); });
  auto c = client();
  EXPECT_EQ(c.Get("/health")->status, 503);
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_)), 400, "ResourceNotReadyException");
  registry_->start("base", true);
  server_->set_ready(true);
  EXPECT_EQ(c.Get("/health")->status, 200);
}

TEST_F(ServerTest, StopFinishesTheRequestsInFlight) {
  cv::Mat big = testing::make_pattern_rgb(2400, 1800);
  const auto body = detect_body(testing::encode_jpeg(big));
  auto in_flight = std::async(std::launch::async, [&] { return rekognition("DetectCustomLabels", body); });
  // Stop once the detection is running on a worker (however loaded the machine is).
  auto c = client();
  for (int i = 0; i < 400; ++i) {
    const auto metrics = c.Get("/metrics");
    if (metrics && metrics->body.find("logoscope_inference_running 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  server_->stop();
  const auto answer = in_flight.get();
  ASSERT_TRUE(answer) << "the request in flight was cut off";
  EXPECT_EQ(answer->status, 200);
  listener_.join();
  EXPECT_FALSE(client().Get("/health")) << "the server still accepts connections after stop";
}

TEST_F(ServerTest, SignedRequestsOnlyWhenKeysAreConfigured) {
  ServerOptions options;
  options.keys = {{"AKIDLOGOSCOPETEST", "secret"}};
  start(options);
  expect_aws_error(rekognition("DetectCustomLabels", detect_body(image_)), 400,
                   "MissingAuthenticationTokenException");
  auto c = client();
  EXPECT_EQ(c.Get("/health")->status, 200) << "health needs no signature";
  EXPECT_EQ(c.Get("/v1/models")->status, 400);
}

TEST(ModelSpec, NamesComeFromTheFolderOrTheUser) {
  EXPECT_EQ(parse_model_spec("models/redbull").value().name, "redbull");
  EXPECT_EQ(parse_model_spec("models/redbull/").value().name, "redbull");
  const auto named = parse_model_spec("rb=models/x");
  EXPECT_EQ(named.value().name, "rb");
  EXPECT_EQ(named.value().directory, "models/x");
  EXPECT_FALSE(parse_model_spec("bad name=models/x").ok());
  EXPECT_FALSE(parse_model_spec("x=").ok());
}

}  // namespace
}  // namespace logoscope::server
