#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/logging.hpp"
#include "dataset/validate.hpp"
#include "storage/storage.hpp"

namespace logoscope::cli {

namespace {

struct ValidateArgs {
  std::string data;
  std::string format;
  std::string test;
  std::string test_format;
  std::string fix_out;
  std::string fix_format;
  bool json = false;
  bool headers_only = false;
  double min_box_side = 8.0;
  std::int64_t max_pixels = 200'000'000;
  int threads = 0;
  bool overwrite = false;
};

int run_validate(const ValidateArgs& args, const CommonOptions& common) {
  if (!args.fix_out.empty()) check_output(args.fix_out, {args.data, args.test}, args.overwrite, "--fix");
  Problems problems;
  const Dataset data = read_dataset_or_throw(args.data, args.format, problems);
  std::optional<Dataset> test;
  Problems test_problems;
  if (!args.test.empty()) {
    test = read_dataset_or_throw(args.test, args.test_format, test_problems);
    problems.insert(problems.end(), test_problems.begin(), test_problems.end());
  }
  if (!args.fix_out.empty()) {
    InputSet inputs;
    add_dataset_inputs(inputs, args.data, data);
    if (test) add_dataset_inputs(inputs, args.test, *test);
    check_output(args.fix_out, inputs, args.overwrite, "--fix");
  }
  dataset::ValidateOptions options;
  options.decode_images = !args.headers_only;
  options.min_box_side = args.min_box_side;
  options.max_pixels = args.max_pixels;
  options.threads = args.threads;
  options.progress = !common.quiet && !args.json;
  options.build_cleaned = !args.fix_out.empty();
  // A credentials problem is one error said before the work, not one "unreadable" per image.
  {
    std::vector<std::string> images;
    for (const auto& sample : data.samples) images.push_back(sample.image);
    if (test) {
      for (const auto& sample : test->samples) images.push_back(sample.image);
    }
    if (auto access = storage::check_s3_access(images); !access) throw Failure(access.error());
  }
  dataset::ValidationReport report =
      dataset::validate_dataset(data, args.data, problems, options, test ? &*test : nullptr, args.test);
  if (test) {
    dataset::ValidateOptions test_options = options;
    test_options.build_cleaned = false;
    auto test_report = dataset::validate_dataset(*test, args.test, {}, test_options);
    report.problems.insert(report.problems.end(), test_report.problems.begin(), test_report.problems.end());
  }

  if (args.json) {
    nlohmann::json json = dataset::report_to_json(report);
    json["dataset"] = args.data;
    if (test) json["test"] = args.test;
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << fmt::format("dataset: {}\n", args.data);
    std::cout << dataset::format_report(report);
  }

  if (report.cleaned) {
    const auto out_format = output_format(args.fix_out, args.fix_format, args.data);
    auto written = dataset::write_dataset(*report.cleaned, args.fix_out, out_format);
    if (!written) throw Failure(written.error());
    spdlog::info("wrote the cleaned dataset ({} images, {} boxes) to {}", report.cleaned->samples.size(),
                 report.cleaned->box_count(), args.fix_out);
  }
  return report.problems.empty() ? kExitOk : kExitProblems;
}

}  // namespace

void register_dataset_validate(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = dataset_cmd.add_subcommand(
      "validate",
      "Check a dataset before training: every image opened and decoded, every box checked.\n"
      "Reports images, labels, boxes per label and a box-size histogram, then every problem with\n"
      "its file, line, field and value: missing or undecodable image, degenerate box, box outside\n"
      "the image (clipped), duplicate box, duplicate image, unknown class id, box too small,\n"
      "image in both train and test.\n"
      "Exit code: 0 clean, 1 problems found, 2 unusable input.\n"
      "Example: logoscope dataset validate train.manifest --test test.manifest --fix clean.manifest");
  cmd->add_option("data", args->data, "Dataset: .manifest/.jsonl, COCO .json, YOLO folder or data.yaml, VOC folder or .xml")
      ->required();
  add_format_option(*cmd, "--from", args->format, "Format of DATA");
  cmd->add_option("--test", args->test, "A test dataset: also validated, and checked for images shared with DATA");
  add_format_option(*cmd, "--test-format", args->test_format, "Format of --test");
  cmd->add_flag("--json", args->json, "Print the report as JSON on stdout (every problem listed)");
  cmd->add_option("--fix", args->fix_out,
                  "Write a cleaned copy here (never over the input): unusable images, degenerate, outside and "
                  "duplicate boxes and duplicate images dropped; boxes clipped; image sizes corrected");
  add_format_option(*cmd, "--to", args->fix_format, "Format of the --fix output (default: same as DATA)");
  cmd->add_flag("--headers-only", args->headers_only, "Read image headers only (faster; misses truncated files)");
  cmd->add_option("--min-box-size", args->min_box_side, "Flag boxes with a side below this many pixels")
      ->capture_default_str()->check(at_least(0));
  cmd->add_option("--max-pixels", args->max_pixels, "Refuse images with more pixels than this")
      ->capture_default_str()->check(more_than(0));
  cmd->add_option("--threads", args->threads, "Worker threads (0 = all cores)")->capture_default_str()->check(between(0, 1024));
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_validate(*args, common); });
}

}  // namespace logoscope::cli
