// server/detect_request.hpp — a DetectCustomLabels request body read and checked before any model
// or S3 object is touched: the fields Rekognition takes, their types and ranges, Image.Bytes
// decoded from base64. No libtorch, no network (fuzz/fuzz_rekognition_request.cpp feeds it).
//
// Thread safety: a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "logoscope/detect.hpp"
#include "server/aws_error.hpp"

namespace logoscope::server {

struct DetectCustomLabelsRequest {
  std::string project_version_arn;
  std::vector<std::uint8_t> image_bytes;  ///< Image.Bytes decoded; empty when s3_uri is set
  std::string s3_uri;                     ///< Image.S3Object as s3://Bucket/Name; empty for Bytes
  DetectOptions options;                  ///< MinConfidence and MaxResults
};

/// The request, or the error Rekognition gives for it: InvalidParameterException (a missing or
/// mistyped field, MinConfidence outside 0–100, MaxResults < 0, S3Object.Version),
/// SerializationException (Bytes not a string), InvalidImageFormatException (Bytes not base64,
/// or empty).
std::variant<DetectCustomLabelsRequest, AwsError> read_detect_custom_labels(const nlohmann::json& request);

}  // namespace logoscope::server
