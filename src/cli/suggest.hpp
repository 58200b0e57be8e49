// cli/suggest.hpp — "did you mean …?" for mistyped subcommands and options.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace logoscope::cli {

/// Edit distance (insertions, deletions, substitutions, adjacent swaps) between two words.
std::size_t edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word` when it is plausibly what was meant (at most 2 edits, or 1
/// for short words, or `word` is a part of it, e.g. budget → time-budget); empty otherwise.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

/// For a command line that failed to parse: a sentence naming the mistyped subcommand or option
/// and what was probably meant, e.g. "unknown option --modle for `detect`: did you mean --model?";
/// empty when nothing looks mistyped.
std::string suggest_for(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace logoscope::cli
