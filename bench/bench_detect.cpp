// logoscope-bench-detect — how fast `logoscope detect` is, per image and per stage.
//
// Generates three test images (a ~500 px photo: the first FlickrLogos-27 image under
// LOGOSCOPE_BENCH_DATA when present, else a synthetic one; a synthetic 1920×1080 frame; a
// synthetic 4096×4096 image with 40 small logos of 24–64 px), writes them as JPEG, and for each
// reports the median (and min–max) milliseconds per image over --reps runs, split into decode,
// preprocess, network and postprocess, the network passes (1 + tiles), the peak resident memory
// so far, and — when the model knows the synthetic labels (e.g. the demo's model) — how many of
// the small logos were found, with tiling and without. Then images/s over a folder through the
// same pipeline as the CLI (decoding on a worker thread, and in turn). --compare adds the
// network options side by side (module vs folded network, InferenceMode, threads, flushing
// denormals, tile sizes, batching); --peak this CPU's convolution throughput (float and int8),
// against which each image's achieved GFLOP/s (printed under its row) can be read. Program
// start-up (~0.7 s for libtorch) is never included.
//
// Usage: logoscope-bench-detect [--model DIR] [--reps 15] [--threads 0] [--compare] [--peak] [--int8] [--json FILE]
// Without --model a randomly initialised network of the default architecture is timed (its
// detections mean nothing, its speed is the same).
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>

#include <fmt/format.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/logging.hpp"
#include "core/thread_pool.hpp"
#include "imageio/image_io.hpp"
#include "infer/detect_pipeline.hpp"
#include "infer/folded_net.hpp"
#include "infer/int8_nanodet.hpp"
#include "infer/intra_op_threads.hpp"
#include "infer/network_runner.hpp"
#include "infer/predictor.hpp"
#include "model/fcos_head_ops.hpp"
#include "model/network_io.hpp"
#include "synth/synth_dataset.hpp"

namespace fs = std::filesystem;
using namespace logoscope;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string model;
  int reps = 15;
  int threads = 0;
  bool compare = false;
  bool peak = false;
  std::string json;
  int folder_images = 40;
  std::string work;
  int tile_size = infer::kDefaultTileSize;
  int batch = 1;
  bool bf16 = false;
  bool int8 = false;
  std::string flip = "model";  ///< model, on or off: flip averaging
  std::vector<std::string> only;  ///< photo, frame, large, folder (default: all)
  std::string child_part;         ///< internal: measure this part in this (fresh) process
};

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};

Spread spread(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  return {values[values.size() / 2], values.front(), values.back()};
}

nlohmann::json to_json(const Spread& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}};
}

std::string bench_data_dir() {
  const char* env = std::getenv("LOGOSCOPE_BENCH_DATA");
  return env != nullptr ? env : "../shared/data";
}

// A model folder holding a randomly initialised network of the default architecture.
std::string make_random_model(const std::string& dir) {
  model::ModelInfo info;
  info.labels = {synth::synthetic_label_name(0), synth::synthetic_label_name(1)};
  info.thresholds = {0.5F, 0.5F};
  torch::manual_seed(0);
  model::Detector net = model::build_network(info);
  fs::create_directories(dir);
  value_or_throw(model::save_network(*net, (fs::path(dir) / "weights.pt").string()));
  value_or_throw(model::write_model_info(info, dir));
  return dir;
}

struct TestImage {
  std::string name;
  std::string path;
  int width = 0;
  int height = 0;
  std::vector<Box> small_logos;  ///< truth for the large image
};

void paste_mark(cv::Mat& image, int label, int side, int x, int y, std::vector<Box>& boxes) {
  const synth::Mark mark = synth::render_mark(label, side);
  cv::Mat alpha;
  mark.mask.convertTo(alpha, CV_32F, 1.0 / 255.0);
  cv::Mat roi = image(cv::Rect(x, y, side, side));
  synth::blend_over(roi, mark.rgb, alpha);
  const cv::Rect bounds = cv::boundingRect(mark.mask > 127);
  boxes.push_back({static_cast<double>(x + bounds.x), static_cast<double>(y + bounds.y),
                   static_cast<double>(x + bounds.x + bounds.width),
                   static_cast<double>(y + bounds.y + bounds.height), label});
}

std::vector<TestImage> make_test_images(const std::string& dir, int labels) {
  std::vector<TestImage> images;
  std::mt19937_64 rng(5);
  // ~500 px photo.
  TestImage photo{"photo", "", 0, 0, {}};
  const fs::path flickr = fs::path(bench_data_dir()) / "flickrlogos27" / "images";
  std::error_code ec;
  if (fs::is_directory(flickr, ec)) {
    std::vector<std::string> jpgs;
    for (const auto& entry : fs::directory_iterator(flickr, ec)) {
      if (entry.path().extension() == ".jpg") jpgs.push_back(entry.path().string());
    }
    std::sort(jpgs.begin(), jpgs.end());
    // The first photo of the most common Flickr size (500×375), else the first.
    for (const auto& jpg : jpgs) {
      auto header = imageio::probe_image_file(jpg);
      if (header && header->width() == 500 && header->height() == 375) {
        photo.path = jpg;
        break;
      }
    }
    if (photo.path.empty() && !jpgs.empty()) photo.path = jpgs.front();
  }
  if (photo.path.empty()) {
    synth::SynthOptions options;
    options.width = 500;
    options.height = 375;
    options.labels = labels;
    options.empty_image_fraction = 0;
    std::vector<Box> boxes;
    photo.path = (fs::path(dir) / "photo.jpg").string();
    value_or_throw(imageio::write_image_file(synth::render_scene(rng, options, boxes), photo.path));
    photo.name = "photo (synthetic)";
  }
  images.push_back(photo);
  // 1920×1080 frame.
  {
    synth::SynthOptions options;
    options.width = 1920;
    options.height = 1080;
    options.labels = labels;
    options.empty_image_fraction = 0;
    options.max_marks_per_image = 6;
    options.min_mark_side = 40;
    options.max_mark_side = 240;
    std::vector<Box> boxes;
    TestImage frame{"frame 1920x1080", (fs::path(dir) / "frame.jpg").string(), 0, 0, {}};
    value_or_throw(imageio::write_image_file(synth::render_scene(rng, options, boxes), frame.path));
    images.push_back(frame);
  }
  // 4096×4096 with 40 small logos (24–64 px), one per 512 px cell, never on the same cell twice.
  {
    TestImage large{"4096x4096, 40 small logos", (fs::path(dir) / "large.jpg").string(), 0, 0, {}};
    cv::Mat image = synth::render_background(rng, 4096, 4096);
    std::vector<int> cells(64);
    std::iota(cells.begin(), cells.end(), 0);
    std::shuffle(cells.begin(), cells.end(), rng);
    std::uniform_int_distribution<int> side_dist(24, 64);
    std::uniform_int_distribution<int> label_dist(0, labels - 1);
    for (int k = 0; k < 40; ++k) {
      const int side = side_dist(rng);
      const int cx = (cells[static_cast<std::size_t>(k)] % 8) * 512;
      const int cy = (cells[static_cast<std::size_t>(k)] / 8) * 512;
      std::uniform_int_distribution<int> offset(8, 512 - side - 8);
      paste_mark(image, label_dist(rng), side, cx + offset(rng), cy + offset(rng), large.small_logos);
    }
    value_or_throw(imageio::write_image_file(image, large.path));
    images.push_back(large);
  }
  for (auto& image : images) {
    auto info = imageio::probe_image_file(image.path);
    if (info) {
      image.width = info->width();
      image.height = info->height();
    }
    if (image.name.empty()) image.name = fmt::format("photo {}x{}", image.width, image.height);
  }
  return images;
}

double iou(const Detection& d, const Box& b) {
  const double iw = std::min(d.x1, b.x1) - std::max(d.x0, b.x0);
  const double ih = std::min(d.y1, b.y1) - std::max(d.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  return inter / ((d.x1 - d.x0) * (d.y1 - d.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

// Truth boxes matched (IoU ≥ 0.5, same label, score ≥ the label's threshold) by a detection.
int logos_found(const std::vector<Detection>& detections, const std::vector<Box>& truth,
                const std::vector<int>& model_label_of_synth, const std::vector<float>& thresholds) {
  int found = 0;
  for (const auto& box : truth) {
    const int want = model_label_of_synth[static_cast<std::size_t>(box.label)];
    for (const auto& d : detections) {
      if (d.label == want && d.score >= thresholds[static_cast<std::size_t>(d.label)] && iou(d, box) >= 0.5) {
        ++found;
        break;
      }
    }
  }
  return found;
}

struct ImageBench {
  Spread total;
  Spread decode;
  Spread preprocess;
  Spread network;
  Spread whole;
  Spread large;
  Spread tiles;
  Spread postprocess;
  double gflop = 0;  ///< per run
  int passes = 0;
  std::size_t detections = 0;
  std::vector<Detection> last;
};

ImageBench bench_image(infer::Predictor& predictor, const std::string& path, int reps) {
  std::vector<double> total;
  std::vector<double> decode;
  std::vector<double> preprocess;
  std::vector<double> network;
  std::vector<double> postprocess;
  std::vector<double> whole;
  std::vector<double> large;
  std::vector<double> tiles;
  ImageBench result;
  for (int rep = -2; rep < reps; ++rep) {  // two warm-up runs (oneDNN primitives, allocator)
    const auto start = Clock::now();
    auto decoded = value_or_throw(imageio::decode_image_file(path));
    infer::StageTimes times;
    times.decode_ms = ms_since(start);
    result.last = predictor.detect(decoded.rgb, &times);
    if (rep < 0) continue;
    total.push_back(ms_since(start));
    decode.push_back(times.decode_ms);
    preprocess.push_back(times.preprocess_ms);
    network.push_back(times.network_ms);
    postprocess.push_back(times.postprocess_ms);
    whole.push_back(times.whole_ms);
    large.push_back(times.large_ms);
    tiles.push_back(times.tiles_ms);
    result.gflop = times.network_gflop;
    result.passes = times.passes;
  }
  result.total = spread(total);
  result.decode = spread(decode);
  result.preprocess = spread(preprocess);
  result.network = spread(network);
  result.postprocess = spread(postprocess);
  result.whole = spread(whole);
  result.large = spread(large);
  result.tiles = spread(tiles);
  result.detections = result.last.size();
  return result;
}

std::unique_ptr<infer::Predictor> load_predictor(const std::string& model_dir, const Args& args,
                                                 infer::TileMode mode) {
  infer::PredictorOptions options;
  options.threads = args.threads;
  options.tiling.mode = mode;
  options.tiling.tile_size = args.tile_size;
  options.max_batch = args.batch;
  options.bf16 = args.bf16;
  options.int8 = args.int8;
  if (args.flip != "model") options.flip_average = args.flip == "on";
  return value_or_throw(infer::Predictor::load(model_dir, options));
}

// Folder throughput through detect_files (the CLI's pipeline).
double images_per_second(infer::Predictor& predictor, const std::vector<std::string>& paths,
                         int decode_threads, int batch) {
  infer::PipelineOptions options;
  options.decode_threads = decode_threads;
  options.image_batch = static_cast<std::size_t>(batch);
  std::size_t done = 0;
  const auto start = Clock::now();
  infer::detect_files(predictor, paths, options, [&](infer::ImageResult& result) {
    if (result.error) throw Failure(*result.error);
    ++done;
  });
  return static_cast<double>(done) / (ms_since(start) / 1000.0);
}

// Median ms of `fn` over reps runs after two warm-ups.
template <typename Fn>
Spread time_it(int reps, Fn&& fn) {
  std::vector<double> times;
  for (int rep = -2; rep < reps; ++rep) {
    const auto start = Clock::now();
    fn();
    if (rep >= 0) times.push_back(ms_since(start));
  }
  return spread(times);
}

torch::Tensor normalised_input(const cv::Mat& rgb, int batch) {
  return infer::normalised_canvas(std::vector<cv::Mat>(static_cast<std::size_t>(batch), rgb), infer::pad_to_32(rgb.cols),
                                  infer::pad_to_32(rgb.rows), torch::kFloat);
}

// The module's own input: RGB in [0, 1], padded with 114 grey.
torch::Tensor module_input(const cv::Mat& rgb) {
  const int w = infer::pad_to_32(rgb.cols);
  const int h = infer::pad_to_32(rgb.rows);
  cv::Mat canvas(h, w, CV_8UC3, cv::Scalar(114, 114, 114));
  rgb.copyTo(canvas(cv::Rect(0, 0, rgb.cols, rgb.rows)));
  return torch::from_blob(canvas.data, {1, h, w, 3}, torch::kUInt8)
      .permute({0, 3, 1, 2})
      .to(torch::kFloat)
      .div(255.0);
}

std::vector<Detection> decode_flat(const model::FlatOutput& out, int w, int h, const model::ModelInfo& info,
                                   double sx, double sy, int image_w, int image_h) {
  const auto centres = model::location_centres(model::GridLayout::make(w, h, info.strides));
  auto detections =
      model::decode_image(out.cls[0], out.box[0], out.ctr[0], centres, 0.05F, 1000, sx, sy, image_w, image_h);
  infer::NmsOptions nms;
  nms.iou_threshold = info.nms_iou;
  nms.containment_threshold = info.nms_containment;
  return infer::non_max_suppression(std::move(detections), nms);
}

nlohmann::json compare_engines(const std::string& model_dir, const std::string& photo_path, int reps,
                               int threads) {
  nlohmann::json out;
  const auto info = value_or_throw(model::read_model_info(model_dir));
  auto net = value_or_throw(model::load_network(info, (fs::path(model_dir) / "weights.pt").string()));
  net->eval();
  const auto folded_net = value_or_throw(infer::make_inference_net(*net));
  const auto& folded = *folded_net;
  auto bf16 = infer::make_inference_net(*net, infer::Precision::kBf16);
  if (!bf16) std::cout << "bfloat16: " << bf16.error().message << "\n";
  const auto decoded = value_or_throw(imageio::decode_image_file(photo_path));
  const cv::Mat resized = infer::resize_to_long_side(decoded.rgb, info.infer_long_side);
  const int w = resized.cols;
  const int h = resized.rows;
  const int cw = infer::pad_to_32(w);
  const int ch = infer::pad_to_32(h);
  const auto plain = module_input(resized).contiguous();
  const auto channels_last = plain.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto normalised = normalised_input(resized, 1);
  const auto normalised_bf16 = normalised.to(torch::kBFloat16);
  const double sx = static_cast<double>(w) / decoded.rgb.cols;
  const double sy = static_cast<double>(h) / decoded.rgb.rows;

  std::cout << fmt::format(
      "\nNetwork options side by side (whole pass of the photo, {}x{} canvas, {} threads, "
      "median [min-max] ms over {} runs):\n",
      cw, ch, torch::get_num_threads(), reps);
  struct Variant {
    const char* name;
    std::function<model::FlatOutput()> run;
  };
  std::vector<Variant> variants = {
      {"module, NoGradGuard, NCHW input (as before)",
       [&] {
         torch::NoGradGuard guard;
         return model::flatten_levels(net->forward(plain));
       }},
      {"module, InferenceMode, channels-last input",
       [&] {
         c10::InferenceMode guard;
         return model::flatten_levels(net->forward(channels_last));
       }},
      {"folded BN, oneDNN for every conv (used)",
       [&] { return model::flatten_levels(folded.forward(normalised)); }},
  };
  if (bf16) {
    variants.push_back({"folded, bfloat16 (opt-in: --bf16)",
                        [&] { return model::flatten_levels((*bf16)->forward(normalised_bf16)); }});
  }
  const auto reference =
      decode_flat(variants.front().run(), cw, ch, info, sx, sy, decoded.rgb.cols, decoded.rgb.rows);
  for (auto& variant : variants) {
    model::FlatOutput last;
    const Spread s = time_it(reps, [&] { last = variant.run(); });
    const auto detections = decode_flat(last, cw, ch, info, sx, sy, decoded.rgb.cols, decoded.rgb.rows);
    double score_diff = 0;
    double box_diff = 0;
    bool same = detections.size() == reference.size();
    for (std::size_t i = 0; same && i < detections.size(); ++i) {
      same = detections[i].label == reference[i].label;
      score_diff = std::max<double>(score_diff, std::abs(detections[i].score - reference[i].score));
      box_diff = std::max({box_diff, std::abs(detections[i].x0 - reference[i].x0),
                           std::abs(detections[i].y0 - reference[i].y0),
                           std::abs(detections[i].x1 - reference[i].x1),
                           std::abs(detections[i].y1 - reference[i].y1)});
    }
    std::cout << fmt::format(
        "  {:<46} {:7.2f} [{:.2f}-{:.2f}]  detections {} ({}; max score diff {:.1e}, box diff {:.1e} px)\n",
        variant.name, s.median, s.min, s.max, detections.size(), same ? "same as the first" : "DIFFERENT",
        score_diff, box_diff);
    out["engines"].push_back({{"name", variant.name},
                              {"ms", to_json(s)},
                              {"detections", detections.size()},
                              {"same_detections", same},
                              {"max_score_diff", score_diff},
                              {"max_box_diff_px", box_diff}});
  }

  auto folded_ms = [&](const torch::Tensor& input, int n) {
    return time_it(n, [&] { (void)folded.forward(input); });
  };
  std::cout << "\nThreads and denormals (folded network, same input):\n";
  for (const int t : {1, threads > 0 ? threads : default_thread_count()}) {
    torch::set_num_threads(t);
    const Spread s = folded_ms(normalised, reps);
    std::cout << fmt::format("  {} thread(s){:<33} {:7.2f} [{:.2f}-{:.2f}]\n", t, "", s.median, s.min, s.max);
    out["threads"].push_back({{"threads", t}, {"ms", to_json(s)}});
  }
  at::globalContext().setFlushDenormal(true);
  const Spread denormal = folded_ms(normalised, reps);
  at::globalContext().setFlushDenormal(false);
  std::cout << fmt::format("  flush denormals on{:<28} {:7.2f} [{:.2f}-{:.2f}]\n", "", denormal.median,
                           denormal.min, denormal.max);
  out["flush_denormal_ms"] = to_json(denormal);

  std::cout << "\nNetwork cost by tile size (folded, batch 1; ms per tile and per megapixel):\n";
  cv::Mat texture(2048, 2048, CV_8UC3);
  cv::randu(texture, cv::Scalar::all(0), cv::Scalar::all(255));
  for (const int side : {512, 768, 1024, 1536, 2048}) {
    const auto input = normalised_input(texture(cv::Rect(0, 0, side, side)), 1);
    const Spread s = folded_ms(input, std::max(3, reps / (side / 512)));
    const double mp = side * side / 1e6;
    std::cout << fmt::format("  {:4}x{:<4} {:8.1f} ms [{:.1f}-{:.1f}]  {:6.1f} ms/MP  peak RSS {:.0f} MiB\n",
                             side, side, s.median, s.min, s.max, s.median / mp, peak_rss_mib());
    out["tile_sizes"].push_back({{"side", side}, {"ms", to_json(s)}, {"ms_per_mp", s.median / mp}});
  }

  std::cout << "\nBatching (folded; ms per image):\n";
  for (const auto& [label, side_w, side_h] :
       {std::tuple{"photo canvas", w, h}, std::tuple{"1024x1024 tile", 1024, 1024}}) {
    const cv::Mat pixels =
        label == std::string("photo canvas") ? resized : texture(cv::Rect(0, 0, side_w, side_h));
    for (const int batch : {1, 2, 4}) {
      const auto input = normalised_input(pixels, batch);
      const Spread s = folded_ms(input, std::max(3, reps / batch));
      std::cout << fmt::format("  {:<16} batch {}  {:8.2f} ms per image [{:.2f}-{:.2f}]\n", label, batch,
                               s.median / batch, s.min / batch, s.max / batch);
      out["batching"].push_back({{"input", label}, {"batch", batch}, {"ms_per_image", s.median / batch}});
    }
  }
  return out;
}

nlohmann::json images_to_json(const std::vector<TestImage>& images) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& image : images) {
    nlohmann::json boxes = nlohmann::json::array();
    for (const auto& b : image.small_logos) boxes.push_back({b.x0, b.y0, b.x1, b.y1, b.label});
    out.push_back({{"name", image.name},
                   {"path", image.path},
                   {"width", image.width},
                   {"height", image.height},
                   {"small_logos", boxes}});
  }
  return out;
}

std::vector<TestImage> images_from_json(const nlohmann::json& json) {
  std::vector<TestImage> images;
  for (const auto& item : json) {
    TestImage image{item["name"], item["path"], item["width"], item["height"], {}};
    for (const auto& b : item["small_logos"]) {
      image.small_logos.push_back(
          {b[0].get<double>(), b[1].get<double>(), b[2].get<double>(), b[3].get<double>(), b[4].get<int>()});
    }
    images.push_back(std::move(image));
  }
  return images;
}

std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

constexpr const char* kJsonMarker = "@bench-json ";

// Measures one part in this process (a fresh one: its peak RSS is this part's alone) and prints
// its rows, then its numbers as one marked JSON line for the parent.
// The CPU's convolution throughput on the shapes that dominate the network (3×3, 128 → 128 and
// 64 → 64 channels at the stride-8 grid of a ~500 px and a ~1000 px image), float through the
// network's own oneDNN call and int8 through libtorch's quantized engine: what the network's
// achieved GFLOP/s can be compared with.
nlohmann::json convolution_peak(int threads) {
  const infer::ScopedIntraOpThreads scoped(threads > 0 ? threads : default_thread_count());
  c10::InferenceMode guard;
  nlohmann::json report = nlohmann::json::array();
  std::cout << "\nconvolution peak (3x3, batch 1, median of 20 runs after 3 warm-ups)\n";
  auto time_ms = [](const std::function<void()>& run) {
    for (int k = 0; k < 3; ++k) run();
    std::vector<double> ms;
    for (int k = 0; k < 20; ++k) {
      const auto start = Clock::now();
      run();
      ms.push_back(ms_since(start));
    }
    return spread(ms).median;
  };
  const bool int8 = infer::int8_available();
  for (const auto& [channels, height, width] : {std::tuple{64, 48, 64}, std::tuple{128, 48, 64}, std::tuple{128, 96, 128}}) {
    const auto x = torch::rand({1, channels, height, width}).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto w = (torch::rand({channels, channels, 3, 3}) - 0.5).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto b = torch::zeros({channels});
    const double gflop = 2.0 * channels * channels * 9 * height * width / 1e9;
    const double float_ms =
        time_ms([&] { (void)at::mkldnn_convolution(x, w, b, {1, 1}, {1, 1}, {1, 1}, 1); });
    nlohmann::json row = {{"channels", channels}, {"height", height}, {"width", width},
                          {"float_gflops", gflop / (float_ms / 1000.0)}};
    std::string line = fmt::format("  {:>3} -> {:<3} at {:>3}x{:<3}  float {:7.1f} GFLOP/s", channels, channels,
                                   width, height, gflop / (float_ms / 1000.0));
    if (int8) {
      const auto qx = torch::quantize_per_tensor(x, 1.0 / 255, 0, torch::kQUInt8);
      // The product's own packing and call (infer/int8_nanodet.hpp).
      const auto conv = infer::pack_int8_conv(w, b, 1, 1, infer::activation_qparams(-1.0, 1.0));
      const double int8_ms = time_ms([&] { (void)infer::run_int8_conv(conv, qx); });
      row["int8_gops"] = gflop / (int8_ms / 1000.0);
      line += fmt::format("   int8 {:7.1f} GOP/s", gflop / (int8_ms / 1000.0));
    }
    std::cout << line << "\n" << std::flush;
    report.push_back(row);
  }
  return report;
}

void run_part(const Args& args, const std::string& model_dir, const std::vector<TestImage>& images) {
  auto predictor = load_predictor(model_dir, args, infer::TileMode::kAuto);
  const auto& info = predictor->info();
  // The synthetic marks' labels as the model's label indices (-1: the model does not know it).
  std::vector<int> model_label_of_synth;
  bool knows_synth = true;
  for (int s = 0; s < 2; ++s) {
    const auto it = std::find(info.labels.begin(), info.labels.end(), synth::synthetic_label_name(s));
    model_label_of_synth.push_back(it == info.labels.end() ? -1 : static_cast<int>(it - info.labels.begin()));
    knows_synth = knows_synth && it != info.labels.end();
  }
  nlohmann::json report;
  const char* const parts[] = {"photo", "frame", "large"};
  for (std::size_t part = 0; part < images.size(); ++part) {
    if (args.child_part != parts[part]) continue;
    const auto& image = images[part];
    const ImageBench b = bench_image(*predictor, image.path, args.reps);
    std::cout << fmt::format(
        "{:<28} {:9.1f} {:>17} {:8.1f} {:10.1f} {:8.1f} {:11.1f} {:6} {:9.0f}\n", image.name, b.total.median,
        fmt::format("[{:.1f}-{:.1f}]", b.total.min, b.total.max), b.decode.median, b.preprocess.median,
        b.network.median, b.postprocess.median, b.passes, peak_rss_mib());
    std::cout << fmt::format("{:<28} network: whole pass {:.1f} ms, large-logo pass {:.1f} ms, tiles {:.1f} ms; "
                             "{:.2f} GFLOP at {:.1f} GFLOP/s\n",
                             "", b.whole.median, b.large.median, b.tiles.median, b.gflop,
                             b.network.median > 0 ? b.gflop / (b.network.median / 1000.0) : 0.0);
    report = {{"image", image.name},
              {"path", image.path},
              {"width", image.width},
              {"height", image.height},
              {"total_ms", to_json(b.total)},
              {"decode_ms", to_json(b.decode)},
              {"preprocess_ms", to_json(b.preprocess)},
              {"network_ms", to_json(b.network)},
              {"postprocess_ms", to_json(b.postprocess)},
              {"network_whole_ms", to_json(b.whole)},
              {"network_large_logo_ms", to_json(b.large)},
              {"network_tiles_ms", to_json(b.tiles)},
              {"network_gflop", b.gflop},
              {"network_gflops_achieved", b.network.median > 0 ? b.gflop / (b.network.median / 1000.0) : 0.0},
              {"detection_ms_median", b.preprocess.median + b.network.median + b.postprocess.median},
              {"passes", b.passes},
              {"detections", b.detections},
              {"peak_rss_mib", peak_rss_mib()}};
    if (!image.small_logos.empty() && knows_synth) {
      const int found = logos_found(b.last, image.small_logos, model_label_of_synth, info.thresholds);
      auto untiled = load_predictor(model_dir, args, infer::TileMode::kOff);
      const ImageBench off = bench_image(*untiled, image.path, std::max(3, args.reps / 3));
      const int found_off = logos_found(off.last, image.small_logos, model_label_of_synth, info.thresholds);
      std::cout << fmt::format(
          "  small logos found (IoU ≥ 0.5, at the model's thresholds): {} of {} with tiling; "
          "{} of {} without (--tile off: {:.1f} ms)\n",
          found, image.small_logos.size(), found_off, image.small_logos.size(), off.total.median);
      report["small_logos"] = image.small_logos.size();
      report["small_logos_found"] = found;
      report["small_logos_found_untiled"] = found_off;
      report["untiled_total_ms"] = to_json(off.total);
    }
  }
  if (args.child_part == "folder") {
    // The FlickrLogos-27 photos, or copies of the photo.
    std::vector<std::string> folder;
    const fs::path flickr = fs::path(bench_data_dir()) / "flickrlogos27" / "images";
    std::error_code ec;
    if (fs::is_directory(flickr, ec)) {
      for (const auto& entry : fs::directory_iterator(flickr, ec)) {
        if (entry.path().extension() == ".jpg") folder.push_back(entry.path().string());
      }
      std::sort(folder.begin(), folder.end());
      if (folder.size() > static_cast<std::size_t>(args.folder_images)) {
        folder.resize(static_cast<std::size_t>(args.folder_images));
      }
    }
    const bool real_photos = !folder.empty();
    std::vector<std::string> copies(static_cast<std::size_t>(args.folder_images), images.front().path);
    if (!real_photos) folder = copies;
    struct Run {
      const char* what;
      const std::vector<std::string>* paths;
      int jobs;
      int batch;
    };
    const std::string mixed =
        fmt::format("{} {}", folder.size(), real_photos ? "FlickrLogos-27 photos" : "photos");
    const std::string same = fmt::format("{} copies of the photo", copies.size());
    const Run runs[] = {{mixed.c_str(), &folder, 1, 4},
                        {mixed.c_str(), &folder, 1, 1},
                        {mixed.c_str(), &folder, 0, 1},
                        {same.c_str(), &copies, 1, 4},
                        {same.c_str(), &copies, 1, 1}};
    std::cout << "\nFolders through the CLI's pipeline (results in order; images/s over 3 runs):\n";
    for (const auto& run : runs) {
      std::vector<double> rates;
      for (int rep = 0; rep < 3; ++rep)
        rates.push_back(images_per_second(*predictor, *run.paths, run.jobs, run.batch));
      const Spread s = spread(rates);
      std::cout << fmt::format(
          "  {:<32} --jobs {} --batch-size {}: {:6.1f} images/s [{:.1f}-{:.1f}]; peak RSS {:.0f} MiB\n", run.what,
          run.jobs, run.batch, s.median, s.min, s.max, peak_rss_mib());
      report["folder"].push_back(
          {{"folder", run.what}, {"jobs", run.jobs}, {"batch", run.batch}, {"images_per_s", to_json(s)}});
    }
    report["peak_rss_mib"] = peak_rss_mib();
  }
  if (args.child_part == "compare")
    report = compare_engines(model_dir, images.front().path, args.reps, args.threads);
  if (args.child_part == "peak") report = convolution_peak(args.threads);
  std::cout << kJsonMarker << report.dump() << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  // As tools/logoscope/main.cpp: keep large tensor buffers instead of returning them to the OS.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  CLI::App app{"Detection speed: median ms/image per stage for three image sizes, peak memory, images/s."};
  Args args;
  app.add_option("--model", args.model, "Model folder (default: a randomly initialised network)");
  app.add_option("--reps", args.reps, "Timed runs per image (after 2 warm-up runs)")->capture_default_str();
  app.add_option("--threads", args.threads, "Network threads (0 = all cores)")->capture_default_str();
  app.add_flag("--compare", args.compare, "Also time the network options side by side");
  app.add_flag("--peak", args.peak,
               "Also measure this CPU's convolution peak (float and int8 3x3 convolutions of the network's widest\n"
               "shapes) to compare the network's achieved GFLOP/s with");
  app.add_option("--folder-images", args.folder_images, "Images in the throughput folder")
      ->capture_default_str();
  app.add_option("--json", args.json, "Also write the numbers as JSON here");
  app.add_option("--work", args.work, "Folder for the generated images (default: a temporary one)");
  app.add_option("--tile-size", args.tile_size, "Largest tile side")->capture_default_str();
  app.add_option("--batch", args.batch, "Tiles per network pass")->capture_default_str();
  app.add_flag("--bf16", args.bf16, "bfloat16 convolutions (opt-in precision)");
  app.add_flag("--int8", args.int8, "8-bit convolutions from the model's calibration (opt-in precision)");
  app.add_option("--flip", args.flip, "Flip averaging: model (its model.json), on or off")
      ->check(CLI::IsMember({"model", "on", "off"}))
      ->capture_default_str();
  app.add_option("--only", args.only, "Run only these parts: photo, frame, large, folder")
      ->check(CLI::IsMember({"photo", "frame", "large", "folder"}));
  app.add_option("--child-part", args.child_part)->group("");  // internal
  CLI11_PARSE(app, argc, argv);
  init_logging(Verbosity::kNormal);
  const bool own_work = args.work.empty();
  const fs::path work = own_work
                            ? fs::temp_directory_path() / fmt::format("logoscope-bench-detect-{}", getpid())
                            : fs::path(args.work);
  try {
    fs::create_directories(work);
    std::string model_dir = args.model.empty() ? (work / "random-model").string() : args.model;
    const std::string images_json = (work / "images.json").string();
    if (!args.child_part.empty()) {
      std::ifstream in(images_json);
      run_part(args, model_dir, images_from_json(nlohmann::json::parse(in)));
      return 0;
    }
    if (args.model.empty()) {
      make_random_model(model_dir);
      std::cout << "No --model: timing a randomly initialised network (its detections mean nothing).\n";
    }
    const auto images = make_test_images(work.string(), 2);
    std::ofstream(images_json) << images_to_json(images).dump() << "\n";
    const auto info = value_or_throw(model::read_model_info(model_dir));
    nlohmann::json report;
    report["model"] = model_dir;
    report["threads"] = args.threads > 0 ? args.threads : default_thread_count();
    report["reps"] = args.reps;
    report["tile_size"] = args.tile_size;
    report["batch"] = args.batch;
    report["bf16"] = args.bf16;
    report["int8"] = args.int8;
    const bool flip = args.flip == "model" ? info.flip_average : args.flip == "on";
    report["flip_average"] = flip;
    std::cout << fmt::format(
        "model {}, {} network threads, infer long side {}, tile size ≤ {}, batch {}, {}, {}, {} timed "
        "runs per image; each part in a fresh process (peak RSS is its own, libtorch included)\n",
        model_dir, report["threads"].get<int>(), info.infer_long_side, args.tile_size, args.batch,
        args.bf16 ? "bfloat16" : args.int8 ? "int8" : "float32", flip ? "flip averaging" : "one view", args.reps);
    std::cout << fmt::format("\n{:<28} {:>9} {:>17} {:>8} {:>10} {:>8} {:>11} {:>6} {:>9}\n", "image",
                             "total ms", "[min-max]", "decode", "preprocess", "network", "postprocess",
                             "passes", "peak MiB")
              << std::flush;
    std::vector<std::string> parts;
    for (const char* part : {"photo", "frame", "large", "folder"}) {
      if (args.only.empty() || std::find(args.only.begin(), args.only.end(), part) != args.only.end()) {
        parts.emplace_back(part);
      }
    }
    if (args.compare) parts.emplace_back("compare");
    if (args.peak) parts.emplace_back("peak");
    for (const auto& part : parts) {
      std::string command = shell_quote(fs::canonical("/proc/self/exe").string());
      command += " --model " + shell_quote(model_dir) + " --work " + shell_quote(work.string());
      command += fmt::format(" --reps {} --threads {} --folder-images {} --tile-size {} --batch {}",
                             args.reps, args.threads, args.folder_images, args.tile_size, args.batch);
      if (args.bf16) command += " --bf16";
      if (args.int8) command += " --int8";
      command += " --flip " + args.flip;
      command += " --child-part " + part;
      FILE* pipe = ::popen(command.c_str(), "r");
      if (pipe == nullptr) throw std::runtime_error("cannot start " + command);
      std::string line;
      char buffer[4096];
      while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
        line += buffer;
        if (line.empty() || line.back() != '\n') continue;
        if (line.rfind(kJsonMarker, 0) == 0) {
          const auto numbers = nlohmann::json::parse(line.substr(std::string(kJsonMarker).size()));
          if (part == "folder" || part == "compare" || part == "peak") {
            report[part] = numbers;
          } else {
            report["images"].push_back(numbers);
          }
        } else {
          std::cout << line << std::flush;
        }
        line.clear();
      }
      if (::pclose(pipe) != 0) throw std::runtime_error("the measurement of " + part + " failed");
    }
    if (!args.json.empty()) std::ofstream(args.json) << report.dump(2) << "\n";
  } catch (const std::exception& error) {
    std::cerr << "logoscope-bench-detect: " << error.what() << "\n";
    return 2;
  }
  std::error_code ec;
  if (own_work) fs::remove_all(work, ec);
  return 0;
}
