// The server's libtorch-free pieces: base64 of request bodies, AWS error shapes, Prometheus text.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server/aws_error.hpp"
#include "server/detect_request.hpp"
#include "core/base64.hpp"
#include "server/metrics.hpp"

namespace logoscope::server {
namespace {

TEST(Base64, DecodesStrictly) {
  EXPECT_EQ(base64_decode("aGVsbG8=").value(), (std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(base64_decode("aGVsbG8").value().size(), 5U);
  EXPECT_EQ(base64_decode("").value().size(), 0U);
  EXPECT_FALSE(base64_decode("aGV sbG8=").ok());
  EXPECT_FALSE(base64_decode("a").ok());
  EXPECT_FALSE(base64_decode("aG=VsbG8").ok());
  EXPECT_NE(base64_decode("aGV*bG8=").error().message.find("offset 3"), std::string::npos);
}

TEST(Base64, EncodesWhatItDecodes) {
  for (const std::string text : {"", "h", "he", "hel", "hello", "hello!"}) {
    const std::vector<std::uint8_t> bytes(text.begin(), text.end());
    EXPECT_EQ(base64_decode(base64_encode(bytes)).value(), bytes) << text;
  }
  EXPECT_EQ(base64_encode(std::vector<std::uint8_t>{'h', 'e', 'l', 'l', 'o'}), "aGVsbG8=");
}

TEST(AwsError, DecodeFailuresMapToRekognitionsTypes) {
  EXPECT_EQ(aws_error_for({ErrorCode::kUnsupportedFormat, "x"}).type, "InvalidImageFormatException");
  EXPECT_EQ(aws_error_for({ErrorCode::kTruncated, "x"}).type, "InvalidImageFormatException");
  EXPECT_EQ(aws_error_for({ErrorCode::kCorrupt, "x"}).type, "InvalidImageFormatException");
  EXPECT_EQ(aws_error_for({ErrorCode::kTooLarge, "x"}).type, "ImageTooLargeException");
  EXPECT_EQ(aws_error_for({ErrorCode::kInvalidArgument, "x"}).type, "InvalidParameterException");
  EXPECT_EQ(aws_error_for({ErrorCode::kIo, "x"}).http_status, 500);
  const auto body = nlohmann::json::parse(aws_error_body({400, "ThrottlingException", "busy"}));
  EXPECT_EQ(body["__type"], "ThrottlingException");
  EXPECT_EQ(body["Message"], "busy");
  EXPECT_EQ(rest_error_code("InvalidImageFormatException"), "invalid_image_format");
  EXPECT_EQ(rest_error_code("InternalServerError"), "internal_server");
}

// The request body's checks, before any model or S3 object is touched (fuzz_rekognition_request
// feeds the same function).
TEST(DetectRequest, ReadsWhatRekognitionTakesAndRefusesTheRest) {
  using nlohmann::json;
  const json good = {{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", "aGk="}}}, {"MinConfidence", 40},
                     {"MaxResults", 3}};
  const auto read = read_detect_custom_labels(good);
  ASSERT_TRUE(std::holds_alternative<DetectCustomLabelsRequest>(read));
  const auto& request = std::get<DetectCustomLabelsRequest>(read);
  EXPECT_EQ(request.project_version_arn, "arn:p");
  EXPECT_EQ(std::string(request.image_bytes.begin(), request.image_bytes.end()), "hi");
  EXPECT_DOUBLE_EQ(request.options.min_confidence, 40);
  EXPECT_EQ(request.options.max_results, 3U);
  const auto s3 = read_detect_custom_labels(
      json{{"ProjectVersionArn", "arn:p"}, {"Image", {{"S3Object", {{"Bucket", "b"}, {"Name", "k/a.jpg"}}}}}});
  ASSERT_TRUE(std::holds_alternative<DetectCustomLabelsRequest>(s3));
  EXPECT_EQ(std::get<DetectCustomLabelsRequest>(s3).s3_uri, "s3://b/k/a.jpg");
  const std::vector<std::pair<json, std::string>> refused = {
      {json::object(), "InvalidParameterException"},
      {{{"ProjectVersionArn", "arn:p"}}, "InvalidParameterException"},
      {{{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", "aGk="}, {"S3Object", json::object()}}}},
       "InvalidParameterException"},
      {{{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", 5}}}}, "SerializationException"},
      {{{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", "a?=="}}}}, "InvalidImageFormatException"},
      {{{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", ""}}}}, "InvalidImageFormatException"},
      {{{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", "aGk="}}}, {"MinConfidence", 101}},
       "InvalidParameterException"},
      {{{"ProjectVersionArn", "arn:p"}, {"Image", {{"Bytes", "aGk="}}}, {"MaxResults", -1}},
       "InvalidParameterException"},
      {{{"ProjectVersionArn", "arn:p"},
        {"Image", {{"S3Object", {{"Bucket", "b"}, {"Name", "k"}, {"Version", "v1"}}}}}},
       "InvalidParameterException"},
  };
  for (const auto& [body, type] : refused) {
    const auto answer = read_detect_custom_labels(body);
    ASSERT_TRUE(std::holds_alternative<AwsError>(answer)) << body.dump();
    EXPECT_EQ(std::get<AwsError>(answer).type, type) << body.dump();
  }
}

TEST(Metrics, RendersPrometheusText) {
  Metrics metrics;
  metrics.record("DetectCustomLabels", 200, 0.02);
  metrics.record("DetectCustomLabels", 200, 0.2);
  metrics.record("DetectCustomLabels", 429, 0.001);
  metrics.record_error("DetectCustomLabels", "ThrottlingException");
  Metrics::Gauges gauges;
  gauges.queue_depth = 3;
  gauges.workers = 2;
  gauges.model_load_seconds = {{"a\"b", 1.5}};
  const auto text = metrics.render(gauges);
  EXPECT_NE(text.find("logoscope_requests_total{operation=\"DetectCustomLabels\",status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(
      text.find("logoscope_errors_total{operation=\"DetectCustomLabels\",type=\"ThrottlingException\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("logoscope_request_seconds_bucket{operation=\"DetectCustomLabels\",le=\"0.025\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("logoscope_request_seconds_bucket{operation=\"DetectCustomLabels\",le=\"+Inf\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("logoscope_inference_queue_depth 3"), std::string::npos);
  EXPECT_NE(text.find("logoscope_model_load_seconds{model=\"a\\\"b\"} 1.5"), std::string::npos) << text;
}

}  // namespace
}  // namespace logoscope::server
