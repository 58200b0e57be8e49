// logoscope-bench-flickrlogos — the FlickrLogos-27 protocols end to end (train, detect, evaluate).
//
// Protocols (LOGOSCOPE_BENCH_DATA/flickrlogos27/README.md):
//   redbull  single label: train on the 20 RedBull training photos (+ the other brands' training
//            photos as negatives), test on all 269 test photos (only RedBull boxes count).
//   brands   the same single-label protocol for each of --brands (default 8 chosen for spread)
//            × each of --seeds; prints every run and the mean F1 / AP50 with its standard error.
//   fl27     27 labels, 20 training photos each, test on the 269 test photos.
// --dev runs the development twin of each: the training split cut 70/30 (stratified, seed 1000),
// trained on the 70 %, scored on the 30 %; the test split is not touched (choose settings here).
// Training goes through logoscope::train_model with the protocol written as manifests and a
// negatives list (OUT/<protocol>/<run>/), so it runs the defaults `logoscope train` runs; the
// options below change them as the CLI's do. Each run prints F1, precision, recall, AP50,
// precision at recall 0.8, the steps and their wall time, detection ms/image, and writes
// OUT/<protocol>/<run>/bench.json and an evaluation folder with report.html.
// --reuse reads runs already done (resuming a campaign), --existing-only summarises them, and
// --baseline OTHER_OUT prints the paired change against another campaign.
// Usage: logoscope-bench-flickrlogos --protocol redbull|brands|fl27 [--dev] [--seeds 0,1] [--steps N] …

#include <malloc.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/cpu_features.hpp"
#include "core/logging.hpp"
#include "dataset/formats.hpp"
#include "dataset/image_inputs.hpp"
#include "dataset/split.hpp"
#include "eval/evaluation.hpp"
#include "eval/metrics.hpp"
#include "eval/metrics_json.hpp"
#include "infer/predictor.hpp"
#include "library/evaluation_run.hpp"
#include "logoscope/train.hpp"
#include "train/console_progress.hpp"

namespace fs = std::filesystem;
using namespace logoscope;

namespace {

struct Args {
  std::string protocol = "redbull";
  bool dev = false;
  std::vector<std::string> brands = {"RedBull", "Adidas", "Apple", "Cocacola", "Fedex", "Nike", "Starbucks", "Vodafone"};
  std::vector<std::uint64_t> seeds = {0};
  std::string out = "bench-out";
  // Training: empty / 0 / < 0 leave `logoscope train`'s default.
  std::int64_t steps = 0;
  std::string time_budget;
  std::string base;
  std::string architecture;
  int freeze = 0;
  double hard_negatives = 1.0;
  double lr = 2e-3;
  double trunk_lr_scale = -1;
  int batch_size = 16;
  int input_size = 320;
  int infer_size = 512;
  int threads = 0;
  bool no_negatives = false;
  bool no_copy_paste = false;
  bool no_flips = false;
  bool no_mosaic = false;
  bool no_distractors = false;
  // Detection.
  bool no_large_logo_pass = false;
  std::string model;  // evaluate this model folder instead of training (one run)
  bool reuse = false;          // a run whose bench.json exists is read, not redone
  bool existing_only = false;  // and runs without one are left out (the summary of what is done)
  std::string baseline;        // another campaign's OUT: paired differences run by run
};

// The data set's boxes with an area: the one degenerate box of the source (README: a RedBull box
// of zero width and height) is left out, as evaluation leaves it out, so train need not refuse it.
Dataset read_or_die(const std::string& path) {
  Problems problems;
  auto data = dataset::read_dataset(path, std::nullopt, problems);
  if (!data) throw Failure(data.error());
  for (auto& sample : data->samples) {
    std::erase_if(sample.boxes, [](const Box& box) { return !(box.x1 > box.x0 && box.y1 > box.y0); });
  }
  return std::move(data).value();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `data` with only the boxes of `label`, as a one-label dataset.
Dataset single_label(const Dataset& data, const std::string& label) {
  const int index = data.find_label(label);
  if (index < 0) throw Failure(Error{ErrorCode::kInvalidArgument, fmt::format("no brand \"{}\" in FlickrLogos-27", label)});
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

// One training run's data, before it is written out.
struct RunData {
  std::string name;  // "RedBull-seed0", "fl27-seed0"
  Dataset train;
  Dataset test;
  std::vector<std::string> negatives;
  std::string train_source;
  std::string test_source;
};

// The training and test splits of the protocol (or of its development twin).
std::pair<Dataset, Dataset> splits(const fs::path& root, bool dev) {
  Dataset train = read_or_die((root / "train.manifest").string());
  if (!dev) return {std::move(train), read_or_die((root / "test.manifest").string())};
  dataset::SplitOptions split;
  split.test_fraction = 0.3;
  split.seed = 1000;
  auto parts = value_or_throw(dataset::split_dataset(train, split));
  return {std::move(parts.train), std::move(parts.test)};
}

RunData single_brand_run(const std::string& brand, const Dataset& train, const Dataset& test, const Args& args) {
  RunData run;
  const Dataset one = single_label(train, brand);
  run.train.labels = one.labels;
  for (const auto& sample : one.samples) {
    if (!sample.boxes.empty()) {
      run.train.samples.push_back(sample);
    } else if (!args.no_negatives) {
      run.negatives.push_back(sample.image);
    }
  }
  run.test = single_label(test, brand);
  run.train_source = fmt::format("{} {} photos{}", brand, args.dev ? "dev-train" : "train",
                                 args.no_negatives ? "" : " + the other brands' as negatives");
  run.test_source = fmt::format("all {} photos, {} boxes only", args.dev ? "dev-validation" : "test", brand);
  return run;
}

// Precision at recall 0.8 (interpolated: the best precision at any threshold reaching it), or 0.
double precision_at_recall(const eval::LabelMetrics& label, double recall) {
  double best = 0;
  for (const auto& point : label.curve) {
    if (point.recall >= recall) best = std::max(best, point.precision);
  }
  return best;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) throw Failure(Error{ErrorCode::kIo, fmt::format("{}: cannot write", path.string())});
}

TrainOptions train_options(const Args& args, std::uint64_t seed) {
  TrainOptions options;
  options.steps = args.steps;
  if (!args.time_budget.empty()) options.time_budget_s = value_or_throw(dataset::parse_duration(args.time_budget));
  options.base = args.base;
  options.architecture = args.architecture;
  options.freeze = args.freeze;
  options.hard_negatives = args.hard_negatives;
  options.learning_rate = args.lr;
  options.trunk_lr_scale = args.trunk_lr_scale;
  options.batch_size = args.batch_size;
  options.input_size = args.input_size;
  options.infer_size = args.infer_size;
  options.seed = seed;
  options.context.threads = args.threads;
  options.flips = !args.no_flips;
  options.copy_paste = !args.no_copy_paste;
  options.mosaic = !args.no_mosaic;
  options.distractors = !args.no_distractors;
  options.overwrite = true;
  return options;
}

// Trains (unless --model), detects over the test photos and evaluates: one row of the tables.
nlohmann::json run_one(const RunData& run, std::uint64_t seed, const fs::path& dir, const Args& args) {
  fs::create_directories(dir);
  const std::string train_path = (dir / "train.manifest").string();
  const std::string test_path = (dir / "test.manifest").string();
  value_or_throw(dataset::write_dataset(run.train, train_path, dataset::DatasetFormat::kManifest));
  value_or_throw(dataset::write_dataset(run.test, test_path, dataset::DatasetFormat::kManifest));
  std::string model_dir = args.model;
  double train_seconds = 0;
  if (model_dir.empty()) {
    model_dir = (dir / "model").string();
    TrainOptions options = train_options(args, seed);
    options.train = train_path;
    options.test = test_path;
    options.out = model_dir;
    if (!run.negatives.empty()) {
      std::string list;
      for (const auto& image : run.negatives) list += fs::absolute(image).string() + "\n";
      write_text(dir / "negatives.txt", list);
      options.negatives = {(dir / "negatives.txt").string()};
    }
    const auto started = std::chrono::steady_clock::now();
    value_or_throw(train_model(options, train::console_progress(true)));
    train_seconds = seconds_since(started);
  }

  infer::PredictorOptions predictor_options;
  predictor_options.min_score = 0.01F;
  predictor_options.large_logo_pass = !args.no_large_logo_pass;
  auto predictor = value_or_throw(infer::Predictor::load(model_dir, predictor_options));
  Dataset test = run.test;
  Problems problems;
  std::string predictions_jsonl;
  const auto started = std::chrono::steady_clock::now();
  const auto detections = library::run_model_on_dataset(*predictor, test, true, problems, predictions_jsonl);
  const double detect_seconds = seconds_since(started);
  if (!problems.empty()) throw Failure(Error{ErrorCode::kIo, format_problem(problems.front())});
  const auto evaluation = eval::evaluate(test, detections);
  const auto& metrics = evaluation.metrics;
  const auto folder = library::write_evaluation_folder(evaluation, {model_dir, run.test_source, ""},
                                                       (dir / "evaluation").string(), predictions_jsonl, "");
  nlohmann::json by_size = nlohmann::json::object();
  std::string size_line;
  for (const auto& bucket : eval::recall_by_size(test.samples, detections)) {
    by_size[bucket.bucket] = {{"ground_truth", bucket.ground_truth}, {"found", bucket.found}, {"recall", bucket.recall()}};
    size_line += fmt::format("  {} {}/{}", bucket.bucket, bucket.found, bucket.ground_truth);
  }
  double p_at_r80 = 0;
  int scored = 0;
  for (const auto& label : metrics.labels) {
    if (label.ground_truth == 0) continue;
    p_at_r80 += precision_at_recall(label, 0.8);
    ++scored;
  }
  if (scored > 0) p_at_r80 /= scored;
  const auto training = nlohmann::json::parse(std::ifstream(fs::path(model_dir) / "model.json")).value("training", nlohmann::json::object());
  const double images = static_cast<double>(test.samples.size());
  nlohmann::json result = {{"run", run.name},
                           {"seed", seed},
                           {"cpu", cpu_features().summary()},
                           {"train", run.train_source},
                           {"test", run.test_source},
                           {"f1", metrics.mean_f1},
                           {"precision", metrics.mean_precision},
                           {"recall", metrics.mean_recall},
                           {"ap50", metrics.map50},
                           {"ap50_95", metrics.map50_95},
                           {"precision_at_recall_80", p_at_r80},
                           {"recall_at_100_by_size", by_size},
                           {"steps", training.value("steps", 0)},
                           {"planned_steps", training.value("max_steps", 0)},
                           {"stopped_by", training.value("stopped_by", "")},
                           {"train_seconds", train_seconds},
                           {"images_per_second", training.value("images_per_second", 0.0)},
                           {"detect_ms_per_image", 1000 * detect_seconds / images},
                           {"test_images", test.samples.size()},
                           {"metrics", eval::metrics_to_json(metrics, false)},
                           {"image_level_mean_ap", evaluation.image_level.mean_ap},
                           {"report", folder.report},
                           {"model_training", training}};
  write_text(dir / "bench.json", result.dump(2) + "\n");
  std::cout << "\n== " << run.name << "\n" << eval::format_metrics_table(metrics);
  std::cout << fmt::format(
      "{}: F1 {:.3f}  precision {:.3f}  recall {:.3f}  AP50 {:.3f}  mAP50:95 {:.3f}  P@R0.8 {:.3f}  "
      "train {:.0f} s ({:.1f} img/s, {} steps)  detect {:.1f} ms/image (decode included)\n"
      "recall@100 by size:{}\ncpu: {}\nreport: {}\n",
      run.name, metrics.mean_f1, metrics.mean_precision, metrics.mean_recall, metrics.map50, metrics.map50_95,
      p_at_r80, train_seconds, training.value("images_per_second", 0.0), training.value("steps", 0),
      1000 * detect_seconds / images, size_line, cpu_features().summary(), folder.report);
  return result;
}

struct MeanError {
  double mean = 0;
  double standard_error = 0;  // of the mean: sample standard deviation / sqrt(n)
};

MeanError mean_error(const std::vector<double>& values) {
  MeanError out;
  if (values.empty()) return out;
  for (double v : values) out.mean += v;
  out.mean /= static_cast<double>(values.size());
  if (values.size() < 2) return out;
  double squares = 0;
  for (double v : values) squares += (v - out.mean) * (v - out.mean);
  out.standard_error = std::sqrt(squares / static_cast<double>(values.size() - 1) / static_cast<double>(values.size()));
  return out;
}

// Every run of the protocol, then (several runs) a table and the means with their standard errors.
nlohmann::json run_protocol(const std::string& protocol, const Args& args, const fs::path& root) {
  const auto [train, test] = splits(root, args.dev);
  const std::string folder = protocol + (args.dev ? "-dev" : "");
  std::vector<nlohmann::json> runs;
  const std::vector<std::string> brands =
      protocol == "brands" ? args.brands : std::vector<std::string>{protocol == "redbull" ? "RedBull" : ""};
  for (const auto seed : args.seeds) {  // seed by seed: a cut-short campaign has every brand once
    for (const auto& brand : brands) {
      RunData run;
      if (brand.empty()) {
        run.train = train;
        run.test = test;
        run.train_source = args.dev ? "fl27 dev-train (70 % of train)" : "fl27 train";
        run.test_source = args.dev ? "fl27 dev-validation (30 % of train)" : "fl27 test";
      } else {
        run = single_brand_run(brand, train, test, args);
      }
      run.name = fmt::format("{}-seed{}", brand.empty() ? "fl27" : brand, seed);
      const fs::path dir = fs::path(args.out) / folder / run.name;
      if (args.reuse || args.existing_only) {
        std::ifstream done(dir / "bench.json");
        if (done) {
          runs.push_back(nlohmann::json::parse(done));
          std::cout << "reused " << (dir / "bench.json").string() << "\n";
          continue;
        }
        if (args.existing_only) continue;
      }
      runs.push_back(run_one(run, seed, dir, args));
    }
  }
  std::vector<double> f1;
  std::vector<double> ap50;
  std::vector<double> p_at_r80;
  std::string table = "| run | F1 | precision | recall | AP50 | P@R0.8 | steps | train s |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& run : runs) {
    f1.push_back(run["f1"]);
    ap50.push_back(run["ap50"]);
    p_at_r80.push_back(run["precision_at_recall_80"]);
    table += fmt::format("| {} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {:.3f} | {} | {:.0f} |\n", run["run"].get<std::string>(),
                         run["f1"].get<double>(), run["precision"].get<double>(), run["recall"].get<double>(),
                         run["ap50"].get<double>(), run["precision_at_recall_80"].get<double>(), run["steps"].get<std::int64_t>(),
                         run["train_seconds"].get<double>());
  }
  const auto f1_mean = mean_error(f1);
  const auto ap_mean = mean_error(ap50);
  const auto p_mean = mean_error(p_at_r80);
  nlohmann::json summary = {{"protocol", folder},
                            {"cpu", cpu_features().summary()},
                            {"runs", runs.size()},
                            {"mean_f1", f1_mean.mean},
                            {"mean_f1_standard_error", f1_mean.standard_error},
                            {"mean_ap50", ap_mean.mean},
                            {"mean_ap50_standard_error", ap_mean.standard_error},
                            {"mean_precision_at_recall_80", p_mean.mean},
                            {"results", runs}};
  std::string baseline_line;
  if (!args.baseline.empty()) {
    // Paired by run (same brand, same seed): brand-to-brand spread cancels, so a change of a few
    // hundredths shows against its own standard error.
    std::vector<double> f1_change;
    std::vector<double> ap_change;
    for (const auto& run : runs) {
      std::ifstream before(fs::path(args.baseline) / folder / run["run"].get<std::string>() / "bench.json");
      if (!before) continue;
      const auto base = nlohmann::json::parse(before);
      f1_change.push_back(run["f1"].get<double>() - base["f1"].get<double>());
      ap_change.push_back(run["ap50"].get<double>() - base["ap50"].get<double>());
    }
    const auto f1_delta = mean_error(f1_change);
    const auto ap_delta = mean_error(ap_change);
    summary["baseline"] = {{"path", args.baseline}, {"paired_runs", f1_change.size()},
                           {"f1_change", f1_delta.mean}, {"f1_change_standard_error", f1_delta.standard_error},
                           {"ap50_change", ap_delta.mean}, {"ap50_change_standard_error", ap_delta.standard_error}};
    baseline_line = fmt::format("against {} ({} paired runs): F1 {:+.3f} ± {:.3f}  AP50 {:+.3f} ± {:.3f}\n",
                                args.baseline, f1_change.size(), f1_delta.mean, f1_delta.standard_error, ap_delta.mean,
                                ap_delta.standard_error);
  }
  write_text(fs::path(args.out) / folder / "summary.json", summary.dump(2) + "\n");
  std::cout << fmt::format("\n== {} ({} runs)\n{}mean F1 {:.3f} ± {:.3f}  mean AP50 {:.3f} ± {:.3f}  mean P@R0.8 {:.3f}"
                           "  (± standard error of the mean over runs)\ncpu: {}\n",
                           folder, runs.size(), table, f1_mean.mean, f1_mean.standard_error, ap_mean.mean,
                           ap_mean.standard_error, p_mean.mean, cpu_features().summary())
            << baseline_line;
  return summary;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  Args args;
  CLI::App app{"FlickrLogos-27 benchmark: train, detect and evaluate the redbull, brands and fl27 protocols"};
  app.add_option("--protocol", args.protocol, "redbull, brands or fl27")
      ->capture_default_str()
      ->check(CLI::IsMember({"redbull", "brands", "fl27"}));
  app.add_flag("--dev", args.dev,
               "Development twin for choosing settings: train on 70 % of the training split, score the\n"
               "other 30 % (the test split is not touched)");
  app.add_option("--brands", args.brands, "brands: the brands (FlickrLogos-27 names)")->capture_default_str();
  app.add_option("--seeds", args.seeds, "Seeds, one run each")->delimiter(',')->capture_default_str();
  app.add_option("--out", args.out, "Output folder")->capture_default_str();
  app.add_option("--steps", args.steps, "Training steps (0: train's default for the data)")->capture_default_str();
  app.add_option("--time-budget", args.time_budget, "Cap on training time, as train's --time-budget (default: none)");
  app.add_option("--base", args.base, "Start from this model folder (default: the built-in base)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--architecture", args.architecture, "fcos-resnet-fpn or nanodet-g (default: the base's)");
  app.add_option("--freeze", args.freeze, "nanodet-g: parts kept fixed (0-5)");
  app.add_option("--hard-negatives", args.hard_negatives, "Hard-negative preference (0 = uniform)")->capture_default_str();
  app.add_option("--lr", args.lr, "Peak learning rate")->capture_default_str();
  app.add_option("--trunk-lr-scale", args.trunk_lr_scale, "Trunk learning-rate factor (<0: the architecture's default)");
  app.add_option("--batch-size", args.batch_size, "Images per step")->capture_default_str();
  app.add_option("--input-size", args.input_size, "Training crop size")->capture_default_str();
  app.add_option("--infer-size", args.infer_size, "Detection long side")->capture_default_str();
  app.add_option("--threads", args.threads, "Training threads (0: the cores other work leaves free)")->capture_default_str();
  app.add_flag("--no-negatives", args.no_negatives, "Single-label protocols: no other-brand photos as negatives");
  app.add_flag("--no-copy-paste", args.no_copy_paste, "Ablation");
  app.add_flag("--no-flips", args.no_flips, "Ablation");
  app.add_flag("--no-mosaic", args.no_mosaic, "Ablation");
  app.add_flag("--no-distractors", args.no_distractors, "Ablation");
  app.add_flag("--no-large-logo-pass", args.no_large_logo_pass, "Detection ablation: the whole pass only");
  app.add_option("--model", args.model, "Evaluate this model folder instead of training (one brand, one seed)");
  app.add_flag("--reuse", args.reuse, "Read the runs whose OUT/.../bench.json exists instead of redoing them");
  app.add_option("--baseline", args.baseline,
                 "Another run's --out: print the mean change of F1 and AP50 over the runs both have, with its\n"
                 "standard error (paired by brand and seed)");
  app.add_flag("--existing-only", args.existing_only,
               "Only summarise the runs already done (their bench.json), training nothing");
  CLI11_PARSE(app, argc, argv);
  init_logging(Verbosity::kNormal);
  const char* env = std::getenv("LOGOSCOPE_BENCH_DATA");
  const fs::path root = fs::path(env != nullptr ? env : "../shared/data") / "flickrlogos27";
  try {
    run_protocol(args.protocol, args, root);
  } catch (const Failure& failure) {
    std::cerr << "bench: " << failure.what() << "\n";
    return 2;
  }
  return 0;
}
