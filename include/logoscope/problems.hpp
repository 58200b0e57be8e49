// logoscope/problems.hpp — findings about user data that do not stop the operation.
//
// Readers and the validator append Problems instead of throwing per record: a bad manifest line
// or a degenerate box is reported with its file, line and field, and the rest of the data goes on.
//
// Thread safety: plain values.
#pragma once

#include <string>
#include <vector>

#include "logoscope/dataset.hpp"

namespace logoscope {

enum class Severity {
  kWarning,  ///< the data is usable as read (e.g. a box was clipped to the image)
  kError,    ///< a record or box is unusable as given (e.g. degenerate box, undecodable image)
};

/// One finding. `kind` is a stable snake_case identifier (see docs/dataset-validation.md).
struct Problem {
  Severity severity = Severity::kError;
  std::string kind;        ///< e.g. "degenerate_box", "unknown_class_id", "bad_json"
  SourceLocation where;    ///< dataset file and 1-based line (0 when not line-based)
  std::string field;       ///< the field concerned, e.g. "annotations[2].width"; may be empty
  std::string image;       ///< the image concerned; may be empty
  std::string message;     ///< a sentence naming the value, e.g. "box has zero width (0)"
};

using Problems = std::vector<Problem>;

const char* severity_name(Severity severity);

/// "file:line: field: message" — the one-line human form.
std::string format_problem(const Problem& problem);

}  // namespace logoscope
