// server/model_registry.hpp — the models a server answers for, by name, with Rekognition's
// lifecycle: STOPPED → STARTING → RUNNING → STOPPING → STOPPED (or FAILED when loading failed).
//
// Each model has a project name (from `--model NAME=DIR`, else the folder's name), a version name
// (NAME.ID, ID the first 12 hex digits of SHA-256 over model.json and weights.pt, so copies and
// clones of a model keep it) and ARNs in Rekognition's shape (N: ID read as a number):
//   project: arn:logoscope:rekognition:local:000000000000:project/NAME/N
//   version: arn:logoscope:rekognition:local:000000000000:project/NAME/version/NAME.ID/N
// Requests name a model by its version ARN, its project ARN or its plain name.
//
// Thread safety: every member may be called from any thread. start() loads on a background
// thread; a model in use by a request stays alive until that request ends, even when stopped.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "logoscope/detect.hpp"
#include "logoscope/result.hpp"

namespace logoscope::server {

enum class ModelStatus { kStopped, kStarting, kRunning, kStopping, kFailed };

/// Rekognition's spelling: "STOPPED", "STARTING", "RUNNING", "STOPPING", "FAILED".
const char* model_status_name(ModelStatus status);

struct ModelEntry {
  std::string name;  ///< project name
  std::string directory;
  std::string version;  ///< version name
  std::string project_arn;
  std::string version_arn;
  std::int64_t created_ms = 0;  ///< when the weights were written, ms since the epoch (CreationTimestamp)
  ModelStatus status = ModelStatus::kStopped;
  std::string status_message;
  double load_seconds = 0;             ///< the last successful load
  std::shared_ptr<const Model> model;  ///< set while RUNNING
};

struct ModelSpec {
  std::string name;  ///< empty = the folder's name
  std::string directory;
};

/// The project name of a Rekognition ARN ("arn:aws:rekognition:us-east-1:123456789012:project/
/// NAME/version/VERSION/1" or "…:project/NAME/1"; any AWS partition); nullopt for anything else.
std::optional<std::string> rekognition_project_name(const std::string& arn);

/// Parses `--model` values: "DIR" or "NAME=DIR". Names: letters, digits, '.', '_', '-' (≤ 255).
Result<ModelSpec> parse_model_spec(const std::string& text);

class ModelRegistry {
 public:
  explicit ModelRegistry(ModelOptions options = {});
  ~ModelRegistry();
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  /// Registers a model (STOPPED). Errors: kNotFound / kInvalidValue for a folder without a
  /// readable model.json, kInvalidArgument for a duplicate or invalid name.
  Status add(const ModelSpec& spec);

  /// Starts loading (STARTING, then RUNNING or FAILED); `wait` blocks until it is done. Returns
  /// false when `key` names no model. Starting a RUNNING or STARTING model changes nothing.
  bool start(const std::string& key, bool wait = false);
  /// Unloads (STOPPED); in-flight requests finish on the model they hold. False when unknown.
  bool stop(const std::string& key);

  /// The entry `key` names, copied; nullopt when none. `key`: this server's version or project
  /// ARN, a model name or version name, or an AWS Rekognition ARN from existing code
  /// (arn:aws:rekognition:REGION:ACCOUNT:project/NAME/version/VERSION/N or …:project/NAME/N)
  /// whose project NAME is the name of one served model (serve it as --model NAME=DIR).
  [[nodiscard]] std::optional<ModelEntry> find(const std::string& key) const;
  /// Why `key` names no model, for the ResourceNotFoundException: the served names, and for an
  /// AWS ARN the project name it carries and how to serve a model under it.
  [[nodiscard]] std::string explain_not_found(const std::string& key) const;
  /// Every entry, in the order added.
  [[nodiscard]] std::vector<ModelEntry> entries() const;
  /// True when every model is RUNNING (and there is at least one).
  [[nodiscard]] bool all_running() const;

 private:
  [[nodiscard]] std::ptrdiff_t index_of(const std::string& key) const;  // under mutex_
  void load(std::size_t index);

  ModelOptions options_;
  mutable std::mutex mutex_;
  std::vector<ModelEntry> entries_;
  struct Loader {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Loader> loaders_;  ///< background loads; finished ones are joined by the next start()
};

}  // namespace logoscope::server
