// library/model_impl.hpp — what a public logoscope::Model holds, for the library's own sources
// and the programs built with it (server, video) that need the engine underneath.
#pragma once

#include <memory>

#include "api/custom_labels.hpp"
#include "infer/predictor.hpp"
#include "logoscope/detect.hpp"

namespace logoscope {

struct Model::Impl {
  ModelDescription description;
  std::unique_ptr<infer::Predictor> predictor;  ///< thread-safe; threads set per call by Session
};

/// DetectOptions checked against the model and turned into the engine's filter. Errors:
/// kInvalidArgument (min_confidence over 100, a label the model does not have).
Result<api::LabelFilter> resolve_filter(const ModelDescription& model, const DetectOptions& options);

}  // namespace logoscope
