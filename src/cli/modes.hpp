// cli/modes.hpp — each subcommand registers itself on the parent app. One file per mode.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/input_set.hpp"
#include "dataset/formats.hpp"
#include "logoscope/problems.hpp"

namespace logoscope::cli {

/// What a mode's callback reports back to run_cli.
struct RunState {
  int exit_code = 0;
};

/// Options common to every mode.
struct CommonOptions {
  bool quiet = false;
  bool verbose = false;
  std::string endpoint_url;  ///< S3-compatible server for s3:// paths (else AWS_ENDPOINT_URL…)
};

void register_demo(CLI::App& app, RunState& state, const CommonOptions& common);
void register_dataset(CLI::App& app, RunState& state, const CommonOptions& common);
void register_train(CLI::App& app, RunState& state, const CommonOptions& common);
void register_pretrain(CLI::App& app, RunState& state, const CommonOptions& common);
void register_detect(CLI::App& app, RunState& state, const CommonOptions& common);
void register_merge(CLI::App& app, RunState& state, const CommonOptions& common);
void register_evaluate(CLI::App& app, RunState& state, const CommonOptions& common);
void register_serve(CLI::App& app, RunState& state, const CommonOptions& common);
void register_video(CLI::App& app, RunState& state, const CommonOptions& common);
void register_exposure(CLI::App& app, RunState& state, const CommonOptions& common);
void register_frames(CLI::App& app, RunState& state, const CommonOptions& common);
void register_ui(CLI::App& app, RunState& state, const CommonOptions& common);
void register_dataset_validate(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common);
void register_dataset_convert(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common);
void register_dataset_split(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common);
void register_dataset_stats(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common);
void register_dataset_merge(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common);
void register_dataset_next(CLI::App& dataset_cmd, RunState& state, const CommonOptions& common);

// Shared helpers for modes ---------------------------------------------------------------

/// Adds `--format` with the accepted names to `command`, storing into `target`.
CLI::Option* add_format_option(CLI::App& command, const std::string& name, std::string& target,
                               const std::string& help);

/// Parses a format name given on the command line; empty = detect from path.
std::optional<dataset::DatasetFormat> format_or_detect(const std::string& name);

/// Reads a dataset or throws Failure (exit 2) naming the file.
Dataset read_dataset_or_throw(const std::string& path, const std::string& format_name, Problems& problems);

/// The format to write `out` in: `name` when given, else detected from `out`'s extension, else
/// the format of `input`. Throws Failure when none applies.
dataset::DatasetFormat output_format(const std::string& out, const std::string& name, const std::string& input);

/// Throws Failure (exit 2) before any work when writing `out` would replace something: `out`
/// names one of `inputs` or a folder that holds one (refused even with `overwrite`: user files are
/// never modified; core/input_set.hpp), or it is an existing file, or an existing folder that is
/// not empty (refused unless `overwrite`, the command's --overwrite flag). `option` names where
/// `out` came from in the message.
void check_output(const std::string& out, const InputSet& inputs, bool overwrite, const std::string& option);

/// `--resume` where no checkpoint was written yet: true, after saying so, when OUT does not exist
/// or holds only what a training (or pretraining) stopped before its first checkpoint leaves
/// (training.csv, scenes/, temporary files, the weights of a checkpoint cut before its
/// last_state.json); the caller then trains from the start into it, so
/// that the same command with --resume always continues a killed run. False when OUT holds a
/// checkpoint (resume it) or anything else (the trainer's "nothing to resume" stands).
bool resume_starts_over(const std::string& out);

/// Adds `dataset_file` and every image `data` names to `inputs`.
void add_dataset_inputs(InputSet& inputs, const std::string& dataset_file, const Dataset& data);

/// Confidences are typed on Rekognition's 0–100 scale: a value in (0, 1) was most likely meant as
/// a fraction, so this warns, naming the value it probably meant (0.706 → 70.6).
void warn_if_fraction(const std::string& option, double value);

/// Range checks for numeric options whose help and messages read as a person would write them
/// ("0 to 64", "0 or more"; never the type's limits): `--steps -5` answers
/// "--steps: -5 is not allowed: give 0 or more". Bounds are inclusive, except more_than.
CLI::Validator between(double min, double max);
CLI::Validator at_least(double min);
CLI::Validator more_than(double min);

/// Adds --overwrite to `command`.
CLI::Option* add_overwrite_flag(CLI::App& command, bool& target);
/// The --int8 flag of detect, serve and video (one help text).
CLI::Option* add_int8_flag(CLI::App& command, bool& target);

/// --flip-average / --no-flip-average of detect, serve and video: the model's setting unless one
/// is given (ModelOptions::flip_average).
struct FlipAverageFlags {
  bool on = false;
  bool off = false;
  [[nodiscard]] std::optional<bool> value() const {
    if (on) return true;
    if (off) return false;
    return std::nullopt;
  }
};
void add_flip_average_flags(CLI::App& command, FlipAverageFlags& target);

/// The model folder a training starts from: `explicit_base` when given, none with `scratch`,
/// else the built-in base model (model/base_model.hpp) when there is one and it is of
/// `architecture` (empty: any); logged either way.
std::string base_model_to_start_from(const std::string& explicit_base, bool scratch,
                                     const std::string& architecture = "");

/// While alive, Ctrl-C (SIGINT) raises this flag instead of ending the program, so that long work
/// can stop with valid outputs; a second Ctrl-C ends the program. The previous handler comes back
/// when it goes. One at a time.
class InterruptFlag {
 public:
  InterruptFlag();
  ~InterruptFlag();
  InterruptFlag(const InterruptFlag&) = delete;
  InterruptFlag& operator=(const InterruptFlag&) = delete;
  [[nodiscard]] const std::atomic<bool>* flag() const;
  [[nodiscard]] bool raised() const { return flag()->load(); }

 private:
  void (*previous_)(int);
};

/// Prints problems as "file:line: error [kind] …" lines on stderr (at most `limit`).
void print_problems(const Problems& problems, std::size_t limit);

}  // namespace logoscope::cli
