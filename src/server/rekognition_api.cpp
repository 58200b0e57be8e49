#include "server/rekognition_api.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "api/custom_labels.hpp"
#include "core/base64.hpp"
#include "storage/storage.hpp"

namespace logoscope::server {

namespace {

using nlohmann::json;

json version_description(const ModelEntry& entry) {
  json description{{"ProjectVersionArn", entry.version_arn},
                   {"CreationTimestamp", static_cast<double>(entry.created_ms) / 1000.0},
                   {"MinInferenceUnits", 1},
                   {"Status", model_status_name(entry.status)},
                   {"StatusMessage", entry.status_message}};
  if (entry.model != nullptr && entry.model->description().f1) {
    description["EvaluationResult"] = {{"F1Score", *entry.model->description().f1}};
  }
  return description;
}

}  // namespace

const std::vector<std::string>& RekognitionApi::operations() {
  static const std::vector<std::string> kOperations = {"DetectCustomLabels", "DescribeProjects",
                                                       "DescribeProjectVersions", "StartProjectVersion",
                                                       "StopProjectVersion"};
  return kOperations;
}

std::variant<json, AwsError> RekognitionApi::call(const std::string& operation, const json& request) {
  if (operation == "DetectCustomLabels") return detect_custom_labels(request);
  if (operation == "DescribeProjects") return describe_projects();
  if (operation == "DescribeProjectVersions") return describe_project_versions(request);
  if (operation == "StartProjectVersion" || operation == "StopProjectVersion") {
    return start_or_stop(request, operation == "StartProjectVersion");
  }
  return AwsError{400, "UnknownOperationException", fmt::format("unknown operation \"{}\"", operation)};
}

namespace {

// Image.S3Object {Bucket, Name[, Version]}: the object's bytes through the storage layer (the
// server's AWS settings and credentials; the object cache).
std::variant<std::string, AwsError> read_s3_object(const json& object) {
  if (!object.is_object()) {
    return AwsError{400, "InvalidParameterException", "Image.S3Object must be an object with Bucket and Name"};
  }
  const auto bucket = object.find("Bucket");
  const auto name = object.find("Name");
  if (bucket == object.end() || !bucket->is_string() || bucket->get<std::string>().empty() || name == object.end() ||
      !name->is_string() || name->get<std::string>().empty()) {
    return AwsError{400, "InvalidParameterException", "Image.S3Object needs Bucket and Name (non-empty strings)"};
  }
  if (const auto version = object.find("Version"); version != object.end() && !version->is_null()) {
    return AwsError{400, "InvalidParameterException",
                    "Image.S3Object.Version is not supported by this server: omit it to read the object's current "
                    "version"};
  }
  const std::string uri = "s3://" + bucket->get<std::string>() + "/" + name->get<std::string>();
  auto bytes = storage::read_file(uri);
  if (!bytes) {
    return AwsError{400, "InvalidS3ObjectException",
                    "Unable to get object metadata from S3. Check object key, region and/or access permissions. (" +
                        bytes.error().message + ")"};
  }
  return std::move(bytes).value();
}

}  // namespace

std::variant<json, AwsError> RekognitionApi::detect_custom_labels(const json& request) {
  const auto arn = request.find("ProjectVersionArn");
  if (arn == request.end() || !arn->is_string() || arn->get<std::string>().empty()) {
    return AwsError{400, "InvalidParameterException", "ProjectVersionArn is required (a string)"};
  }
  const auto image = request.find("Image");
  if (image == request.end() || !image->is_object()) {
    return AwsError{400, "InvalidParameterException", "Image is required (an object with Bytes or S3Object)"};
  }
  const bool has_bytes = image->contains("Bytes");
  const bool has_s3 = image->contains("S3Object");
  if (has_bytes == has_s3) {
    return AwsError{400, "InvalidParameterException", "Image must hold exactly one of Bytes and S3Object"};
  }
  std::vector<std::uint8_t> image_bytes;
  if (has_s3) {
    auto read = read_s3_object((*image)["S3Object"]);
    if (auto* error = std::get_if<AwsError>(&read)) return *error;
    const auto& object_bytes = std::get<std::string>(read);
    image_bytes.assign(object_bytes.begin(), object_bytes.end());
  } else {
    const auto& bytes = (*image)["Bytes"];
    if (!bytes.is_string()) {
      return AwsError{400, "SerializationException",
                      fmt::format("Image.Bytes must be a base64 string, not {}", bytes.type_name())};
    }
    auto decoded = base64_decode(bytes.get_ref<const std::string&>());
    if (!decoded) {
      return AwsError{
          400, "InvalidImageFormatException",
          "Request has invalid image format: Image.Bytes is not valid base64: " + decoded.error().message};
    }
    image_bytes = std::move(decoded).value();
  }
  if (image_bytes.empty()) {
    return AwsError{400, "InvalidImageFormatException", "Request has invalid image format: the image is empty"};
  }
  DetectOptions detect_options;
  if (const auto min = request.find("MinConfidence"); min != request.end() && !min->is_null()) {
    if (!min->is_number() || min->get<double>() < 0 || min->get<double>() > 100) {
      return AwsError{400, "InvalidParameterException",
                      fmt::format("MinConfidence must be a number from 0 to 100, not {}", min->dump())};
    }
    detect_options.min_confidence = min->get<double>();
  }
  if (const auto max = request.find("MaxResults"); max != request.end() && !max->is_null()) {
    if (!max->is_number_integer() || max->get<std::int64_t>() < 0) {
      return AwsError{400, "InvalidParameterException",
                      fmt::format("MaxResults must be a whole number ≥ 0, not {}", max->dump())};
    }
    detect_options.max_results = max->get<std::size_t>();
  }
  auto found = queue_.detect(arn->get<std::string>(), std::move(image_bytes), detect_options);
  if (auto* error = std::get_if<AwsError>(&found)) return *error;
  return api::to_rekognition_response(std::get<DetectResult>(found));
}

std::variant<json, AwsError> RekognitionApi::describe_project_versions(const json& request) {
  const auto project = request.find("ProjectArn");
  if (project == request.end() || !project->is_string()) {
    return AwsError{400, "InvalidParameterException", "ProjectArn is required (a string)"};
  }
  std::vector<std::string> names;
  if (const auto versions = request.find("VersionNames"); versions != request.end() && versions->is_array()) {
    for (const auto& name : *versions) {
      if (name.is_string()) names.push_back(name.get<std::string>());
    }
  }
  const auto key = project->get<std::string>();
  json descriptions = json::array();
  bool project_found = false;
  for (const auto& entry : registry_.entries()) {
    if (entry.project_arn != key && entry.name != key && rekognition_project_name(key) != entry.name) continue;
    project_found = true;
    if (!names.empty() && std::find(names.begin(), names.end(), entry.version) == names.end()) continue;
    descriptions.push_back(version_description(entry));
  }
  if (!project_found) {
    return AwsError{400, "ResourceNotFoundException", registry_.explain_not_found(key)};
  }
  return json{{"ProjectVersionDescriptions", descriptions}};
}

std::variant<json, AwsError> RekognitionApi::describe_projects() {
  json projects = json::array();
  for (const auto& entry : registry_.entries()) {
    projects.push_back({{"ProjectArn", entry.project_arn},
                        {"CreationTimestamp", static_cast<double>(entry.created_ms) / 1000.0},
                        {"Status", "CREATED"}});
  }
  return json{{"ProjectDescriptions", projects}};
}

std::variant<json, AwsError> RekognitionApi::start_or_stop(const json& request, bool start) {
  const auto arn = request.find("ProjectVersionArn");
  if (arn == request.end() || !arn->is_string()) {
    return AwsError{400, "InvalidParameterException", "ProjectVersionArn is required (a string)"};
  }
  const auto key = arn->get<std::string>();
  if (!(start ? registry_.start(key) : registry_.stop(key))) {
    return AwsError{400, "ResourceNotFoundException", registry_.explain_not_found(key)};
  }
  if (!start) return json{{"Status", "STOPPING"}};
  const auto entry = registry_.find(key);
  return json{{"Status", entry ? model_status_name(entry->status) : "STARTING"}};
}

}  // namespace logoscope::server
