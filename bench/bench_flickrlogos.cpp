// logoscope-bench-flickrlogos — the FlickrLogos-27 protocols end to end (train, detect, evaluate).
//
// Protocols (LOGOSCOPE_BENCH_DATA/flickrlogos27/README.md):
//   redbull  single label: train on the 20 RedBull training images (+ the other brands' training
//            photos as negatives), test on all 269 test images.
//   fl27     27 labels, 20 training images each, test on the 269 test images.
// Prints F1, precision, recall, assumed threshold, AP50 (and mAP50:95), training wall time and
// detection ms/image (decode included), and writes DIR/<protocol>/bench.json and an evaluation
// folder with report.html (DIR/<protocol>/evaluation/).
// Usage: logoscope-bench-flickrlogos [--protocol redbull|fl27|all] [--budget-redbull S] [--base MODEL] [--out DIR] …
#include <malloc.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "library/evaluation_run.hpp"
#include "core/cpu_features.hpp"
#include "core/logging.hpp"
#include "dataset/formats.hpp"
#include "dataset/split.hpp"
#include "eval/evaluation.hpp"
#include "eval/metrics.hpp"
#include "eval/metrics_json.hpp"
#include "imageio/image_io.hpp"
#include "infer/predictor.hpp"
#include "train/console_progress.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using namespace logoscope;

namespace {

struct Args {
  std::string protocol = "all";
  std::string budget_redbull = "300";
  std::string budget_fl27 = "1800";
  std::string out = "bench-out";
  std::uint64_t seed = 0;
  int input_size = 320;
  int infer_size = 512;
  bool no_negatives = false;
  bool no_copy_paste = false;
  bool no_flips = false;
  bool no_mosaic = false;
  bool no_distractors = false;
  std::string skip_train_model;  // evaluate an existing model instead of training
  std::string base;              // start training from this model folder ("" = from scratch)
  bool no_large_logo_pass = false;
  std::string architecture;      // "" = the base's (or fcos-resnet-fpn)
  int freeze = 0;
  std::int64_t steps = 0;        // > 0: a step budget instead of the time budget
  double hard_negatives = 1.0;
  double lr = 2e-3;
  double trunk_lr_scale = -1;
  int batch_size = 16;
  bool dev = false;              // train on 70 % of the training split, score the other 30 %
};

Dataset read_or_die(const std::string& path) {
  Problems problems;
  auto data = dataset::read_dataset(path, std::nullopt, problems);
  if (!data) throw Failure(data.error());
  return std::move(data).value();
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// `data` with only the boxes of `label`, as a one-label dataset.
Dataset single_label(const Dataset& data, const std::string& label) {
  const int index = data.find_label(label);
  Dataset out = data;
  out.labels = {label};
  for (auto& sample : out.samples) {
    std::vector<Box> kept;
    for (Box box : sample.boxes) {
      if (box.label != index) continue;
      box.label = 0;
      kept.push_back(box);
    }
    sample.boxes = std::move(kept);
  }
  return out;
}

// The development protocol: settings are chosen here, never on the test split. The training
// split is cut 70/30 (stratified by brand, seed 1000); the 30 % plays the test set's role.
void dev_inputs(const std::string& name, const fs::path& root, const Args& args, train::TrainInputs& inputs) {
  const Dataset all_train = read_or_die((root / "train.manifest").string());
  dataset::SplitOptions split;
  split.test_fraction = 0.3;
  split.seed = 1000;
  auto parts = value_or_throw(dataset::split_dataset(all_train, split));
  if (name == "fl27") {
    inputs.train = std::move(parts.train);
    inputs.test = std::move(parts.test);
    return;
  }
  const Dataset train = single_label(parts.train, "RedBull");
  inputs.train.labels = train.labels;
  for (const auto& sample : train.samples) {
    if (!sample.boxes.empty()) {
      inputs.train.samples.push_back(sample);
    } else if (!args.no_negatives) {
      inputs.negatives.push_back(sample.image);
    }
  }
  inputs.test = single_label(parts.test, "RedBull");
}

nlohmann::json run_protocol(const std::string& name, const Args& args, const std::string& data_dir) {
  const fs::path root = fs::path(data_dir) / "flickrlogos27";
  train::TrainInputs inputs;
  if (args.dev) {
    dev_inputs(name, root, args, inputs);
  } else if (name == "redbull") {
    inputs.train = read_or_die((root / "redbull_train.manifest").string());
    inputs.test = read_or_die((root / "redbull_test.manifest").string());
    if (!args.no_negatives) {
      const Dataset all_train = read_or_die((root / "train.manifest").string());
      const int redbull = all_train.find_label("RedBull");
      for (const auto& sample : all_train.samples) {
        const bool has_redbull = std::any_of(sample.boxes.begin(), sample.boxes.end(),
                                             [&](const Box& b) { return b.label == redbull; });
        if (!has_redbull) inputs.negatives.push_back(sample.image);
      }
    }
  } else {
    inputs.train = read_or_die((root / "train.manifest").string());
    inputs.test = read_or_die((root / "test.manifest").string());
  }
  inputs.train_source = name + (args.dev ? " dev train (70 % of train)" : " train");
  inputs.test_source = name + (args.dev ? " dev validation (30 % of train)" : " test");

  train::TrainConfig config;
  const std::string budget = name == "redbull" ? args.budget_redbull : args.budget_fl27;
  config.time_budget_s = std::stod(budget);
  config.seed = args.seed;
  config.input_size = args.input_size;
  config.infer_long_side = args.infer_size;
  config.base_model = args.base;
  config.on_progress = train::console_progress(true);
  config.architecture = args.architecture;
  config.freeze = args.freeze;
  config.max_steps = args.steps;
  config.hard_negative_weight = args.hard_negatives;
  config.learning_rate = args.lr;
  config.trunk_lr_scale = args.trunk_lr_scale;
  config.batch_size = args.batch_size; config.augment.paste_prob = 0;
  if (args.no_flips) config.augment.flip_prob = 0;
  if (args.no_mosaic) config.augment.mosaic_prob = 0;
  if (args.no_distractors) config.augment.max_distractors = 0;
  const std::string model_dir =
      args.skip_train_model.empty() ? (fs::path(args.out) / name / "model").string() : args.skip_train_model;
  double train_seconds = 0;
  if (args.skip_train_model.empty()) {
    const auto started = std::chrono::steady_clock::now();
    auto summary = train::train_detector(inputs, config, model_dir);
    if (!summary) throw Failure(summary.error());
    train_seconds = seconds(std::chrono::steady_clock::now() - started);
  }

  infer::PredictorOptions options;
  options.min_score = 0.01F;
  options.large_logo_pass = !args.no_large_logo_pass;
  auto predictor = value_or_throw(infer::Predictor::load(model_dir, options));
  Dataset test = inputs.test;
  Problems problems;
  std::string predictions_jsonl;
  const auto started = std::chrono::steady_clock::now();
  const auto detections = library::run_model_on_dataset(*predictor, test, true, problems, predictions_jsonl);
  const double run_seconds = seconds(std::chrono::steady_clock::now() - started);
  if (!problems.empty()) throw Failure(Error{ErrorCode::kIo, format_problem(problems.front())});
  const auto evaluation = eval::evaluate(test, detections);
  const auto& metrics = evaluation.metrics;
  const auto folder = library::write_evaluation_folder(evaluation, {model_dir, inputs.test_source, ""},
                                                   (fs::path(args.out) / name / "evaluation").string(),
                                                   predictions_jsonl, "");
  const double images = static_cast<double>(test.samples.size());
  nlohmann::json by_size = nlohmann::json::object();
  std::string size_line;
  for (const auto& bucket : eval::recall_by_size(test.samples, detections)) {
    by_size[bucket.bucket] = {{"ground_truth", bucket.ground_truth}, {"found", bucket.found}, {"recall", bucket.recall()}};
    size_line += fmt::format("  {} {}/{}", bucket.bucket, bucket.found, bucket.ground_truth);
  }
  const auto model_json = nlohmann::json::parse(std::ifstream(fs::path(model_dir) / "model.json"));
  nlohmann::json result = {
      {"protocol", name},
      {"cpu", cpu_features().summary()},
      {"recall_at_100_by_size", by_size},
      {"train_seconds", train_seconds},
      {"detect_ms_per_image", 1000 * run_seconds / images},
      {"test_images", test.samples.size()},
      {"metrics", eval::metrics_to_json(metrics, false)},
      {"image_level_mean_ap", evaluation.image_level.mean_ap},
      {"report", folder.report},
      {"model_training", model_json["training"]}};
  fs::create_directories(fs::path(args.out) / name);
  std::ofstream(fs::path(args.out) / name / "bench.json") << result.dump(2) << "\n";
  std::cout << "\n== " << name << "\n" << eval::format_metrics_table(metrics);
  std::cout << fmt::format(
      "{}: F1 {:.3f}  precision {:.3f}  recall {:.3f}  AP50 {:.3f}  mAP50:95 {:.3f}  "
      "train {:.0f} s ({:.1f} img/s, {} steps)  detect {:.1f} ms/image (decode included)\n"
      "recall@100 by size:{}\ncpu: {}\nreport: {}\n",
      name, metrics.mean_f1, metrics.mean_precision, metrics.mean_recall, metrics.map50, metrics.map50_95,
      train_seconds, model_json["training"].value("images_per_second", 0.0), model_json["training"].value("steps", 0),
      1000 * run_seconds / images, size_line, cpu_features().summary(), folder.report);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  Args args;
  CLI::App app{"FlickrLogos-27 benchmark: train, detect and evaluate the redbull and fl27 protocols"};
  app.add_option("--protocol", args.protocol, "redbull, fl27 or all")
      ->check(CLI::IsMember({"redbull", "fl27", "all"}));
  app.add_option("--budget-redbull", args.budget_redbull, "Training seconds for redbull")
      ->capture_default_str();
  app.add_option("--budget-fl27", args.budget_fl27, "Training seconds for fl27")->capture_default_str();
  app.add_option("--out", args.out, "Output folder")->capture_default_str();
  app.add_option("--seed", args.seed, "Seed")->capture_default_str();
  app.add_option("--input-size", args.input_size, "Training crop size")->capture_default_str();
  app.add_option("--infer-size", args.infer_size, "Detection long side")->capture_default_str();
  app.add_flag("--no-negatives", args.no_negatives, "redbull: no other-brand photos as negatives");
  app.add_flag("--no-copy-paste", args.no_copy_paste, "Ablation");
  app.add_flag("--no-flips", args.no_flips, "Ablation");
  app.add_flag("--no-mosaic", args.no_mosaic, "Ablation");
  app.add_flag("--no-distractors", args.no_distractors, "Ablation");
  app.add_option("--base", args.base,
                 "Start from this base model (logoscope pretrain --exclude-flickrlogos27); default: from scratch")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--no-large-logo-pass", args.no_large_logo_pass, "Detection ablation: the whole pass only");
  app.add_option("--architecture", args.architecture, "fcos-resnet-fpn or nanodet-g (default: the base's)");
  app.add_option("--freeze", args.freeze, "nanodet-g: parts kept fixed (0-5)");
  app.add_option("--steps", args.steps, "Step budget instead of the time budget");
  app.add_option("--hard-negatives", args.hard_negatives, "Hard-negative preference (0 = uniform)")->capture_default_str();
  app.add_option("--lr", args.lr, "Peak learning rate")->capture_default_str();
  app.add_option("--trunk-lr-scale", args.trunk_lr_scale, "Trunk learning-rate factor (<0: the architecture's default)");
  app.add_option("--batch-size", args.batch_size, "Images per step")->capture_default_str();
  app.add_flag("--dev", args.dev,
               "Development protocol for choosing settings: train on 70 % of the training split, score the\n"
               "other 30 % (the test split is not touched)");
  app.add_option("--model", args.skip_train_model, "Evaluate this model folder instead of training");
  CLI11_PARSE(app, argc, argv);
  init_logging(Verbosity::kNormal);
  const char* env = std::getenv("LOGOSCOPE_BENCH_DATA");
  const std::string data_dir = env != nullptr ? env : "../shared/data";
  try {
    for (const std::string name : {"redbull", "fl27"}) {
      if (args.protocol == "all" || args.protocol == name) run_protocol(name, args, data_dir);
    }
  } catch (const Failure& failure) {
    std::cerr << "bench: " << failure.what() << "\n";
    return 2;
  }
  return 0;
}
