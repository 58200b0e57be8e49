#include "infer/predictor.hpp"

#include <filesystem>

#include <torch/torch.h>

#include "infer/network_runner.hpp"
#include "model/network_io.hpp"

namespace fs = std::filesystem;

namespace logoscope::infer {

struct Predictor::Impl {
  model::ModelInfo info;
  PredictorOptions options;
  std::unique_ptr<NetworkRunner> runner;
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::~Predictor() = default;

const model::ModelInfo& Predictor::info() const { return impl_->info; }

Result<std::unique_ptr<Predictor>> Predictor::load(const std::string& model_dir, const PredictorOptions& options) {
  auto info = model::read_model_info(model_dir);
  if (!info) return info.error();
  auto impl = std::make_unique<Impl>();
  impl->info = std::move(info).value();
  impl->options = options;
  if (options.threads > 0) torch::set_num_threads(options.threads);
  auto net = model::load_network(impl->info, (fs::path(model_dir) / "weights.pt").string());
  if (!net) return net.error();
  net->ptr()->eval();
  impl->runner = std::make_unique<NetworkRunner>(std::move(net).value(), impl->info.strides);
  return std::unique_ptr<Predictor>(new Predictor(std::move(impl)));
}

std::vector<Detection> Predictor::detect(const cv::Mat& rgb) {
  RunOptions run;
  run.long_side = impl_->options.long_side > 0 ? impl_->options.long_side : impl_->info.infer_long_side;
  run.min_score = impl_->options.min_score;
  run.top_k = impl_->options.top_k;
  run.nms = impl_->options.nms;
  if (run.nms.iou_threshold < 0) run.nms.iou_threshold = impl_->info.nms_iou;
  if (run.nms.containment_threshold < 0) run.nms.containment_threshold = impl_->info.nms_containment;
  return impl_->runner->run(rgb, run);
}

}  // namespace logoscope::infer
