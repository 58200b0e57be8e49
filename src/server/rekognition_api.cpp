#include "server/rekognition_api.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "api/custom_labels.hpp"
#include "server/detect_request.hpp"
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

std::variant<json, AwsError> RekognitionApi::detect_custom_labels(const json& request) {
  auto read = read_detect_custom_labels(request);
  if (auto* error = std::get_if<AwsError>(&read)) return *error;
  auto& detect_request = std::get<DetectCustomLabelsRequest>(read);
  if (!detect_request.s3_uri.empty()) {
    // The object's bytes through the storage layer (the server's AWS settings and credentials; the
    // object cache).
    auto bytes = storage::read_file(detect_request.s3_uri);
    if (!bytes) {
      return AwsError{400, "InvalidS3ObjectException",
                      "Unable to get object metadata from S3. Check object key, region and/or access permissions. (" +
                          bytes.error().message + ")"};
    }
    detect_request.image_bytes.assign(bytes->begin(), bytes->end());
    if (detect_request.image_bytes.empty()) {
      return AwsError{400, "InvalidImageFormatException", "Request has invalid image format: the image is empty"};
    }
  }
  auto found = queue_.detect(detect_request.project_version_arn, std::move(detect_request.image_bytes),
                             detect_request.options);
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
