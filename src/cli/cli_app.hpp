// cli/cli_app.hpp — the `logoscope` command line: one binary, subcommands in a dispatch table.
#pragma once

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

}  // namespace logoscope::cli
