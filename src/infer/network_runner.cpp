#include "infer/network_runner.hpp"

#include <chrono>

#include <opencv2/imgproc.hpp>

#include "logoscope/result.hpp"
#include "model/fcos_head_ops.hpp"

namespace logoscope::infer {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

std::pair<int, int> scaled_size(int width, int height, int long_side) {
  const double scale = static_cast<double>(long_side) / std::max(width, height);
  return {std::max(1, static_cast<int>(std::lround(width * scale))),
          std::max(1, static_cast<int>(std::lround(height * scale)))};
}

cv::Mat resize_to_long_side(const cv::Mat& rgb, int long_side) {
  const auto [w, h] = scaled_size(rgb.cols, rgb.rows, long_side);
  if (w == rgb.cols && h == rgb.rows) return rgb;
  cv::Mat resized;
  cv::resize(rgb, resized, {w, h}, 0, 0, w < rgb.cols ? cv::INTER_AREA : cv::INTER_LINEAR);
  return resized;
}

torch::Tensor normalised_canvas(const std::vector<cv::Mat>& images, int canvas_w, int canvas_h, torch::Dtype dtype) {
  // [N, H, W, 3] memory seen as [N, 3, H, W]: the channels-last layout the inference networks want.
  auto input = torch::empty({static_cast<int64_t>(images.size()), canvas_h, canvas_w, 3}, dtype);
  const int64_t stride = static_cast<int64_t>(canvas_w) * canvas_h * 3;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const auto offset = static_cast<int64_t>(i) * stride;
    if (dtype == torch::kBFloat16) {
      normalise_into(images[i], input.data_ptr<c10::BFloat16>() + offset, canvas_w, canvas_h);
    } else {
      normalise_into(images[i], input.data_ptr<float>() + offset, canvas_w, canvas_h);
    }
  }
  return input.permute({0, 3, 1, 2});
}

NetworkRunner::NetworkRunner(model::DetectorImpl& net, Precision precision, const nlohmann::json& quantization)
    : net_(value_or_throw(make_inference_net(net, precision, quantization))),
      strides_(net.strides()),
      device_(net.parameters().front().device()) {}

torch::Tensor NetworkRunner::centres(int canvas_w, int canvas_h) const {
  const std::lock_guard lock(centres_mutex_);
  auto& centres = centres_by_size_[{canvas_w, canvas_h}];
  if (!centres.defined())
    centres = model::location_centres(model::GridLayout::make(canvas_w, canvas_h, strides_));
  return centres;
}

std::vector<Detection> NetworkRunner::run(const cv::Mat& rgb, const RunOptions& options) const {
  LOGOSCOPE_CHECK(rgb.type() == CV_8UC3 && !rgb.empty());
  PassInput pass;
  pass.pixels = resize_to_long_side(rgb, options.long_side);
  const int w = pass.pixels.cols;
  const int h = pass.pixels.rows;
  pass.scale_x = static_cast<double>(w) / rgb.cols;
  pass.scale_y = static_cast<double>(h) / rgb.rows;
  pass.extent_w = rgb.cols;
  pass.extent_h = rgb.rows;
  return std::move(run_passes({pass}, pad_to_32(w), pad_to_32(h), options).front());
}

std::vector<std::vector<Detection>> NetworkRunner::run_passes(const std::vector<PassInput>& passes,
                                                              int canvas_w, int canvas_h,
                                                              const RunOptions& options, PassTimes* times) const {
  LOGOSCOPE_CHECK(!passes.empty() && canvas_w % 32 == 0 && canvas_h % 32 == 0);
  c10::InferenceMode inference;
  auto start = Clock::now();
  std::vector<cv::Mat> pixels;
  pixels.reserve(passes.size());
  for (const auto& pass : passes) pixels.push_back(pass.pixels);
  auto input = normalised_canvas(pixels, canvas_w, canvas_h, net_->input_dtype());
  if (!device_.is_cpu()) input = input.to(device_).contiguous(torch::MemoryFormat::ChannelsLast);
  if (times != nullptr) times->preprocess_ms += ms_since(start);

  start = Clock::now();
  model::FlatOutput out;
  {
    const FlopCount flops;
    out = model::flatten_levels(net_->forward(input));
    if (times != nullptr) times->network_gflop += flops.gflop();
  }
  if (!device_.is_cpu()) out = {out.cls.cpu(), out.box.cpu(), out.ctr.cpu()};
  if (times != nullptr) times->network_ms += ms_since(start);

  start = Clock::now();
  const torch::Tensor centres = this->centres(canvas_w, canvas_h);
  std::vector<std::vector<Detection>> results;
  results.reserve(passes.size());
  for (std::size_t i = 0; i < passes.size(); ++i) {
    const auto row = static_cast<int64_t>(i);
    const PassInput& pass = passes[i];
    auto detections =
        model::decode_image(out.cls[row], out.box[row], out.ctr[row], centres, options.min_score,
                            options.top_k, pass.scale_x, pass.scale_y, pass.extent_w, pass.extent_h);
    if (pass.offset_x != 0 || pass.offset_y != 0) {
      for (auto& d : detections) {
        d.x0 += pass.offset_x;
        d.x1 += pass.offset_x;
        d.y0 += pass.offset_y;
        d.y1 += pass.offset_y;
      }
    }
    results.push_back(non_max_suppression(std::move(detections), options.nms));
  }
  if (times != nullptr) times->postprocess_ms += ms_since(start);
  return results;
}

}  // namespace logoscope::infer
