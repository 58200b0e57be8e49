#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/text.hpp"

namespace logoscope::cli {

namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string from;
  std::string to;
  bool copy_images = false;
  bool overwrite = false;
};

int run_convert(const ConvertArgs& args) {
  check_output(args.output, {args.input}, args.overwrite, "output");
  Problems problems;
  const Dataset data = read_dataset_or_throw(args.input, args.from, problems);
  const auto from = args.from.empty() ? value_or_throw(dataset::detect_dataset_format(args.input))
                                      : value_or_throw(dataset::parse_dataset_format(args.from));
  const auto to = output_format(args.output, args.to, args.input);
  dataset::WriteOptions options;
  options.copy_images = args.copy_images;
  auto written = dataset::write_dataset(data, args.output, to, options);
  if (!written) throw Failure(written.error());
  std::cout << fmt::format("converted {}, {}, {} from {} to {}: {}\n", count_of(data.samples.size(), "image"),
                           count_of(data.box_count(), "box", "boxes"), count_of(data.labels.size(), "label"),
                           dataset::dataset_format_name(from), dataset::dataset_format_name(to), args.output);
  if (!problems.empty()) {
    std::cerr << fmt::format("{} while reading (kept as read unless said otherwise):\n",
                             count_of(problems.size(), "problem"));
    print_problems(problems, 20);
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

void register_dataset_convert(CLI::App& dataset_cmd, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = dataset_cmd.add_subcommand(
      "convert",
      "Convert a dataset between formats: Ground Truth manifest (Rekognition), COCO, YOLO, Pascal VOC.\n"
      "Every image and box is kept (problems are reported, exit code 1). Images are not copied\n"
      "(YOLO output links them under OUT/images/). Input files are never modified.\n"
      "Example: logoscope dataset convert coco.json train.manifest");
  cmd->add_option("input", args->input, "Dataset to read")->required();
  cmd->add_option("output", args->output, "Where to write: a .manifest/.json file, or a folder for yolo/voc")->required();
  add_format_option(*cmd, "--from", args->from, "Input format");
  add_format_option(*cmd, "--to", args->to, "Output format");
  cmd->add_flag("--copy-images", args->copy_images, "YOLO output: copy images instead of linking them");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state] { state.exit_code = run_convert(*args); });
}

}  // namespace logoscope::cli
