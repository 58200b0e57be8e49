// core/shard.hpp — one task's share of a batch run on an array-job engine (Slurm arrays,
// Kubernetes Indexed Jobs, AWS Batch array jobs), the same for every engine.
//
// `--shard K/N` (0 ≤ K < N) or `--shard auto` (the engine's own index and count) picks the inputs
// whose key (an image's path or s3:// URI as the inputs name it) hashes to K modulo N: every task
// sees a disjoint set, the N tasks together see every input, whatever order a listing comes in.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "logoscope/result.hpp"

namespace logoscope {

struct Shard {
  std::int64_t index = 0;  ///< 0 ≤ index < count
  std::int64_t count = 1;
  std::string source;      ///< where it came from, for messages ("--shard 2/4", "SLURM_ARRAY_TASK_ID=7 …")
};

/// An environment variable's value; nullopt when unset or empty. Tests pass their own.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// The process environment.
EnvironmentLookup process_environment_lookup();

/// Parses `--shard`: "K/N", or "auto", which reads, in order:
///   Slurm:       SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN (default 0), SLURM_ARRAY_TASK_STEP
///                (default 1) and SLURM_ARRAY_TASK_COUNT: index (ID − MIN) / STEP
///   Kubernetes:  JOB_COMPLETION_INDEX with LOGOSCOPE_SHARD_COUNT (the Job's completions)
///   AWS Batch:   AWS_BATCH_JOB_ARRAY_INDEX with AWS_BATCH_JOB_ARRAY_SIZE or LOGOSCOPE_SHARD_COUNT
/// Errors (kInvalidArgument, naming the option or variable and its value): not K/N, not whole
/// numbers, N < 1, K outside 0…N−1, "auto" outside an array job or without its count.
Result<Shard> parse_shard(const std::string& text, const EnvironmentLookup& env);

/// True when `key` belongs to `shard` (FNV-1a 64 of the key, modulo count).
bool shard_contains(const Shard& shard, std::string_view key);

/// The name of one shard's part of `out`: "results.jsonl" → "results.shard-0002-of-0016.jsonl"
/// (the shard number before the last extension; s3:// keys alike).
std::string shard_part_path(const std::string& out, const Shard& shard);

}  // namespace logoscope
