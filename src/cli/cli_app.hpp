// cli/cli_app.hpp — the `logoscope` command line: one binary, subcommands in a dispatch table.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace logoscope::cli {

/// Exit codes shared by every subcommand (docs/cli.md).
enum ExitCode : int {
  kExitOk = 0,            ///< success
  kExitProblems = 1,      ///< the input had problems (some files bad, validation failed)
  kExitUsage = 2,         ///< usage error or unusable input
  kExitInternal = 3,      ///< internal error (a bug: please report it)
};

/// Parses arguments and runs the chosen subcommand. Never throws.
int run_cli(int argc, char** argv);

/// Every subcommand ("dataset validate") with its long option names (docs/cli.md lists them all;
/// a test checks that it does).
std::vector<std::pair<std::string, std::vector<std::string>>> command_options();

}  // namespace logoscope::cli
