// tests/support/cli_runner.hpp — run `logoscope ARGS… --quiet` in-process and capture its output.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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

/// One JSON value per non-empty line (detect's JSON Lines output); throws on a malformed line.
std::vector<nlohmann::json> json_lines(const std::string& text);

}  // namespace logoscope::testing
