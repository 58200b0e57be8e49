// infer/detect_pipeline.hpp — detect logos in many image files: a bounded pipeline with
// decoding and preparation (Predictor::prepare) on worker threads and the network on the calling
// thread, results delivered in input order.
//
// Memory stays bounded: at most `queue_depth` decoded images wait for the network. A file that
// cannot be read or decoded becomes an ImageResult with `error` set; the run goes on.
//
// Thread safety: any number of calls at once (Predictor is thread-safe). `on_result` runs on the calling thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "imageio/image_io.hpp"
#include "infer/predictor.hpp"
#include "logoscope/detection.hpp"
#include "logoscope/result.hpp"

namespace logoscope::infer {

struct PipelineOptions {
  /// Threads that decode and prepare images while the network runs; 0 decodes on the calling
  /// thread between forward passes (BENCHMARKS.md compares the two).
  int decode_threads = 1;
  std::size_t queue_depth = 8;  ///< decoded images waiting for the network, at most (≥ 1)
  /// Consecutive ready images that Predictor::batchable pairs go through the network together,
  /// up to this many (with decode_threads > 0). 4 measured ~20 % faster than 1 for 512×384.
  std::size_t image_batch = 4;
  /// > 1: this many images at once, each decoded and run through the network on its own worker
  /// with `threads_per_image` intra-op threads (the calling thread only delivers results in
  /// order); no batching across images. On 2 cores two images × 1 thread each beat one image × 2
  /// threads for ~500 px photos (BENCHMARKS.md, "Detection speed").
  int images_at_once = 1;
  int threads_per_image = 1;
  imageio::DecodeOptions decode;
  bool background_priority = true;  ///< decode threads run at nice 10, below the network
};

struct ImageResult {
  std::size_t index = 0;              ///< position in the input list
  std::string path;                   ///< as given
  std::optional<Error> error;         ///< set when the file could not be read or decoded
  std::vector<std::string> warnings;  ///< from the decoder (e.g. damaged JPEG data skipped)
  int width = 0;                      ///< pixels as displayed
  int height = 0;
  cv::Mat rgb;                        ///< the decoded image (for drawing); empty on error
  std::vector<Detection> detections;  ///< after NMS / tile merge, scores ≥ the predictor's min_score
  StageTimes times;
};

/// Runs `predictor` on every path, calling on_result(result) once per path, in order.
/// Exceptions thrown by on_result stop the run and are rethrown after the workers stopped.
void detect_files(const Predictor& predictor, const std::vector<std::string>& paths, const PipelineOptions& options,
                  const std::function<void(ImageResult&)>& on_result);

}  // namespace logoscope::infer
