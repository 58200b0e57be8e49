#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/text.hpp"
#include "dataset/merge.hpp"

namespace logoscope::cli {

namespace {

struct MergeArgs {
  std::string base;
  std::string patch;
  std::string output;
  std::string from;
  std::string to;
  double duplicate_iou = 0.5;
  bool overwrite = false;
};

int run_merge(const MergeArgs& args) {
  check_output(args.output, {args.base, args.patch}, args.overwrite, "output");
  Problems problems;
  const Dataset base = read_dataset_or_throw(args.base, args.from, problems);
  const Dataset patch = read_dataset_or_throw(args.patch, "", problems);
  InputSet inputs;
  add_dataset_inputs(inputs, args.base, base);
  add_dataset_inputs(inputs, args.patch, patch);
  check_output(args.output, inputs, args.overwrite, "output");
  dataset::MergeSummary summary;
  const Dataset merged = dataset::merge_datasets(base, patch, summary, problems, args.duplicate_iou);
  const auto to = output_format(args.output, args.to, args.base);
  auto written = dataset::write_dataset(merged, args.output, to);
  if (!written) throw Failure(written.error());
  std::cout << fmt::format(
      "added {} boxes to {} images ({} already present, {} patch images not in the dataset): {} images, {} "
      "boxes, "
      "{} labels in {}\n",
      summary.boxes_added, summary.images_changed, summary.boxes_already_present, summary.images_not_in_base,
      merged.samples.size(), merged.box_count(), merged.labels.size(), args.output);
  if (!problems.empty()) {
    std::cerr << count_of(problems.size(), "problem") << ":\n";
    print_problems(problems, 20);
    return kExitProblems;
  }
  return kExitOk;
}

}  // namespace

void register_dataset_merge(CLI::App& dataset_cmd, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* cmd = dataset_cmd.add_subcommand(
      "merge",
      "Add the boxes of a reviewed patch to a dataset and write the result to a new file.\n"
      "The patch is usually `evaluate`'s suggested-labels.manifest after you deleted the lines or\n"
      "boxes that are wrong. Boxes already present (same label, IoU >= --duplicate-iou) are skipped,\n"
      "so merging twice changes nothing. Neither input is modified.\n"
      "Example: logoscope dataset merge train.manifest eval/suggested-labels.manifest train-fixed.manifest");
  cmd->add_option("dataset", args->base, "The dataset to add boxes to (any format)")->required();
  cmd->add_option("patch", args->patch, "The reviewed patch (any format; usually a manifest)")->required();
  cmd->add_option("output", args->output, "Where to write the merged dataset")->required();
  add_format_option(*cmd, "--from", args->from, "Format of the dataset");
  add_format_option(*cmd, "--to", args->to,
                    "Output format (default: from OUTPUT's extension, else the dataset's)");
  cmd->add_option("--duplicate-iou", args->duplicate_iou,
                  "A patch box overlapping a same-label box this much is skipped")
      ->check(between(0.0, 1.0));
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state] { state.exit_code = run_merge(*args); });
}

}  // namespace logoscope::cli
