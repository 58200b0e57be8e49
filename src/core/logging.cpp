#include "core/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace logoscope {

void init_logging(Verbosity verbosity) {
  auto logger = spdlog::get("logoscope");
  if (!logger) logger = spdlog::stderr_color_mt("logoscope");
  logger->set_pattern("%^[%l]%$ %v");
  switch (verbosity) {
    case Verbosity::kQuiet: logger->set_level(spdlog::level::warn); break;
    case Verbosity::kNormal: logger->set_level(spdlog::level::info); break;
    case Verbosity::kVerbose: logger->set_level(spdlog::level::debug); break;
  }
  spdlog::set_default_logger(logger);
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

}  // namespace logoscope
