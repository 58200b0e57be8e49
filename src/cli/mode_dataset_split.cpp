#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "dataset/split.hpp"
#include "dataset/stats.hpp"

namespace fs = std::filesystem;

namespace logoscope::cli {

namespace {

struct SplitArgs {
  std::string data;
  std::string format;
  std::string out_dir;
  std::string to;
  double test_fraction = 0.2;
  std::uint64_t seed = 0;
  bool overwrite = false;
};

std::string side_path(const std::string& out_dir, const std::string& side, dataset::DatasetFormat format) {
  switch (format) {
    case dataset::DatasetFormat::kManifest: return (fs::path(out_dir) / (side + ".manifest")).string();
    case dataset::DatasetFormat::kCoco: return (fs::path(out_dir) / (side + ".json")).string();
    case dataset::DatasetFormat::kYolo:
    case dataset::DatasetFormat::kVoc: return (fs::path(out_dir) / side).string();
  }
  return out_dir;
}

int run_split(const SplitArgs& args) {
  check_output(args.out_dir, {args.data}, args.overwrite, "--out");
  Problems problems;
  const Dataset data = read_dataset_or_throw(args.data, args.format, problems);
  InputSet inputs;
  add_dataset_inputs(inputs, args.data, data);
  check_output(args.out_dir, inputs, args.overwrite, "--out");
  dataset::SplitOptions options;
  options.test_fraction = args.test_fraction;
  options.seed = args.seed;
  const auto split = value_or_throw(dataset::split_dataset(data, options));
  const auto format = args.to.empty() ? value_or_throw(dataset::detect_dataset_format(args.data))
                                      : value_or_throw(dataset::parse_dataset_format(args.to));
  for (const auto& [side, part] : {std::pair{"train", &split.train}, std::pair{"test", &split.test}}) {
    const std::string path = side_path(args.out_dir, side, format);
    auto written = dataset::write_dataset(*part, path, format);
    if (!written) throw Failure(written.error());
    const auto summary = dataset::summarize_dataset(*part);
    std::cout << fmt::format("{}: {} images, {} boxes -> {}\n", side, summary.images, summary.boxes, path);
  }
  const auto train = dataset::summarize_dataset(split.train);
  const auto test = dataset::summarize_dataset(split.test);
  std::cout << fmt::format("  {:<20} {:>12} {:>12}\n", "label", "train images", "test images");
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    std::cout << fmt::format("  {:<20} {:>12} {:>12}\n", data.labels[i], train.images_per_label[i], test.images_per_label[i]);
  }
  if (!problems.empty()) {
    print_problems(problems, 20);
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

void register_dataset_split(CLI::App& dataset_cmd, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<SplitArgs>();
  CLI::App* cmd = dataset_cmd.add_subcommand(
      "split",
      "Split a dataset into train and test: stratified by label (every label with 2+ images lands\n"
      "on both sides), identical images always on the same side, reproducible for a seed.\n"
      "Writes OUT/train.<ext> and OUT/test.<ext> (folders for yolo/voc).\n"
      "Example: logoscope dataset split all.manifest --out splits --test-fraction 0.2 --seed 7");
  cmd->add_option("data", args->data, "Dataset to split")->required();
  add_format_option(*cmd, "--from", args->format, "Format of DATA");
  cmd->add_option("--out", args->out_dir, "Folder for train and test")->required();
  add_format_option(*cmd, "--to", args->to, "Output format (default: as DATA)");
  cmd->add_option("--test-fraction", args->test_fraction, "Share of images for test")
      ->capture_default_str()->check(between(0.0, 1.0));
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str()->check(at_least(0));
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state] { state.exit_code = run_split(*args); });
}

}  // namespace logoscope::cli
