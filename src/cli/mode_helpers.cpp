#include <cmath>
#include <csignal>
#include <exception>
#include <functional>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/modes.hpp"
#include "core/paths.hpp"
#include "model/base_model.hpp"
#include "model/model_info.hpp"
#include "storage/output_folder.hpp"
#include "storage/storage.hpp"

namespace logoscope::cli {

CLI::Option* add_format_option(CLI::App& command, const std::string& name, std::string& target,
                               const std::string& help) {
  return command.add_option(name, target, help + " (manifest|coco|yolo|voc; default: from the path)")
      ->check(CLI::IsMember({"manifest", "gt", "coco", "yolo", "voc"}, CLI::ignore_case));
}

std::optional<dataset::DatasetFormat> format_or_detect(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return value_or_throw(dataset::parse_dataset_format(name));
}

Dataset read_dataset_or_throw(const std::string& path, const std::string& format_name, Problems& problems) {
  return value_or_throw(dataset::read_dataset(path, format_or_detect(format_name), problems));
}

dataset::DatasetFormat output_format(const std::string& out, const std::string& name, const std::string& input) {
  if (!name.empty()) return value_or_throw(dataset::parse_dataset_format(name));
  const bool has_extension = std::filesystem::path(out).has_extension();
  if (has_extension) {
    auto detected = dataset::format_from_extension(out);
    if (detected) return *detected;
  }
  auto from_input = dataset::detect_dataset_format(input);
  if (!has_extension && from_input) return *from_input;
  throw Failure(Error{ErrorCode::kInvalidArgument,
                      fmt::format("cannot tell which format to write {} in: give --to manifest|coco|yolo|voc", out)});
}

void check_output(const std::string& out, const InputSet& inputs, bool overwrite, const std::string& option) {
  if (out.empty() || out == "-") return;
  if (auto apart = inputs.check_output(out, option); !apart) throw Failure(apart.error());
  if (storage::is_remote(out)) {
    if (auto usable = storage::check_output_destination(out, overwrite, option); !usable) throw Failure(usable.error());
    return;
  }
  if (overwrite) return;
  std::error_code ec;
  const auto status = std::filesystem::status(out, ec);
  if (!std::filesystem::exists(status)) return;
  if (std::filesystem::is_directory(status)) {
    if (std::filesystem::directory_iterator(out, ec) == std::filesystem::directory_iterator()) return;
    throw Failure(Error{ErrorCode::kInvalidArgument,
                        fmt::format("{} {}: the folder exists and is not empty; choose a new folder, or add "
                                    "--overwrite to write into it (files of the same name are replaced)",
                                    option, out)});
  }
  throw Failure(Error{ErrorCode::kInvalidArgument,
                      fmt::format("{} {}: the file exists; choose another name, or add --overwrite to replace it",
                                  option, out)});
}

bool resume_starts_over(const std::string& out) {
  if (out.empty() || storage::is_remote(out)) return false;
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path(out) / "last_state.json", ec)) return false;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) return false;
    for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      // A kill during the first checkpoint can leave its weights without last_state.json, which is
      // written last: without it they cannot be resumed.
      const bool checkpoint_part = (name.starts_with("last_") && name.ends_with(".pt")) || name == "best.pt";
      const bool leftover = name == "training.csv" || (name == "scenes" && it->is_directory(ec)) || checkpoint_part ||
                            name.find(".logoscope-tmp-") != std::string::npos || name.ends_with(".partial");
      if (!leftover) return false;
    }
    if (ec) return false;
  }
  spdlog::warn("--resume: {} holds no checkpoint yet (the run stopped before its first one); training from the start",
               out);
  return true;
}

void add_dataset_inputs(InputSet& inputs, const std::string& dataset_file, const Dataset& data) {
  inputs.add(dataset_file);
  for (const auto& sample : data.samples) inputs.add(sample.image);
}

void warn_if_fraction(const std::string& option, double value) {
  if (value > 0 && value < 1) {
    spdlog::warn("{} is a confidence from 0 to 100 (as Rekognition's MinConfidence and the model's thresholds); {} keeps "
                 "almost every box. Did you mean {} {:g}?",
                 option, value, option, value * 100);
  }
}

namespace {

// 100000000 as "100000000", 0.5 as "0.5": no exponents for the numbers people type.
std::string human_number(double value) {
  if (std::abs(value) < 1e15 && value == std::floor(value)) return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{:g}", value);
}

CLI::Validator number_check(std::function<bool(double)> allowed, const std::string& wanted) {
  return CLI::Validator(
      [allowed = std::move(allowed), wanted](std::string& text) -> std::string {
        double value = 0;
        std::size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size() || !std::isfinite(value)) {
          return fmt::format("'{}' is not a number: give {}", text, wanted);
        }
        if (!allowed(value)) return fmt::format("{} is not allowed: give {}", text, wanted);
        return "";
      },
      wanted, "");
}

}  // namespace

CLI::Validator between(double min, double max) {
  return number_check([min, max](double value) { return value >= min && value <= max; },
                      fmt::format("{} to {}", human_number(min), human_number(max)));
}

CLI::Validator at_least(double min) {
  return number_check([min](double value) { return value >= min; }, fmt::format("{} or more", human_number(min)));
}

CLI::Validator more_than(double min) {
  return number_check([min](double value) { return value > min; }, fmt::format("more than {}", human_number(min)));
}

CLI::Option* add_overwrite_flag(CLI::App& command, bool& target) {
  return command.add_flag("--overwrite", target,
                          "Replace an existing output file, or write into a non-empty output folder (never an input)");
}

CLI::Option* add_int8_flag(CLI::App& command, bool& target) {
  return command.add_flag(
      "--int8", target,
      "8-bit convolutions from the model's calibration (NanoDet-g models trained by this logoscope):\n"
      "faster per photo where measured, confidences move (BENCHMARKS.md, \"int8\"); refused for models without one");
}

void add_flip_average_flags(CLI::App& command, FlipAverageFlags& target) {
  auto* on = command.add_flag("--flip-average", target.on,
                              "Also run the mirror image and average the two views' confidences (the default of models\n"
                              "trained since 2026-12-07: model.json input.flip_average): a logo both views find keeps its\n"
                              "confidence, one only a single view finds half of it (tiles of large images run once)");
  command
      .add_flag("--no-flip-average", target.off,
                "The image alone, without its mirror image: 0.5-0.65x the time per photo, lower accuracy\n"
                "where measured (BENCHMARKS.md, \"Flip averaging\")")
      ->excludes(on);
}

void print_problems(const Problems& problems, std::size_t limit) {
  for (std::size_t i = 0; i < problems.size() && i < limit; ++i) {
    std::cerr << format_problem(problems[i]) << "\n";
  }
  if (problems.size() > limit) {
    std::cerr << fmt::format("… and {} more problems (`logoscope dataset validate` lists all)\n",
                             problems.size() - limit);
  }
}

std::string base_model_to_start_from(const std::string& explicit_base, bool scratch, const std::string& architecture) {
  if (scratch || !explicit_base.empty()) return explicit_base;
  if (auto builtin = model::find_builtin_base_model(architecture)) {
    spdlog::info("starting from the built-in base model {} (--scratch to start without it)", *builtin);
    return *builtin;
  }
  spdlog::warn("no built-in base model{} found (looked in {}): starting without one",
               architecture.empty() ? "" : " for " + architecture, model::builtin_base_model_search_paths());
  return "";
}

namespace {

std::atomic<bool> g_interrupted{false};

// The first Ctrl-C raises the flag; a second one ends the program as Ctrl-C always does.
extern "C" void raise_interrupted(int signal) {
  if (g_interrupted.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

}  // namespace

InterruptFlag::InterruptFlag() : previous_(std::signal(SIGINT, raise_interrupted)) {
  g_interrupted = false;
}

InterruptFlag::~InterruptFlag() {
  std::signal(SIGINT, previous_);
}

const std::atomic<bool>* InterruptFlag::flag() const {
  return &g_interrupted;
}

}  // namespace logoscope::cli
