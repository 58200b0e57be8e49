// logoscope-bench-int8 — give an existing NanoDet-g model folder an int8 calibration, so that
// `detect --int8` and `logoscope-bench-detect --int8` can compare it with float on the same
// weights (models trained by this version carry one already). Writes OUT/model.json (with
// "quantization") and a copy of weights.pt; MODEL is not modified.
//
//   logoscope-bench-int8 --model M --images train.manifest [--negatives list.txt] --out M-int8
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "dataset/formats.hpp"
#include "imageio/image_io.hpp"
#include "infer/int8_nanodet.hpp"
#include "infer/predictor.hpp"
#include "model/model_info.hpp"
#include "model/network_io.hpp"

namespace fs = std::filesystem;
using namespace logoscope;

int main(int argc, char** argv) {
  CLI::App app{"Give a NanoDet-g model folder an int8 calibration from some of its training images."};
  std::string model_dir;
  std::string images;
  std::string out;
  std::size_t count = 24;
  std::string negatives;
  std::size_t negative_count = 8;
  app.add_option("--model", model_dir, "Model folder")->required();
  app.add_option("--images", images, "Dataset file (manifest, COCO, …) whose images calibrate")->required();
  app.add_option("--out", out, "New model folder")->required();
  app.add_option("--count", count, "Images used, evenly spread over the dataset")->capture_default_str();
  app.add_option("--negatives", negatives, "A text file of photos without logos (one path per line)");
  app.add_option("--negative-count", negative_count, "Negatives used, evenly spread")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    std::error_code same;
    if (fs::exists(out) && fs::equivalent(out, model_dir, same)) {
      throw Failure(Error{ErrorCode::kInvalidArgument,
                          fmt::format("--out {} is the model folder: write the calibrated copy elsewhere", out)});
    }
    auto info = value_or_throw(model::read_model_info(model_dir));
    auto net = value_or_throw(model::load_network(info, (fs::path(model_dir) / "weights.pt").string()));
    Problems problems;
    const auto data = value_or_throw(dataset::read_dataset(images, std::nullopt, problems));
    std::vector<std::string> paths;
    auto take = [&](const std::vector<std::string>& from, std::size_t wanted) {
      const std::size_t n = std::min(wanted, from.size());
      for (std::size_t k = 0; k < n; ++k) paths.push_back(from[k * from.size() / n]);
    };
    std::vector<std::string> positives;
    for (const auto& sample : data.samples) positives.push_back(sample.image);
    take(positives, count);
    if (!negatives.empty()) {
      std::vector<std::string> lines;
      std::ifstream in(negatives);
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) lines.push_back(line);
      }
      take(lines, negative_count);
    }
    // The trainer calibrates the same way: 24 positives and 8 negatives (train/trainer.cpp).
    std::vector<cv::Mat> rgb;
    for (const auto& path : paths) {
      auto decoded = imageio::decode_image_file(path);
      if (!decoded) {
        std::cerr << decoded.error().message << "\n";
        continue;
      }
      rgb.push_back(decoded->rgb);
    }
    const int large_side = infer::large_logo_pass_side(info);  // the sizes detect runs
    info.quantization = value_or_throw(infer::calibrate_int8(*net, rgb, {info.infer_long_side, large_side}));
    fs::create_directories(out);
    fs::copy_file(fs::path(model_dir) / "weights.pt", fs::path(out) / "weights.pt", fs::copy_options::overwrite_existing);
    value_or_throw(model::write_model_info(info, out));  // Status: Result<Ok>
    std::cout << fmt::format("{}: int8 calibration from {} images at long sides {} and {}\n", out, rgb.size(),
                             info.infer_long_side, large_side);
  } catch (const Failure& failure) {
    std::cerr << "error: " << failure.error().message << "\n";
    return 2;
  } catch (const std::exception& error) {  // a file system failure copying the weights
    std::cerr << "error: " << error.what() << "\n";
    return 2;
  }
  return 0;
}
