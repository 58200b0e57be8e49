// `logoscope merge`: the parts an array job's `detect --shard` tasks wrote, put back together in
// the order one `detect` over the same inputs would have written them (docs/detect.md,
// "Sharding").
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/shard.hpp"
#include "core/text.hpp"
#include "dataset/image_inputs.hpp"
#include "eval/predictions.hpp"
#include "storage/storage.hpp"

namespace logoscope::cli {

namespace {

struct MergeArgs {
  std::string out;
  std::int64_t shards = 0;
  std::vector<std::string> inputs;
  bool overwrite = false;
};

constexpr std::string_view kCsvHeader = eval::kDetectionsCsvHeader;

// The image a result line is about: JSON Lines' "image", or a CSV row's first field.
std::optional<std::string> image_of(const std::string& line, bool csv) {
  if (!csv) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_object() || !json.contains("image") || !json["image"].is_string()) return std::nullopt;
    return json["image"].get<std::string>();
  }
  if (line.empty() || line[0] != '"') return line.substr(0, line.find(','));
  std::string field;
  for (std::size_t i = 1; i < line.size(); ++i) {
    if (line[i] != '"') {
      field += line[i];
    } else if (i + 1 < line.size() && line[i + 1] == '"') {
      field += '"';
      ++i;
    } else {
      return field;
    }
  }
  return std::nullopt;
}

int run_merge(const MergeArgs& args, const CommonOptions& /*common*/) {
  const bool csv = std::filesystem::path(args.out).extension() == ".csv";
  check_output(args.out, InputSet(args.inputs), args.overwrite, "--out");
  // Every part must be there: a missing one is a task that has not finished (or failed).
  std::vector<std::string> parts;
  std::vector<std::string> missing;
  for (std::int64_t index = 0; index < args.shards; ++index) {
    const std::string part = shard_part_path(args.out, Shard{index, args.shards, ""});
    auto there = storage::stat_file(part);
    if (!there) throw Failure(there.error());
    (there->has_value() ? parts : missing).push_back(part);
  }
  if (!missing.empty()) {
    throw Failure(Error{ErrorCode::kNotFound,
                        fmt::format("{} of {} parts are missing (their tasks have not finished, or failed): {}",
                                    missing.size(), args.shards, fmt::join(missing, ", "))});
  }
  // Each image's blocks of lines, in the order its part holds them.
  std::map<std::string, std::deque<std::vector<std::string>>> blocks;
  std::size_t lines_read = 0;
  for (const auto& part : parts) {
    const auto text = value_or_throw(storage::read_text(part));
    std::istringstream in(text);
    std::string line;
    std::string previous;
    bool first = true;
    int line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      if (csv && first && line == kCsvHeader) {
        first = false;
        continue;
      }
      first = false;
      if (line.empty()) continue;
      const auto image = image_of(line, csv);
      if (!image) {
        throw Failure(Error{ErrorCode::kParse, fmt::format("{}:{}: not a result line of `logoscope detect`", part,
                                                           line_number)});
      }
      auto& queue = blocks[*image];
      // CSV: one row per detection, consecutive for one image.
      if (csv && previous == *image && !queue.empty()) {
        queue.back().push_back(line);
      } else {
        queue.push_back({line});
      }
      previous = *image;
      ++lines_read;
    }
  }
  // The order one process would have written: the inputs expanded as detect expands them.
  Problems problems;
  const auto inputs = value_or_throw(dataset::expand_detect_inputs(args.inputs, std::cin, problems));
  std::ostringstream merged;
  if (csv) merged << kCsvHeader << "\n";
  std::size_t absent = 0;
  std::size_t lines_written = 0;
  for (const auto& input : inputs) {
    auto found = blocks.find(input.path);
    if (found == blocks.end() || found->second.empty()) {
      ++absent;
      continue;
    }
    for (const auto& line : found->second.front()) {
      merged << line << "\n";
      ++lines_written;
    }
    found->second.pop_front();
  }
  if (absent > 0 || lines_written != lines_read) {
    throw Failure(Error{ErrorCode::kInvalidValue,
                        fmt::format("the parts do not match these inputs ({} inputs without a result, {} result lines "
                                    "for no input): give merge the inputs detect was given, in the same order",
                                    absent, lines_read - lines_written)});
  }
  if (auto written = storage::write_file(args.out, merged.str()); !written) throw Failure(written.error());
  std::cout << fmt::format("merged {} parts: {} for {} into {}\n", parts.size(),
                           count_of(lines_written, "line"), count_of(inputs.size(), "input"), args.out);
  return kExitOk;
}

}  // namespace

void register_merge(CLI::App& app, RunState& state, const CommonOptions& common) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "merge",
      "Put the parts of a sharded detect back together: OUT.shard-K-of-N.EXT for every K, in the order\n"
      "one `logoscope detect` over the same INPUTS writes (give the inputs detect was given). Refused\n"
      "while a part is missing; the result is written whole (docs/detect.md, \"Sharding\").\n"
      "Example: logoscope merge --out s3://results/june.jsonl --shards 16 s3://posts/2024-06/");
  cmd->add_option("--out", args->out, "The --out the detect tasks were given (their parts are found beside it)")
      ->required();
  cmd->add_option("--shards", args->shards, "N, the number of shards")->required()->check(between(1, 1000000));
  cmd->add_option("inputs", args->inputs, "The inputs detect was given, in the same order")->required();
  add_overwrite_flag(*cmd, args->overwrite);
  cmd->callback([args, &state, &common] { state.exit_code = run_merge(*args, common); });
}

}  // namespace logoscope::cli
