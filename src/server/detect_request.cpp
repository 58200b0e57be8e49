#include "server/detect_request.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"

namespace logoscope::server {

namespace {

using nlohmann::json;

AwsError invalid_parameter(std::string message) { return AwsError{400, "InvalidParameterException", std::move(message)}; }

std::string shown(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// Image.S3Object {Bucket, Name[, Version]} as an s3:// URI.
std::variant<std::string, AwsError> s3_object_uri(const json& object) {
  if (!object.is_object()) return invalid_parameter("Image.S3Object must be an object with Bucket and Name");
  const auto bucket = object.find("Bucket");
  const auto name = object.find("Name");
  if (bucket == object.end() || !bucket->is_string() || bucket->get_ref<const std::string&>().empty() ||
      name == object.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return invalid_parameter("Image.S3Object needs Bucket and Name (non-empty strings)");
  }
  if (const auto version = object.find("Version"); version != object.end() && !version->is_null()) {
    return invalid_parameter(
        "Image.S3Object.Version is not supported by this server: omit it to read the object's current version");
  }
  return "s3://" + bucket->get<std::string>() + "/" + name->get<std::string>();
}

}  // namespace

std::variant<DetectCustomLabelsRequest, AwsError> read_detect_custom_labels(const json& request) {
  if (!request.is_object()) return AwsError{400, "SerializationException", "the request body is not a JSON object"};
  DetectCustomLabelsRequest read;
  const auto arn = request.find("ProjectVersionArn");
  if (arn == request.end() || !arn->is_string() || arn->get_ref<const std::string&>().empty()) {
    return invalid_parameter("ProjectVersionArn is required (a string)");
  }
  read.project_version_arn = arn->get<std::string>();
  const auto image = request.find("Image");
  if (image == request.end() || !image->is_object()) {
    return invalid_parameter("Image is required (an object with Bytes or S3Object)");
  }
  const auto bytes = image->find("Bytes");
  const auto s3_object = image->find("S3Object");
  if ((bytes == image->end()) == (s3_object == image->end())) {
    return invalid_parameter("Image must hold exactly one of Bytes and S3Object");
  }
  if (s3_object != image->end()) {
    auto uri = s3_object_uri(*s3_object);
    if (auto* error = std::get_if<AwsError>(&uri)) return *error;
    read.s3_uri = std::get<std::string>(std::move(uri));
  } else {
    if (!bytes->is_string()) {
      return AwsError{400, "SerializationException",
                      fmt::format("Image.Bytes must be a base64 string, not {}", bytes->type_name())};
    }
    auto decoded = base64_decode(bytes->get_ref<const std::string&>());
    if (!decoded) {
      return AwsError{400, "InvalidImageFormatException",
                      "Request has invalid image format: Image.Bytes is not valid base64: " + decoded.error().message};
    }
    read.image_bytes = std::move(decoded).value();
    if (read.image_bytes.empty()) {
      return AwsError{400, "InvalidImageFormatException", "Request has invalid image format: the image is empty"};
    }
  }
  if (const auto min = request.find("MinConfidence"); min != request.end() && !min->is_null()) {
    if (!min->is_number() || min->get<double>() < 0 || min->get<double>() > 100) {
      return invalid_parameter(fmt::format("MinConfidence must be a number from 0 to 100, not {}", shown(*min)));
    }
    read.options.min_confidence = min->get<double>();
  }
  if (const auto max = request.find("MaxResults"); max != request.end() && !max->is_null()) {
    if (!max->is_number_integer() || (!max->is_number_unsigned() && max->get<std::int64_t>() < 0)) {
      return invalid_parameter(fmt::format("MaxResults must be a whole number ≥ 0, not {}", shown(*max)));
    }
    read.options.max_results = max->get<std::size_t>();
  }
  return read;
}

}  // namespace logoscope::server
