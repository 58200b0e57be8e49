#include <iostream>
#include <memory>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/text.hpp"
#include "dataset/stats.hpp"

namespace logoscope::cli {

namespace {

struct StatsArgs {
  std::string data;
  std::string format;
  bool json = false;
};

int run_stats(const StatsArgs& args) {
  Problems problems;
  const Dataset data = read_dataset_or_throw(args.data, args.format, problems);
  const auto summary = dataset::summarize_dataset(data);
  if (args.json) {
    auto json = dataset::summary_to_json(summary);
    json["dataset"] = args.data;
    json["read_problems"] = problems.size();
    std::cout << json.dump(2) << "\n";
  } else {
    std::cout << dataset::format_summary(summary);
    if (!problems.empty()) {
      std::cout << count_of(problems.size(), "problem") << " while reading: run `logoscope dataset validate`\n";
    }
  }
  // Counts from a dataset that could not be read whole are not the dataset's counts.
  return problems.empty() ? kExitOk : kExitProblems;
}

}  // namespace

void register_dataset_stats(CLI::App& dataset_cmd, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = dataset_cmd.add_subcommand(
      "stats", "Count images, boxes per label and box sizes (no image is opened).\n"
               "Example: logoscope dataset stats train.manifest --json");
  cmd->add_option("data", args->data, "Dataset to count")->required();
  add_format_option(*cmd, "--from", args->format, "Format of DATA");
  cmd->add_flag("--json", args->json, "Print JSON on stdout");
  cmd->callback([args, &state] { state.exit_code = run_stats(*args); });
}

}  // namespace logoscope::cli
