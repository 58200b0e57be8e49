// core/logging.hpp — one logger for the whole program (spdlog), writing to stderr so that
// stdout stays clean for machine-readable output.
#pragma once

namespace logoscope {

enum class Verbosity { kQuiet, kNormal, kVerbose };

/// Configures the default spdlog logger: stderr, "[level] message", level from verbosity.
/// Call once from main before other threads start.
void init_logging(Verbosity verbosity);

/// True when stderr is a terminal (progress bars are drawn only then).
bool stderr_is_terminal();

}  // namespace logoscope
