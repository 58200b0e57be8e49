#include "eval/label_names.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace logoscope::eval {

namespace {

// Letters and digits only, lower case: "Acme Corp." -> "acmecorp".
std::string folded(const std::string& name) {
  std::string out;
  for (const unsigned char c : name) {
    if (std::isalnum(c) != 0) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

bool probably_same(const std::string& a, const std::string& b) {
  const std::string fa = folded(a);
  const std::string fb = folded(b);
  if (fa.empty() || fb.empty()) return false;
  return fa == fb || fa.find(fb) != std::string::npos || fb.find(fa) != std::string::npos;
}

}  // namespace

LabelNameCheck check_label_names(const std::vector<std::string>& predicted, const std::vector<std::string>& truth) {
  std::set<std::string> predicted_set;
  std::set<std::string> truth_set;
  for (const auto& name : predicted) {
    if (!name.empty()) predicted_set.insert(name);
  }
  for (const auto& name : truth) {
    if (!name.empty()) truth_set.insert(name);
  }
  LabelNameCheck check;
  for (const auto& name : predicted_set) {
    if (truth_set.count(name) > 0) {
      check.any_match = true;
    } else {
      check.predicted_only.push_back(name);
    }
  }
  for (const auto& name : truth_set) {
    if (predicted_set.count(name) == 0) check.truth_only.push_back(name);
  }
  for (const auto& p : check.predicted_only) {
    for (const auto& t : check.truth_only) {
      if (probably_same(p, t)) check.likely_same.emplace_back(p, t);
    }
  }
  return check;
}

}  // namespace logoscope::eval
