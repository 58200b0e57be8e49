// logoscope-bench-train-step — training and inference throughput of the detection network alone
// (no data loading): random images with FCOS targets from random boxes, on the CPU or, in a CUDA
// libtorch build, the GPU. Prints images/s for training steps and ms/image for inference.
// Usage: logoscope-bench-train-step [batch] [size] [steps] [architecture] [frozen parts]
//        architecture: fcos-resnet-fpn (default) or nanodet-g (random weights: speed only)
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <torch/torch.h>

#include "core/cpu_features.hpp"
#include "model/detector_net.hpp"
#include "model/fcos_head_ops.hpp"
#include "model/fcos_targets.hpp"
#ifndef LOGOSCOPE_TORCH_ONLY
#include "model/nanodet_net.hpp"
#endif

using namespace logoscope;

namespace {

constexpr const char* kUsage =
    "Usage: logoscope-bench-train-step [batch] [size] [steps] [architecture] [frozen parts]\n"
    "  batch 1-256 (16), size 64-2048 and a multiple of 32 (320), steps 1-100000 (30),\n"
    "  architecture fcos-resnet-fpn (default) or nanodet-g, frozen parts 0-5 (0)\n";

// argv[index] as a whole number within [low, high], `fallback` when absent; exits 2 otherwise.
int number_arg(int argc, char** argv, int index, int fallback, int low, int high) {
  if (argc <= index) return fallback;
  char* end = nullptr;
  const long value = std::strtol(argv[index], &end, 10);
  if (end == argv[index] || *end != '\0' || value < low || value > high) {
    std::fprintf(stderr, "logoscope-bench-train-step: argument %d is \"%s\"\n%s", index, argv[index], kUsage);
    std::exit(2);
  }
  return static_cast<int>(value);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const int batch = number_arg(argc, argv, 1, 16, 1, 256);
  const int size = number_arg(argc, argv, 2, 320, 64, 2048);
  const int steps = number_arg(argc, argv, 3, 30, 1, 100000);
  const std::string architecture = argc > 4 ? argv[4] : "fcos-resnet-fpn";
  const int frozen = number_arg(argc, argv, 5, 0, 0, 5);
  if (size % 32 != 0 || (architecture != "fcos-resnet-fpn" && architecture != "nanodet-g")) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const torch::Device device = torch::cuda::is_available() ? torch::kCUDA : torch::kCPU;
  if (device.is_cpu() && std::getenv("OMP_NUM_THREADS") == nullptr) torch::set_num_threads(2);
  torch::manual_seed(0);
  model::Detector net = model::DetectorNet(model::NetConfig::small(27)).ptr();
#ifndef LOGOSCOPE_TORCH_ONLY
  if (architecture == "nanodet-g") {
    auto nanodet = std::make_shared<model::NanoDetNetImpl>(27);
    nanodet->freeze(frozen);
    net = nanodet;
  }
#endif
  if (net->architecture() != architecture) {
    std::fprintf(stderr, "unknown architecture %s\n", architecture.c_str());
    return 2;
  }
  net->to(device);
  for (auto& p : net->parameters()) {
    if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
  }
  std::vector<torch::Tensor> trainable;
  for (auto& p : net->parameters()) {
    if (p.requires_grad()) trainable.push_back(p);
  }
  torch::optim::AdamW optimizer(trainable, torch::optim::AdamWOptions(1e-3));
  const auto layout = model::GridLayout::make(size, size, net->strides());
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> pos(0, size * 0.7);
  std::uniform_real_distribution<double> side(8, size * 0.3);
  auto labels = torch::empty({batch, layout.total}, torch::kInt64);
  auto boxes = torch::empty({batch, layout.total, 4});
  auto ctr = torch::empty({batch, layout.total});
  for (int i = 0; i < batch; ++i) {
    std::vector<Box> truth;
    for (int k = 0; k < 3; ++k) {
      const double x = pos(rng);
      const double y = pos(rng);
      truth.push_back({x, y, x + side(rng), y + side(rng), k});
    }
    const auto t = model::assign_targets(truth, layout);
    std::memcpy(labels[i].data_ptr<std::int64_t>(), t.labels.data(), t.labels.size() * sizeof(std::int64_t));
    std::memcpy(boxes[i].data_ptr<float>(), t.boxes.data(), t.boxes.size() * sizeof(float));
    std::memcpy(ctr[i].data_ptr<float>(), t.centerness.data(), t.centerness.size() * sizeof(float));
  }
  const auto images = torch::rand({batch, 3, size, size}).contiguous(torch::MemoryFormat::ChannelsLast).to(device);
  labels = labels.to(device);
  boxes = boxes.to(device);
  ctr = ctr.to(device);
  auto sync = [&] {
    if (device.is_cuda()) torch::cuda::synchronize();
  };
  double loss_value = 0;
  std::chrono::steady_clock::time_point start;
  for (int step = 0; step < steps + 3; ++step) {
    if (step == 3) {
      sync();
      start = std::chrono::steady_clock::now();
    }
    const auto out = model::flatten_levels(net->forward(images));
    const auto loss = model::fcos_loss(out, labels, boxes, ctr);
    optimizer.zero_grad();
    loss.total.backward();
    optimizer.step();
    loss_value = loss.total.item<double>();
  }
  sync();
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  net->eval();
  torch::NoGradGuard no_grad;
  const auto one = images.narrow(0, 0, 1);
  for (int i = 0; i < 3; ++i) net->forward(one);
  sync();
  const auto infer_start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) net->forward(one);
  sync();
  const double infer_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - infer_start).count();
  std::printf("%s (%d frozen), device %s, batch %d, %dx%d: training %.1f img/s (%d steps, last loss %.3f); "
              "inference %.2f ms/image (module forward)\ncpu: %s; %d threads\n",
              architecture.c_str(), frozen, device.is_cuda() ? "cuda" : "cpu", batch, size, size,
              batch * steps / train_s, steps, loss_value, 1000.0 * infer_s / steps, cpu_features().summary().c_str(),
              torch::get_num_threads());
  return 0;
}
