// eval/label_names.hpp — do the detector's label names and the ground truth's name the same things?
//
// Scores are matched by label name: a model that says "acme" scored against boxes named
// "Acme Corp" gets F1 0 without having been wrong. This compares the two sets before scoring.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace logoscope::eval {

struct LabelNameCheck {
  std::vector<std::string> predicted_only;  ///< names the detector uses that no ground-truth box has
  std::vector<std::string> truth_only;      ///< ground-truth names the detector never uses
  /// (predicted, truth) pairs that are probably one label spelt two ways: equal ignoring case,
  /// spaces and punctuation, or one containing the other that way.
  std::vector<std::pair<std::string, std::string>> likely_same;
  bool any_match = false;  ///< at least one name is on both sides
};

/// Compares the names exactly, as scoring does. Empty names are ignored.
LabelNameCheck check_label_names(const std::vector<std::string>& predicted, const std::vector<std::string>& truth);

}  // namespace logoscope::eval
