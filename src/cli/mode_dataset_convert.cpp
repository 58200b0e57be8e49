#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/paths.hpp"
#include "core/progress.hpp"
#include "core/text.hpp"
#include "dataset/image_copy.hpp"

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

int run_convert(const ConvertArgs& args, const CommonOptions& common) {
  check_output(args.output, {args.input}, args.overwrite, "output");
  Problems problems;
  const Dataset data = read_dataset_or_throw(args.input, args.from, problems);
  InputSet inputs;
  add_dataset_inputs(inputs, args.input, data);
  check_output(args.output, inputs, args.overwrite, "output");
  const auto from = args.from.empty() ? value_or_throw(dataset::detect_dataset_format(args.input))
                                      : value_or_throw(dataset::parse_dataset_format(args.from));
  const auto to = output_format(args.output, args.to, args.input);
  dataset::WriteOptions options;
  options.copy_images = args.copy_images;
  Dataset to_write = data;
  if (args.copy_images && (to == dataset::DatasetFormat::kManifest || to == dataset::DatasetFormat::kCoco)) {
    // The images beside the new file (OUT's folder/images/), the references rewritten to them: a
    // dataset in a bucket becomes a local one.
    if (is_s3_uri(args.output)) {
      throw Failure(Error{ErrorCode::kInvalidArgument,
                          "--copy-images copies into a local folder: give a local output file"});
    }
    const std::string folder = parent_dir(args.output);
    check_output((std::filesystem::path(folder) / "images").string(), inputs, args.overwrite, "--copy-images");
    Progress bar("copying images", static_cast<std::int64_t>(data.samples.size()), !common.quiet);
    to_write = value_or_throw(dataset::copy_dataset_images(data, folder, [&](std::size_t, std::size_t) { bar.advance(); }));
    bar.finish();
  } else if (args.copy_images && to == dataset::DatasetFormat::kVoc) {
    throw Failure(Error{ErrorCode::kInvalidArgument, "--copy-images: Pascal VOC output keeps the images where they are; "
                                                     "copy to a manifest, COCO or YOLO"});
  }
  auto written = dataset::write_dataset(to_write, args.output, to, options);
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

void register_dataset_convert(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common) {
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
  cmd->add_flag("--copy-images", args->copy_images,
                "Copy the images beside the output (manifest/COCO: into OUT's folder/images/, references rewritten;\n"
                "YOLO: into OUT/images/ instead of links): a dataset in S3 becomes a local one");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_convert(*args, common); });
}

}  // namespace logoscope::cli
