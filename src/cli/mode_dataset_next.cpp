// `logoscope dataset next`: which unlabeled photos to label next, and why (labeling/).
#include <fstream>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/progress.hpp"
#include "dataset/image_inputs.hpp"
#include "labeling/next_run.hpp"
#include "model/model_info.hpp"
#include "storage/storage.hpp"

namespace logoscope::cli {

namespace {

struct NextArgs {
  std::string model;
  std::vector<std::string> pool;
  std::vector<std::string> labeled;
  std::size_t count = 20;
  int near_duplicate_bits = labeling::kNearDuplicateBits;
  double threshold_band = labeling::kThresholdBand * 100;
  int threads = 0;
  std::string out;
  bool overwrite = false;
  bool json = false;
};

struct NextInputs {
  std::vector<std::string> pool;          // readable names, in order
  std::vector<std::string> missing;       // inputs that named nothing, with why
  std::vector<std::string> labeled;       // images of the labeled datasets
};

NextInputs read_next_inputs(const NextArgs& args) {
  NextInputs inputs;
  Problems problems;
  for (auto& input : value_or_throw(dataset::expand_detect_inputs(args.pool, std::cin, problems))) {
    if (input.error) {
      inputs.missing.push_back(input.error->message);
    } else {
      inputs.pool.push_back(std::move(input.path));
    }
  }
  if (!problems.empty()) {
    spdlog::warn("{} records of the pool's datasets could not be used:", problems.size());
    print_problems(problems, 10);
  }
  InputSet read;
  read.add_all(args.pool);
  for (const auto& path : inputs.pool) read.add(path);
  read.add_folder_with(args.model, model::model_files());
  for (const auto& file : args.labeled) {
    Problems labeled_problems;
    const Dataset data = read_dataset_or_throw(file, "", labeled_problems);
    add_dataset_inputs(read, file, data);
    for (const auto& sample : data.samples) inputs.labeled.push_back(sample.image);
  }
  check_output(args.out, read, args.overwrite, "--out");
  return inputs;
}

nlohmann::json pick_json(const labeling::NextRun& run, const labeling::Pick& pick, std::size_t rank) {
  const auto& photo = run.pool[pick.index];
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& finding : photo.priority.findings) {
    const auto label = static_cast<std::size_t>(finding.label);
    findings.push_back({{"label", label < run.model.labels.size() ? run.model.labels[label] : ""},
                        {"confidence", finding.fused * 100},
                        {"original", finding.original * 100},
                        {"mirrored", finding.mirrored * 100},
                        {"threshold", (label < run.thresholds.size() ? run.thresholds[label] : 0.5) * 100},
                        {"near", finding.near},
                        {"disagreement", finding.disagreement}});
  }
  return {{"rank", rank},
          {"image", photo.path},
          {"priority", pick.score},
          {"reason", labeling::describe_pick(photo.priority, pick, run.model.labels, run.thresholds)},
          {"nearest_hash_bits", pick.nearest_bits},
          {"findings", findings}};
}

nlohmann::json run_json(const labeling::NextRun& run, const NextInputs& inputs, const std::string& model) {
  nlohmann::json picks = nlohmann::json::array();
  for (std::size_t rank = 0; rank < run.selection.picks.size(); ++rank) {
    picks.push_back(pick_json(run, run.selection.picks[rank], rank + 1));
  }
  nlohmann::json near = nlohmann::json::array();
  for (const auto& duplicate : run.selection.near_duplicates) {
    near.push_back({{"image", run.pool[duplicate.index].path},
                    {"like", duplicate.of_labeled ? run.labeled_compared.at(duplicate.like) : run.pool[duplicate.like].path},
                    {"like_is_labeled", duplicate.of_labeled},
                    {"hash_bits", duplicate.bits}});
  }
  nlohmann::json unreadable = nlohmann::json::array();
  for (const auto& message : inputs.missing) unreadable.push_back({{"error", message}});
  for (const auto& photo : run.pool) {
    if (photo.error) unreadable.push_back({{"image", photo.path}, {"error", photo.error->message}});
  }
  return {{"model", model},
          {"pool", run.pool.size()},
          {"already_labeled", run.already_labeled},
          {"labeled_compared", run.labeled_compared.size()},
          {"picks", picks},
          {"near_duplicates", near},
          {"unreadable", unreadable}};
}

void print_summary(const labeling::NextRun& run, std::size_t unreadable) {
  std::cout << fmt::format("{} of {} unlabeled photos to label next", run.selection.picks.size(), run.pool.size());
  std::vector<std::string> notes;
  if (!run.selection.near_duplicates.empty()) {
    notes.push_back(fmt::format("{} left out as near-duplicates of labeled photos or picks",
                                run.selection.near_duplicates.size()));
  }
  if (run.already_labeled > 0) notes.push_back(fmt::format("{} already labeled", run.already_labeled));
  if (unreadable > 0) notes.push_back(fmt::format("{} unreadable", unreadable));
  if (!notes.empty()) std::cout << fmt::format(" ({})", fmt::join(notes, ", "));
  std::cout << ", most useful first:\n";
  for (std::size_t rank = 0; rank < run.selection.picks.size(); ++rank) {
    const auto& pick = run.selection.picks[rank];
    const auto& photo = run.pool[pick.index];
    std::cout << fmt::format("{:>3}. {:5.2f}  {}\n       {}\n", rank + 1, pick.score, photo.path,
                             labeling::describe_pick(photo.priority, pick, run.model.labels, run.thresholds));
  }
}

void write_list(const std::string& out, const labeling::NextRun& run) {
  std::string text;
  for (const auto& pick : run.selection.picks) text += run.pool[pick.index].path + "\n";
  if (auto written = storage::write_file(out, text); !written) throw Failure(written.error());
}

int run_next(const NextArgs& args, const CommonOptions& common) {
  const NextInputs inputs = read_next_inputs(args);
  labeling::NextOptions options;
  options.count = args.count;
  options.threads = args.threads;
  options.near_duplicate_bits = args.near_duplicate_bits;
  options.threshold_band = args.threshold_band / 100;
  Progress bar("looking at the pool", static_cast<std::int64_t>(inputs.pool.size()),
               !common.quiet && inputs.pool.size() > 1);
  const auto run = value_or_throw(labeling::rank_pool(args.model, inputs.pool, inputs.labeled, options, [&] { bar.advance(); }));
  bar.finish();
  for (const auto& warning : run.warnings) spdlog::warn("{}", warning);
  std::size_t unreadable = inputs.missing.size();
  for (const auto& photo : run.pool) {
    if (!photo.error) continue;
    ++unreadable;
    spdlog::warn("{}", photo.error->message);
  }
  for (const auto& message : inputs.missing) spdlog::warn("{}", message);
  if (args.json) {
    std::cout << run_json(run, inputs, args.model).dump(2) << "\n";
  } else {
    print_summary(run, unreadable);
  }
  if (!args.out.empty()) {
    write_list(args.out, run);
    if (!args.json) std::cout << fmt::format("list: {} (one path per line)\n", args.out);
  }
  return unreadable > 0 ? kExitProblems : kExitOk;
}

}  // namespace

void register_dataset_next(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<NextArgs>();
  CLI::App* cmd = dataset_cmd.add_subcommand(
      "next",
      "Which unlabeled photos to label next, most useful first, and why. The model looks at each\n"
      "photo and its mirror image; a photo ranks high when a box sits near a label's assumed\n"
      "threshold (the model cannot tell) or the two views disagree. Photos that look like a labeled\n"
      "photo or an earlier pick (perceptual hash) are left out, so ten frames of one shot are not\n"
      "ten picks. Label the picks, add them to the training data, train again.\n"
      "Example: logoscope dataset next --model model --pool posts/ --labeled train.manifest --count 20 --out next.txt");
  cmd->add_option("--model", args->model, "Model folder (from `logoscope train`)")->required();
  cmd->add_option("--pool", args->pool,
                  "Unlabeled photos: files, folders, globs, .txt lists, datasets, s3:// URIs, - for stdin")
      ->required();
  cmd->add_option("--labeled", args->labeled,
                  "Datasets already labeled (any format; repeatable): their photos are not picked, and pool\n"
                  "photos that look like them are left out");
  cmd->add_option("--count", args->count, "Photos to pick")->check(at_least(1))->capture_default_str();
  cmd->add_option("--near-duplicate-bits", args->near_duplicate_bits,
                  "Perceptual hashes at most this many bits apart (of 64) are the same picture")
      ->check(between(0, 32))
      ->capture_default_str();
  cmd->add_option("--threshold-band", args->threshold_band,
                  "Confidence points either side of a label's assumed threshold within which a box counts as\n"
                  "doubtful (docs/label-less.md)")
      ->check(between(1, 100))
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads for the network (0 = the cores other work leaves free)")
      ->check(between(0, 1024));
  cmd->add_option("--out", args->out, "Write the picked paths here, one per line (a list other commands read)");
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->add_flag("--json", args->json, "Print JSON on stdout: each pick with its reason and findings");
  cmd->callback([args, &state, &common] { state.exit_code = run_next(*args, common); });
}

}  // namespace logoscope::cli
