// server/rekognition_api.hpp — Amazon Rekognition's operations as JSON in, JSON out: what
// `POST /` answers for X-Amz-Target RekognitionService.OPERATION (docs/serve.md has the shapes).
// No HTTP here: the server reads the body, checks the signature and passes the parsed request.
//
// Thread safety: call() may run on many threads at once.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/aws_error.hpp"
#include "server/detection_queue.hpp"
#include "server/model_registry.hpp"

namespace logoscope::server {

class RekognitionApi {
 public:
  /// `registry` and `queue` must outlive the API.
  RekognitionApi(ModelRegistry& registry, DetectionQueue& queue) : registry_(registry), queue_(queue) {}

  /// The operations answered: DetectCustomLabels, DescribeProjects, DescribeProjectVersions,
  /// StartProjectVersion, StopProjectVersion.
  static const std::vector<std::string>& operations();

  /// Answers `operation` (one of operations()) for `request` (a JSON object): the response body,
  /// or the AWS error (InvalidParameterException for missing or bad fields, ResourceNotFound…,
  /// and those of DetectionQueue::detect).
  std::variant<nlohmann::json, AwsError> call(const std::string& operation, const nlohmann::json& request);

 private:
  std::variant<nlohmann::json, AwsError> detect_custom_labels(const nlohmann::json& request);
  std::variant<nlohmann::json, AwsError> describe_projects();
  std::variant<nlohmann::json, AwsError> describe_project_versions(const nlohmann::json& request);
  std::variant<nlohmann::json, AwsError> start_or_stop(const nlohmann::json& request, bool start);

  ModelRegistry& registry_;
  DetectionQueue& queue_;
};

}  // namespace logoscope::server
