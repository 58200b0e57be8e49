// One vocabulary: every option of every command is in docs/cli.md's table, listed for that command,
// and every --help ends with the exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "cli/cli_app.hpp"
#include "support/cli_runner.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// option → the commands its row lists.
std::map<std::string, std::set<std::string>> documented_options() {
  const std::string text =
      testing::read_text((std::filesystem::path(LOGOSCOPE_SOURCE_DIR) / "docs" / "cli.md").string());
  std::map<std::string, std::set<std::string>> table;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("| `--", 0) != 0) continue;
    const auto name_end = line.find('`', 3);
    const std::string option = line.substr(3, name_end - 3);
    const std::string commands = line.substr(line.rfind('|', line.size() - 2) + 1);
    std::istringstream parts(commands.substr(0, commands.rfind('|')));
    std::string command;
    while (std::getline(parts, command, ',')) {
      command.erase(0, command.find_first_not_of(' '));
      command.erase(command.find_last_not_of(' ') + 1);
      table[option].insert(command);
    }
  }
  return table;
}

TEST(CliVocabulary, EveryOptionOfEveryCommandIsDocumentedForIt) {
  const auto table = documented_options();
  ASSERT_GT(table.size(), 40U);
  int checked = 0;
  for (const auto& [command, options] : command_options()) {
    if (command == "dataset") continue;  // a group: its subcommands carry the options
    for (const auto& option : options) {
      const auto row = table.find(option);
      ASSERT_NE(row, table.end()) << command << " " << option << " is not in docs/cli.md";
      EXPECT_TRUE(row->second.count(command) == 1) << "docs/cli.md does not list `" << command << "` for " << option;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(CliVocabulary, EveryHelpShowsTheExitCodes) {
  for (const auto& [command, options] : command_options()) {
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string word; words >> word;) args.push_back(word);
    args.push_back("--help");
    const auto run = testing::run_logoscope(args);
    EXPECT_EQ(run.exit_code, 0) << command;
    EXPECT_THAT(run.out, HasSubstr("Exit codes: 0 success")) << command;
  }
}

TEST(CliVocabulary, NoHelpTextUsesARenamedOption) {
  // The spellings retired for one vocabulary (docs/cli.md) must not survive in descriptions or
  // examples, where a newcomer would copy them.
  const std::vector<std::string> renamed = {"--format ", "--fix-format", "--size ", "--size)", "--size;",
                                            "--batch ", "--batch)"};
  for (const auto& [command, options] : command_options()) {
    std::vector<std::string> args;
    std::istringstream words(command);
    for (std::string word; words >> word;) args.push_back(word);
    args.push_back("--help");
    const auto run = testing::run_logoscope(args);
    for (const auto& old_name : renamed) EXPECT_THAT(run.out, Not(HasSubstr(old_name))) << command;
  }
}

}  // namespace
}  // namespace logoscope::cli
