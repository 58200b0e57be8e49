#include "core/shard.hpp"

#include <charconv>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "core/hash.hpp"

namespace logoscope {

namespace {

Error invalid(std::string message) { return Error{ErrorCode::kInvalidArgument, std::move(message)}; }

// A whole number ≥ 0, all of `text`.
std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  return value;
}

Result<std::int64_t> variable(const EnvironmentLookup& env, const std::string& name, std::optional<std::int64_t> fallback) {
  const auto text = env(name);
  if (!text) {
    if (fallback) return *fallback;
    return invalid(fmt::format("--shard auto: {} is not set", name));
  }
  const auto value = whole_number(*text);
  if (!value) return invalid(fmt::format("--shard auto: {}={} is not a whole number", name, *text));
  return *value;
}

Result<Shard> checked(Shard shard) {
  if (shard.count < 1) return invalid(fmt::format("{}: the number of shards must be 1 or more", shard.source));
  if (shard.index >= shard.count) {
    return invalid(fmt::format("{}: shard {} is outside 0…{} (shards are numbered from 0)", shard.source, shard.index,
                               shard.count - 1));
  }
  return shard;
}

Result<Shard> from_engine(const EnvironmentLookup& env) {
  if (env("SLURM_ARRAY_TASK_ID")) {
    auto id = variable(env, "SLURM_ARRAY_TASK_ID", std::nullopt);
    if (!id) return id.error();
    auto min = variable(env, "SLURM_ARRAY_TASK_MIN", 0);
    if (!min) return min.error();
    auto step = variable(env, "SLURM_ARRAY_TASK_STEP", 1);
    if (!step) return step.error();
    auto count = variable(env, "SLURM_ARRAY_TASK_COUNT", std::nullopt);
    if (!count) return count.error();
    if (*step < 1 || *id < *min || (*id - *min) % *step != 0) {
      return invalid(fmt::format("--shard auto: SLURM_ARRAY_TASK_ID={} does not follow SLURM_ARRAY_TASK_MIN={} and "
                                 "SLURM_ARRAY_TASK_STEP={}",
                                 *id, *min, *step));
    }
    return checked({(*id - *min) / *step, *count,
                    fmt::format("--shard auto (Slurm: SLURM_ARRAY_TASK_ID={}, SLURM_ARRAY_TASK_COUNT={})", *id, *count)});
  }
  if (env("JOB_COMPLETION_INDEX")) {
    auto index = variable(env, "JOB_COMPLETION_INDEX", std::nullopt);
    if (!index) return index.error();
    auto count = variable(env, "LOGOSCOPE_SHARD_COUNT", std::nullopt);
    if (!count) {
      return invalid("--shard auto (Kubernetes Indexed Job): set LOGOSCOPE_SHARD_COUNT to the Job's completions; " +
                     count.error().message);
    }
    return checked({*index, *count,
                    fmt::format("--shard auto (Kubernetes: JOB_COMPLETION_INDEX={}, LOGOSCOPE_SHARD_COUNT={})", *index,
                                *count)});
  }
  if (env("AWS_BATCH_JOB_ARRAY_INDEX")) {
    auto index = variable(env, "AWS_BATCH_JOB_ARRAY_INDEX", std::nullopt);
    if (!index) return index.error();
    const std::string count_name = env("AWS_BATCH_JOB_ARRAY_SIZE") ? "AWS_BATCH_JOB_ARRAY_SIZE" : "LOGOSCOPE_SHARD_COUNT";
    auto count = variable(env, count_name, std::nullopt);
    if (!count) {
      return invalid("--shard auto (AWS Batch): set AWS_BATCH_JOB_ARRAY_SIZE or LOGOSCOPE_SHARD_COUNT to the array "
                     "size; " + count.error().message);
    }
    return checked({*index, *count,
                    fmt::format("--shard auto (AWS Batch: AWS_BATCH_JOB_ARRAY_INDEX={}, {}={})", *index, count_name,
                                *count)});
  }
  return invalid(
      "--shard auto: this is not an array job (none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, "
      "AWS_BATCH_JOB_ARRAY_INDEX is set); give --shard K/N");
}

}  // namespace

EnvironmentLookup process_environment_lookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read at start-up
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Result<Shard> parse_shard(const std::string& text, const EnvironmentLookup& env) {
  if (text == "auto") return from_engine(env);
  const auto slash = text.find('/');
  const auto index = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(0, slash));
  const auto count = slash == std::string::npos ? std::nullopt : whole_number(std::string_view(text).substr(slash + 1));
  if (!index || !count) {
    return invalid(fmt::format("--shard {}: give K/N (shard K of N, numbered from 0, e.g. 0/4) or auto", text));
  }
  return checked({*index, *count, fmt::format("--shard {}", text)});
}

bool shard_contains(const Shard& shard, std::string_view key) {
  if (shard.count <= 1) return true;
  const std::string text(key);
  return static_cast<std::int64_t>(fnv1a64(text) % static_cast<std::uint64_t>(shard.count)) == shard.index;
}

std::string shard_part_path(const std::string& out, const Shard& shard) {
  const std::string tag = fmt::format("shard-{:04d}-of-{:04d}", shard.index, shard.count);
  const auto slash = out.find_last_of('/');
  const auto dot = out.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot == slash + 1) {
    return out + "." + tag;
  }
  return out.substr(0, dot) + "." + tag + out.substr(dot);
}

}  // namespace logoscope
