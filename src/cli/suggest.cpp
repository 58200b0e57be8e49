#include "cli/suggest.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace logoscope::cli {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment (Damerau–Levenshtein without repeated edits of a substring).
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  const std::size_t allowed = word.size() <= 4 ? 1 : 2;
  for (const auto& candidate : candidates) {
    if (candidate == word) return "";
    std::size_t distance = edit_distance(word, candidate);
    const std::string bare = word.substr(word.find_first_not_of('-') == std::string::npos ? 0 : word.find_first_not_of('-'));
    if (distance > allowed && bare.size() >= 4 && candidate.find(bare) != std::string::npos) distance = allowed;
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

namespace {

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  return names;
}

const CLI::App* find_subcommand(const CLI::App& app, const std::string& name) {
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

// Long option names ("--model") of `app` and of its parents (options fall through).
std::vector<std::string> long_options(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) {
    for (const auto* option : app->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
    }
  }
  return names;
}

std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent()) {
    path = app->get_name() + (path.empty() ? "" : " " + path);
  }
  return path;
}

}  // namespace

std::string suggest_for(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  bool subcommand_expected = true;
  for (const auto& arg : args) {
    if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
      const std::string name = arg.substr(0, arg.find('='));
      const auto known = long_options(current);
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        // Options renamed so that one name means one thing in every command (docs/cli.md).
        static const std::vector<std::pair<std::string, std::string>> kRenamed = {
            {"--format", "--from (the format of a dataset read) or --to (the format written)"},
            {"--fix-format", "--to"},
            {"--size", "--infer-size"},
            {"--batch", "--batch-size"}};
        for (const auto& [old_name, new_name] : kRenamed) {
          if (name == old_name) return fmt::format("option {} was renamed: use {}", old_name, new_name);
        }
        const std::string where = command_path(current);
        const std::string guess = closest(name, known);
        return fmt::format("unknown option {}{}{}", name, where.empty() ? "" : fmt::format(" for `{}`", where),
                           guess.empty() ? fmt::format(" (`logoscope {}--help` lists them)", where.empty() ? "" : where + " ")
                                         : fmt::format(": did you mean {}?", guess));
      }
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;
    if (const CLI::App* sub = find_subcommand(*current, arg)) {
      current = sub;
      subcommand_expected = !current->get_subcommands([](const CLI::App*) { return true; }).empty();
      continue;
    }
    if (subcommand_expected) {
      const auto names = subcommand_names(*current);
      if (names.empty()) continue;
      const std::string guess = closest(arg, names);
      const std::string where = command_path(current);
      return fmt::format("unknown command `{}{}`{}", where.empty() ? "" : where + " ", arg,
                         guess.empty() ? fmt::format(" (one of: {})", fmt::join(names, ", "))
                                       : fmt::format(": did you mean `{}{}`?", where.empty() ? "" : where + " ", guess));
    }
  }
  return "";
}

}  // namespace logoscope::cli
