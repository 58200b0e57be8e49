// The shard contract (core/shard.hpp): every engine's variables, bad values refused with their
// name, and shards that are disjoint and together complete over random key sets.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "core/shard.hpp"

namespace logoscope {
namespace {

using ::testing::HasSubstr;

EnvironmentLookup environment(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Shard, ExplicitKOfN) {
  const auto none = environment({});
  const auto shard = parse_shard("2/5", none);
  ASSERT_TRUE(shard) << shard.error().message;
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 5);
  for (const std::string bad : {"5/5", "3/0", "-1/4", "x/4", "1/4/2", "1", "", "1/", "/4", "1.5/4", "auto/4"}) {
    const auto refused = parse_shard(bad, none);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << bad;
    EXPECT_THAT(refused.error().message, HasSubstr("--shard")) << bad;
  }
  EXPECT_THAT(parse_shard("4/4", none).error().message, HasSubstr("outside 0…3"));
}

TEST(Shard, AutoReadsEachEngine) {
  // Slurm: an array 1-8 (MIN 1) and an array 0-15:4 (STEP 4, four tasks).
  auto slurm = parse_shard("auto", environment({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"},
                                                {"SLURM_ARRAY_TASK_COUNT", "8"}}));
  ASSERT_TRUE(slurm) << slurm.error().message;
  EXPECT_EQ(slurm->index, 2);
  EXPECT_EQ(slurm->count, 8);
  EXPECT_THAT(slurm->source, HasSubstr("Slurm"));
  auto stepped = parse_shard("auto", environment({{"SLURM_ARRAY_TASK_ID", "12"}, {"SLURM_ARRAY_TASK_MIN", "0"},
                                                  {"SLURM_ARRAY_TASK_STEP", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  ASSERT_TRUE(stepped) << stepped.error().message;
  EXPECT_EQ(stepped->index, 3);
  // Kubernetes Indexed Job: the index from the Job, the count from the pod's environment.
  auto k8s = parse_shard("auto", environment({{"JOB_COMPLETION_INDEX", "0"}, {"LOGOSCOPE_SHARD_COUNT", "10"}}));
  ASSERT_TRUE(k8s) << k8s.error().message;
  EXPECT_EQ(k8s->index, 0);
  EXPECT_EQ(k8s->count, 10);
  auto k8s_without_count = parse_shard("auto", environment({{"JOB_COMPLETION_INDEX", "0"}}));
  ASSERT_FALSE(k8s_without_count);
  EXPECT_THAT(k8s_without_count.error().message, HasSubstr("LOGOSCOPE_SHARD_COUNT"));
  // AWS Batch.
  auto batch = parse_shard("auto", environment({{"AWS_BATCH_JOB_ARRAY_INDEX", "6"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "7"}}));
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(batch->index, 6);
  EXPECT_EQ(batch->count, 7);
  // Refusals name the variable and its value.
  auto not_number = parse_shard("auto", environment({{"SLURM_ARRAY_TASK_ID", "seven"}, {"SLURM_ARRAY_TASK_COUNT", "8"}}));
  ASSERT_FALSE(not_number);
  EXPECT_THAT(not_number.error().message, HasSubstr("SLURM_ARRAY_TASK_ID=seven"));
  auto too_big = parse_shard("auto", environment({{"AWS_BATCH_JOB_ARRAY_INDEX", "7"}, {"AWS_BATCH_JOB_ARRAY_SIZE", "7"}}));
  ASSERT_FALSE(too_big);
  EXPECT_THAT(too_big.error().message, HasSubstr("outside 0…6"));
  auto zero = parse_shard("auto", environment({{"JOB_COMPLETION_INDEX", "0"}, {"LOGOSCOPE_SHARD_COUNT", "0"}}));
  ASSERT_FALSE(zero);
  EXPECT_THAT(zero.error().message, HasSubstr("1 or more"));
  auto outside = parse_shard("auto", environment({}));
  ASSERT_FALSE(outside);
  EXPECT_THAT(outside.error().message, HasSubstr("not an array job"));
}

TEST(Shard, DisjointAndCompleteOverRandomKeys) {
  std::mt19937_64 rng(7);
  for (const std::int64_t count : {1, 2, 3, 4, 16, 97}) {
    std::vector<std::string> keys;
    for (int i = 0; i < 20000; ++i) keys.push_back(fmt::format("s3://bucket/posts/{:x}/{}.jpg", rng(), i));
    std::map<std::string, int> owners;
    std::vector<std::size_t> sizes(static_cast<std::size_t>(count), 0);
    for (std::int64_t index = 0; index < count; ++index) {
      const Shard shard{index, count, "test"};
      for (const auto& key : keys) {
        if (!shard_contains(shard, key)) continue;
        ++owners[key];
        ++sizes[static_cast<std::size_t>(index)];
      }
    }
    EXPECT_EQ(owners.size(), keys.size()) << count << " shards: every key has a shard";
    for (const auto& [key, owner_count] : owners) EXPECT_EQ(owner_count, 1) << key;
    for (const auto size : sizes) {
      EXPECT_GT(size, keys.size() / static_cast<std::size_t>(count) / 2) << "shards are roughly even (" << count << ")";
    }
  }
}

TEST(Shard, PartNamesKeepTheExtension) {
  const Shard shard{2, 16, "test"};
  EXPECT_EQ(shard_part_path("results.jsonl", shard), "results.shard-0002-of-0016.jsonl");
  EXPECT_EQ(shard_part_path("out/dir.v2/found", shard), "out/dir.v2/found.shard-0002-of-0016");
  EXPECT_EQ(shard_part_path("s3://b/r/found.csv", shard), "s3://b/r/found.shard-0002-of-0016.csv");
  EXPECT_EQ(shard_part_path(".hidden", shard), ".hidden.shard-0002-of-0016");
}

}  // namespace
}  // namespace logoscope
