// server/detection_queue.hpp — a detection request handed to the inference workers: the model
// looked up by name or ARN, the image and options queued on the InferencePool, the caller waiting
// for the answer. What both protocols (Rekognition JSON and REST) call.
//
// Thread safety: every member may be called from any thread (one HTTP thread per request).
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "logoscope/detect.hpp"
#include "server/aws_error.hpp"
#include "server/inference_pool.hpp"
#include "server/model_registry.hpp"

namespace logoscope::server {

class DetectionQueue {
 public:
  /// `registry` and `pool` must outlive the queue. Each detection runs in a Session with
  /// `threads_per_worker` threads; images over `max_pixels` are refused (ImageTooLargeException).
  DetectionQueue(ModelRegistry& registry, InferencePool& pool, int threads_per_worker,
                 std::int64_t max_pixels);

  /// Detects in `image` (encoded bytes) with the model `model_key` names, on a worker; blocks until
  /// done. Errors: ResourceNotFoundException, ResourceNotReadyException, ThrottlingException (the
  /// queue is full: at once), and the decoding / option errors of Session::detect (aws_error_for).
  std::variant<DetectResult, AwsError> detect(const std::string& model_key, std::vector<std::uint8_t> image,
                                              DetectOptions options);

  /// True when a request would be refused now: refusing costs little only before parsing, so the
  /// protocols check this as soon as a body is in (detect checks again, exactly).
  [[nodiscard]] bool full() const;
  /// The 429 ThrottlingException answer.
  [[nodiscard]] AwsError throttled() const;

 private:
  ModelRegistry& registry_;
  InferencePool& pool_;
  int threads_per_worker_;
  std::int64_t max_pixels_;
};

}  // namespace logoscope::server
