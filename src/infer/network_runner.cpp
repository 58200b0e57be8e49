#include "infer/network_runner.hpp"

#include <opencv2/imgproc.hpp>

#include "logoscope/result.hpp"
#include "model/fcos_head_ops.hpp"

namespace logoscope::infer {

NetworkRunner::NetworkRunner(model::DetectorNet net, std::vector<int> strides)
    : net_(std::move(net)), strides_(std::move(strides)), device_(net_->parameters().front().device()) {}

std::vector<Detection> NetworkRunner::run(const cv::Mat& rgb, const RunOptions& options) {
  LOGOSCOPE_CHECK(rgb.type() == CV_8UC3 && !rgb.empty());
  const double scale = static_cast<double>(options.long_side) / std::max(rgb.cols, rgb.rows);
  const int w = std::max(1, static_cast<int>(std::lround(rgb.cols * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(rgb.rows * scale)));
  const int padded_w = (w + 31) / 32 * 32;
  const int padded_h = (h + 31) / 32 * 32;
  cv::Mat canvas(padded_h, padded_w, CV_8UC3, cv::Scalar(114, 114, 114));
  cv::resize(rgb, canvas(cv::Rect(0, 0, w, h)), {w, h}, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);

  torch::NoGradGuard no_grad;
  const auto input = torch::from_blob(canvas.data, {1, padded_h, padded_w, 3}, torch::kUInt8)
                         .permute({0, 3, 1, 2})
                         .to(torch::kFloat)
                         .div(255.0)
                         .contiguous(torch::MemoryFormat::ChannelsLast);
  auto out = model::flatten_levels(net_->forward(input.to(device_)));
  if (device_.is_cuda()) out = {out.cls.cpu(), out.box.cpu(), out.ctr.cpu()};
  auto& centres = centres_by_size_[{padded_w, padded_h}];
  if (!centres.defined()) centres = model::location_centres(model::GridLayout::make(padded_w, padded_h, strides_));
  const double sx = static_cast<double>(w) / rgb.cols;
  const double sy = static_cast<double>(h) / rgb.rows;
  auto detections = model::decode_image(out.cls[0].contiguous(), out.box[0].contiguous(), out.ctr[0].contiguous(),
                                        centres, options.min_score, options.top_k, sx, sy, rgb.cols, rgb.rows);
  return non_max_suppression(std::move(detections), options.nms);
}

}  // namespace logoscope::infer
