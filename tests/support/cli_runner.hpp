// tests/support/cli_runner.hpp — run `logoscope ARGS… --quiet` in-process and capture its output.
#pragma once

#include <string>
#include <vector>

namespace logoscope::testing {

struct CliRun {
  int exit_code = 0;
  std::string out;
  std::string err;
};

/// Runs the CLI with `args` (plus --quiet), capturing stdout and stderr.
CliRun run_logoscope(std::vector<std::string> args);

/// The whole file ("" when it cannot be read).
std::string read_text(const std::string& path);

}  // namespace logoscope::testing
