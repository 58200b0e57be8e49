#include "logoscope/problems.hpp"

namespace logoscope {

const char* severity_name(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

std::string format_problem(const Problem& problem) {
  std::string text;
  if (!problem.where.file.empty()) {
    text += problem.where.file;
    if (problem.where.line > 0) text += ":" + std::to_string(problem.where.line);
    text += ": ";
  }
  text += severity_name(problem.severity);
  text += " [" + problem.kind + "] ";
  if (!problem.image.empty()) text += problem.image + ": ";
  if (!problem.field.empty()) text += problem.field + ": ";
  text += problem.message;
  return text;
}

}  // namespace logoscope
