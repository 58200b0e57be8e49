// `logoscope train` options beyond the basic run (which test_cli.cpp covers): starting from a base
// model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

namespace logoscope::cli {
namespace {

using ::testing::HasSubstr;
using testing::read_text;
using testing::run_logoscope;

TEST(TrainCli, StartsFromABaseModelAndRecordsIt) {
  testing::TempDir dir;
  const auto demo = run_logoscope({"demo", "--out", dir.path(), "--images", "8", "--no-train"});
  ASSERT_EQ(demo.exit_code, 0) << demo.err;
  const std::string manifest = dir.file("dataset.manifest");
  const std::vector<std::string> quick = {"--epochs", "1", "--batch-size", "4", "--input-size", "128", "--infer-size", "160"};
  auto args = std::vector<std::string>{"train", "--train", manifest, "--out", dir.file("base")};
  args.insert(args.end(), quick.begin(), quick.end());
  ASSERT_EQ(run_logoscope(args).exit_code, 0);

  args = {"train", "--train", manifest, "--out", dir.file("tuned"), "--base", dir.file("base")};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto tuned = run_logoscope(args);
  ASSERT_EQ(tuned.exit_code, 0) << tuned.err;
  const auto model = nlohmann::json::parse(read_text(dir.file("tuned/model.json")));
  EXPECT_EQ(model["training"]["base_model"], dir.file("base"));

  // A folder that is not a model is a clear usage error.
  args = {"train", "--train", manifest, "--out", dir.file("bad"), "--base", dir.path()};
  args.insert(args.end(), quick.begin(), quick.end());
  const auto bad = run_logoscope(args);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("model.json"));
}

}  // namespace
}  // namespace logoscope::cli
