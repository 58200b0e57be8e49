#include "server/model_registry.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/files.hpp"
#include "core/text.hpp"
#include "model/model_info.hpp"
#include "server/sigv4.hpp"

namespace fs = std::filesystem;

namespace logoscope::server {

namespace {

constexpr const char* kArnPrefix = "arn:logoscope:rekognition:local:000000000000:project/";

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 255 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
}

// The first 12 hex digits of SHA-256 over model.json and weights.pt: the same for copies and clones
// of a model, different when its weights or thresholds change.
Result<std::string> content_id(const std::string& directory) {
  std::string content;
  for (const char* name : {"model.json", "weights.pt"}) {
    auto bytes = read_binary_file((fs::path(directory) / name).string());
    if (!bytes) return bytes.error();
    content += sha256_hex(*bytes);
  }
  return sha256_hex(content).substr(0, 12);
}

}  // namespace

const char* model_status_name(ModelStatus status) {
  switch (status) {
    case ModelStatus::kStopped:
      return "STOPPED";
    case ModelStatus::kStarting:
      return "STARTING";
    case ModelStatus::kRunning:
      return "RUNNING";
    case ModelStatus::kStopping:
      return "STOPPING";
    case ModelStatus::kFailed:
      return "FAILED";
  }
  return "FAILED";
}

Result<ModelSpec> parse_model_spec(const std::string& text) {
  ModelSpec spec;
  const auto equals = text.find('=');
  if (equals != std::string::npos && !fs::exists(text)) {
    spec.name = text.substr(0, equals);
    spec.directory = text.substr(equals + 1);
  } else {
    spec.directory = text;
  }
  if (spec.directory.empty()) {
    return Error{ErrorCode::kInvalidArgument, fmt::format("--model \"{}\": no model folder given", text)};
  }
  if (spec.name.empty()) {
    spec.name = fs::path(spec.directory).lexically_normal().filename().string();
    if (spec.name.empty() || spec.name == "." || spec.name == "..")
      spec.name = fs::absolute(spec.directory).lexically_normal().parent_path().filename().string();
    std::replace_if(
        spec.name.begin(), spec.name.end(),
        [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '-';
        },
        '-');
  }
  if (!valid_name(spec.name)) {
    return Error{
        ErrorCode::kInvalidArgument,
        fmt::format("--model \"{}\": the name \"{}\" may hold only letters, digits, '.', '_' and '-' "
                    "(1-255 characters)",
                    text, spec.name)};
  }
  return spec;
}

ModelRegistry::ModelRegistry(ModelOptions options) : options_(options) {}

ModelRegistry::~ModelRegistry() {
  std::vector<Loader> loaders;
  {
    const std::lock_guard lock(mutex_);
    loaders.swap(loaders_);
  }
  for (auto& loader : loaders) loader.thread.join();
}

Status ModelRegistry::add(const ModelSpec& spec) {
  auto info = model::read_model_info(spec.directory);
  if (!info) return info.error();
  const std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    if (entry.name == spec.name) {
      return Error{ErrorCode::kInvalidArgument,
                   fmt::format("two models are named \"{}\" ({} and {}); name them with --model NAME=DIR",
                               spec.name, entry.directory, spec.directory)};
    }
  }
  ModelEntry entry;
  entry.name = spec.name;
  entry.directory = spec.directory;
  const auto id = content_id(spec.directory);
  if (!id) return id.error();
  entry.created_ms = model::weights_written_ms(spec.directory);
  entry.version = fmt::format("{}.{}", spec.name, *id);
  // ARNs end in a number (Rekognition's creation time); here the content id read as a number.
  const auto number = std::stoull(*id, nullptr, 16);
  entry.project_arn = fmt::format("{}{}/{}", kArnPrefix, spec.name, number);
  entry.version_arn = fmt::format("{}{}/version/{}/{}", kArnPrefix, spec.name, entry.version, number);
  entries_.push_back(std::move(entry));
  return Ok{};
}

std::optional<std::string> rekognition_project_name(const std::string& arn) {
  // arn:PARTITION:rekognition:REGION:ACCOUNT:project/NAME[/version/VERSION]/NUMBER
  static const std::regex kArn(R"(^arn:aws[a-z-]*:rekognition:[^:]*:[0-9]*:project/([A-Za-z0-9_.-]{1,255})/)"
                               R"((version/[A-Za-z0-9_.-]{1,255}/)?[0-9]+$)");
  if (arn.size() > 2048) return std::nullopt;  // AWS's longest ARN; also keeps the regex's recursion shallow
  std::smatch match;
  if (!std::regex_match(arn, match, kArn)) return std::nullopt;
  return match[1].str();
}

std::ptrdiff_t ModelRegistry::index_of(const std::string& key) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const auto& entry = entries_[i];
    if (key == entry.version_arn || key == entry.project_arn || key == entry.name || key == entry.version)
      return static_cast<std::ptrdiff_t>(i);
  }
  // An ARN from Rekognition: its project name picks the model served under that name.
  if (const auto project = rekognition_project_name(key)) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].name == *project) return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

std::string ModelRegistry::explain_not_found(const std::string& key) const {
  std::vector<std::string> names;
  {
    const std::lock_guard lock(mutex_);
    for (const auto& entry : entries_) names.push_back(entry.name);
  }
  const std::string served = names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
  if (const auto project = rekognition_project_name(key)) {
    return fmt::format("{} is an Amazon Rekognition ARN of project \"{}\", and no model is served under that name "
                       "(served: {}); serve yours under it: logoscope serve --model {}=MODEL_DIR",
                       key, *project, served, *project);
  }
  if (key.rfind("arn:", 0) == 0) {
    return fmt::format("{} is not an ARN this server knows (served: {}; GET /v1/models lists their ARNs); an AWS "
                       "ARN must read arn:aws:rekognition:REGION:ACCOUNT:project/NAME/version/VERSION/NUMBER",
                       key, served);
  }
  return fmt::format("no model \"{}\" on this server (served: {}; GET /v1/models lists them)", key, served);
}

bool ModelRegistry::start(const std::string& key, bool wait) {
  std::size_t index = 0;
  {
    const std::lock_guard lock(mutex_);
    const auto found = index_of(key);
    if (found < 0) return false;
    index = static_cast<std::size_t>(found);
    auto& entry = entries_[index];
    if (entry.status == ModelStatus::kRunning || entry.status == ModelStatus::kStarting) return true;
    entry.status = ModelStatus::kStarting;
    entry.status_message = "The model is being started.";
  }
  if (wait) {
    load(index);
  } else {
    const std::lock_guard lock(mutex_);
    // Join the loads that have finished, so that starting and stopping again and again does not
    // pile up threads.
    std::erase_if(loaders_, [](Loader& loader) {
      if (!loader.done->load()) return false;
      loader.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    loaders_.push_back({std::thread([this, index, done] {
                          load(index);
                          *done = true;
                        }),
                        done});
  }
  return true;
}

void ModelRegistry::load(std::size_t index) {
  std::string directory;
  {
    const std::lock_guard lock(mutex_);
    directory = entries_[index].directory;
  }
  const auto started = std::chrono::steady_clock::now();
  auto model = Model::load(directory, options_);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::lock_guard lock(mutex_);
  auto& entry = entries_[index];
  if (entry.status != ModelStatus::kStarting) return;  // stopped while loading
  if (!model) {
    entry.status = ModelStatus::kFailed;
    entry.status_message = model.error().message;
    spdlog::error("model {}: {}", entry.name, model.error().message);
    return;
  }
  entry.model = std::move(model).value();
  entry.status = ModelStatus::kRunning;
  entry.status_message = "The model is running.";
  entry.load_seconds = seconds;
  spdlog::info("model {} running ({}, loaded in {:.2f} s): {}", entry.name,
               count_of(entry.model->description().labels.size(), "label"), seconds, entry.version_arn);
}

bool ModelRegistry::stop(const std::string& key) {
  const std::lock_guard lock(mutex_);
  const auto found = index_of(key);
  if (found < 0) return false;
  auto& entry = entries_[static_cast<std::size_t>(found)];
  entry.model.reset();
  entry.status = ModelStatus::kStopped;
  entry.status_message = "The model is stopped.";
  return true;
}

std::optional<ModelEntry> ModelRegistry::find(const std::string& key) const {
  const std::lock_guard lock(mutex_);
  const auto found = index_of(key);
  if (found < 0) return std::nullopt;
  return entries_[static_cast<std::size_t>(found)];
}

std::vector<ModelEntry> ModelRegistry::entries() const {
  const std::lock_guard lock(mutex_);
  return entries_;
}

bool ModelRegistry::all_running() const {
  const std::lock_guard lock(mutex_);
  return !entries_.empty() && std::all_of(entries_.begin(), entries_.end(), [](const ModelEntry& entry) {
    return entry.status == ModelStatus::kRunning;
  });
}

}  // namespace logoscope::server
