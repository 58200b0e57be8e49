#include "server/detection_queue.hpp"

#include <future>
#include <memory>

#include <fmt/format.h>

namespace logoscope::server {

DetectionQueue::DetectionQueue(ModelRegistry& registry, InferencePool& pool, int threads_per_worker,
                               std::int64_t max_pixels)
    : registry_(registry), pool_(pool), threads_per_worker_(threads_per_worker), max_pixels_(max_pixels) {}

AwsError DetectionQueue::throttled() const {
  return AwsError{429, "ThrottlingException",
                  fmt::format("all {} inference workers are busy and {} requests wait; retry shortly",
                              pool_.workers(), pool_.capacity())};
}

bool DetectionQueue::full() const {
  return pool_.queued() >= pool_.capacity();
}

std::variant<DetectResult, AwsError> DetectionQueue::detect(const std::string& model_key,
                                                            std::vector<std::uint8_t> image,
                                                            DetectOptions detect_options) {
  const auto entry = registry_.find(model_key);
  if (!entry) {
    return AwsError{400, "ResourceNotFoundException", registry_.explain_not_found(model_key)};
  }
  if (entry->status != ModelStatus::kRunning || entry->model == nullptr) {
    return AwsError{400, "ResourceNotReadyException",
                    fmt::format("model {} is {}: start it with StartProjectVersion", entry->name,
                                model_status_name(entry->status))};
  }
  detect_options.max_pixels = max_pixels_;
  auto promise = std::make_shared<std::promise<Result<DetectResult>>>();
  auto future = promise->get_future();
  const bool queued = pool_.try_submit([promise, model = entry->model, image = std::move(image),
                                        detect_options, threads = threads_per_worker_]() mutable {
    try {
      Session session(model, {threads});
      promise->set_value(session.detect(image, detect_options));
    } catch (const std::exception& error) {
      promise->set_value(Error{ErrorCode::kIo, fmt::format("detection failed: {}", error.what())});
    }
  });
  if (!queued) return throttled();
  auto result = future.get();
  if (!result) return aws_error_for(result.error());
  return std::move(result).value();
}

}  // namespace logoscope::server
