#include "ui/ui_server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <span>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/base64.hpp"
#include "core/files.hpp"
#include "core/json_fields.hpp"
#include "core/paths.hpp"
#include "http/guarded_server.hpp"
#include "imageio/image_io.hpp"
#include "labeling/next_run.hpp"
#include "logoscope/detect.hpp"
#include "ui/training_job.hpp"
#include "ui/ui_requests.hpp"
#include "ui/video_import.hpp"
#include "ui/web_assets.hpp"

namespace logoscope::ui {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kThumbSide = 256;
constexpr std::size_t kMaxSuggestions = 20;
// Images "Label next" shows by default, and at most.
constexpr std::size_t kNextCount = 24;
constexpr std::size_t kMaxNextCount = 500;
constexpr int kTriedVideoFrames = 12;
constexpr std::size_t kThumbCacheEntries = 4000;
constexpr auto kEventPoll = std::chrono::milliseconds(500);
constexpr int kKeepAliveEvery = 4;  // polls between SSE comments (2 s)
constexpr int kMaxEventStreams = 12;

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAccessDenied:
      return 403;
    case ErrorCode::kTooLarge:
      return 413;
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return 500;
    default:
      return 400;
  }
}

void answer_json(httplib::Response& response, const json& body, int status = 200) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  // Invalid UTF-8 (a file name, a path in a message) is replaced rather than thrown on.
  response.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void answer_error(httplib::Response& response, int status, const std::string& code,
                  const std::string& message) {
  answer_json(response, {{"error", code}, {"message", message}}, status);
}

void answer_error(httplib::Response& response, const Error& error) {
  answer_error(response, http_status(error.code), error_code_name(error.code), error.message);
}

std::string content_type_for(const fs::path& path) {
  static const std::map<std::string, std::string> kTypes = {{".html", "text/html; charset=utf-8"},
                                                            {".js", "text/javascript; charset=utf-8"},
                                                            {".css", "text/css; charset=utf-8"},
                                                            {".json", "application/json"},
                                                            {".manifest", "application/x-ndjson"},
                                                            {".jsonl", "application/x-ndjson"},
                                                            {".csv", "text/csv; charset=utf-8"},
                                                            {".txt", "text/plain; charset=utf-8"},
                                                            {".jpg", "image/jpeg"},
                                                            {".jpeg", "image/jpeg"},
                                                            {".jfif", "image/jpeg"},
                                                            {".png", "image/png"},
                                                            {".gif", "image/gif"},
                                                            {".webp", "image/webp"},
                                                            {".bmp", "image/bmp"},
                                                            {".svg", "image/svg+xml"}};
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto found = kTypes.find(extension);
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

std::string host_name_of(const std::string& host_header) {
  if (!host_header.empty() && host_header.front() == '[') {
    const auto close = host_header.find(']');
    return close == std::string::npos ? host_header : host_header.substr(1, close - 1);
  }
  const auto colon = host_header.rfind(':');
  return colon == std::string::npos ? host_header : host_header.substr(0, colon);
}

bool equal_in_constant_time(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

json box_json(const NamedBox& box) {
  return {{"x0", box.x0}, {"y0", box.y0}, {"x1", box.x1}, {"y1", box.y1}, {"label", box.label}};
}

json entry_json(const ImageEntry& entry) {
  json boxes = json::array();
  for (const NamedBox& box : entry.boxes) boxes.push_back(box_json(box));
  return {{"ref", entry.ref},
          {"width", entry.width},
          {"height", entry.height},
          {"boxes", boxes},
          {"revision", entry.revision}};
}

double named_box_iou(const NamedBox& a, const NamedBox& b) {
  Box first{a.x0, a.y0, a.x1, a.y1};
  Box second{b.x0, b.y0, b.x1, b.y1};
  return box_iou(first, second);
}

std::optional<json> read_json_file(const fs::path& path) {
  auto text = read_text_file(path.string());
  if (!text) return std::nullopt;
  try {
    return json::parse(*text);
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host == "::1") return true;
  // A numeric address only: "127.0.0.1.attacker.example" is a name anyone can point anywhere.
  in_addr address{};
  if (inet_pton(AF_INET, host.c_str(), &address) != 1) return false;
  return (ntohl(address.s_addr) >> 24U) == 127U;
}

// Slow and hostile clients held off (http/guarded_server.hpp); uploads get the 30 s reads they had.
logoscope::http::GuardOptions ui_guard_options() {
  logoscope::http::GuardOptions guard;
  guard.read_timeout_s = 30;
  guard.write_timeout_s = 30;
  guard.workers = 32;
  return guard;
}

struct UiServer::Impl {
  Project& project;
  UiOptions options;
  logoscope::http::GuardedServer http{ui_guard_options()};
  std::atomic<bool> stopping{false};
  std::atomic<int> streams{0};  // open training-event streams

  std::mutex models_mutex;
  std::map<std::string, std::shared_ptr<const Model>> loaded;  // model name → loaded model

  std::mutex thumbs_mutex;
  std::map<std::string, std::string> thumbs;  // image path → JPEG

  // Last: its destructor waits for a running training, whose end still uses the members above.
  TrainingJob job;

  Impl(Project& p, UiOptions o)
      : project(p),
        options(std::move(o)),
        job(p, [this](const std::string& model) { forget_model(model); }) {}

  // ---- models -------------------------------------------------------------------------------

  void forget_model(const std::string& name) {
    std::lock_guard lock(models_mutex);
    loaded.erase(name);
  }

  Result<std::shared_ptr<const Model>> model_named(const std::string& name) {
    {
      std::lock_guard lock(models_mutex);
      if (const auto found = loaded.find(name); found != loaded.end()) return found->second;
    }
    const fs::path dir = project.models_dir() / name;
    auto model = Model::load(dir.string());
    if (!model) return model.error();
    std::lock_guard lock(models_mutex);
    loaded.clear();  // one model in memory: the served one (suggestions, Try)
    loaded[name] = *model;
    return *model;
  }

  Result<std::pair<std::string, std::shared_ptr<const Model>>> served_model() {
    const auto served = project.served();
    if (!served) {
      return Error{ErrorCode::kInvalidArgument,
                   "no model is served yet: train one, or press Serve beside a model"};
    }
    auto model = model_named(*served);
    if (!model) return model.error();
    return std::pair{*served, *model};
  }

  // The model's evaluation (evaluation/summary.json) into its listing; a file this server cannot
  // read leaves the scores empty with a message instead of failing the listing.
  static void add_evaluation(json& model, const fs::path& dir, const std::string& name) {
    try {
      const auto summary = read_json_file(dir / "evaluation" / "summary.json");
      if (summary && summary->is_object() && summary->value("metrics", json()).is_object()) {
        const json metrics = summary->value("metrics", json::object());
        // summary.json version 1 wrote thresholds as fractions; version 2 as confidences (0-100).
        const double to_confidence = summary->value("version", 1) < 2 ? 100.0 : 1.0;
        std::error_code ec;
        model["evaluation"] = fs::exists(dir / "evaluation" / "report.html", ec);
        if (model["evaluation"].get<bool>())
          model["report"] = fmt::format("/project/models/{}/evaluation/report.html", name);
        model["f1"] = field_or(metrics, "mean_f1", 0.0);
        model["map50"] = field_or(metrics, "map50", 0.0);
        for (const json& label : field_or<json>(metrics, "labels", json::array())) {
          model["labels_scores"].push_back(
              {{"name", field_or<std::string>(label, "name", "")},
               {"f1", field_or(label, "f1", 0.0)},
               {"precision", field_or(label, "precision", 0.0)},
               {"recall", field_or(label, "recall", 0.0)},
               {"ap50", field_or(label, "ap50", 0.0)},
               {"assumed_threshold", field_or(label, "assumed_threshold", 0.0) * to_confidence},
               {"ground_truth", field_or(label, "ground_truth", 0)},
               {"true_positives", field_or(label, "true_positives", 0)},
               {"false_positives", field_or(label, "false_positives", 0)},
               {"false_negatives", field_or(label, "false_negatives", 0)}});
        }
      }
    } catch (const json::exception& e) {
      model["message"] =
          fmt::format("{}: unreadable ({})", (dir / "evaluation" / "summary.json").string(), e.what());
    }
  }

  json models_json() {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(project.models_dir(), ec)) {
      if (entry.is_directory(ec)) names.push_back(entry.path().filename().string());
    }
    // v2 before v10: by number when both are vN, else by name.
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      if (a.size() != b.size()) return a.size() < b.size();
      return a < b;
    });
    const auto training = job.running_model();
    json models = json::array();
    for (const std::string& name : names) {
      const fs::path dir = project.models_dir() / name;
      json model{{"name", name},
                 {"created", nullptr},
                 {"f1", nullptr},
                 {"map50", nullptr},
                 {"labels", json::array()},
                 {"evaluation", false},
                 {"report", nullptr},
                 {"labels_scores", json::array()}};
      if (training && *training == name) {
        model["status"] = "training";
      } else if (!fs::exists(dir / "model.json", ec)) {
        model["status"] = "failed";
      } else {
        model["status"] = "ready";
        if (auto description = Model::describe(dir.string())) {
          model["created"] = description->created.empty() ? json(nullptr) : json(description->created);
          model["labels"] = description->labels;
          if (description->f1) model["f1"] = *description->f1;
        } else {
          model["status"] = "failed";
          model["message"] = description.error().message;
        }
      }
      add_evaluation(model, dir, name);
      models.push_back(model);
    }
    return models;
  }

  // The served model's evaluation, as per-image counts and a review queue (refs of the project).
  struct Review {
    std::map<std::string, json> per_image;  // ref → {"false_positives", "false_negatives", "missing"}
    json items = json::array();
    std::string model;
  };

  std::string ref_for(const std::string& image, const fs::path& base) const {
    const std::string absolute = resolve_ref(image, base.string());
    const fs::path relative = fs::path(absolute).lexically_relative(project.root());
    if (relative.empty() || *relative.begin() == "..") return absolute;
    return relative.generic_string();
  }

  static json review_box(const json& box, const std::string& label) {
    const double left = field_or(box, "left", 0.0);
    const double top = field_or(box, "top", 0.0);
    return {{"x0", left},
            {"y0", top},
            {"x1", left + field_or(box, "width", 0.0)},
            {"y1", top + field_or(box, "height", 0.0)},
            {"label", label}};
  }

  static bool same_review_box(const json& a, const json& b) {
    if (a["label"] != b["label"]) return false;
    const NamedBox first{a["x0"], a["y0"], a["x1"], a["y1"], ""};
    const NamedBox second{b["x0"], b["y0"], b["x1"], b["y1"], ""};
    return named_box_iou(first, second) > 0.9;
  }

  // The review queue: the evaluation's lists (likely missing labels, possibly wrong labels, never
  // detected) first, then every other false positive and false negative at the assumed
  // thresholds, from the evaluation manifest.
  Review review() {
    Review review;
    const auto served = project.served();
    if (!served) return review;
    review.model = *served;
    try {
      collect_review(review);
    } catch (const json::exception& e) {
      // An evaluation file edited by hand or cut short: what was read so far is kept.
      spdlog::warn("model {}: its evaluation files are not all readable: {}", review.model, e.what());
    }
    return review;
  }

  void collect_review(Review& review) const {
    const fs::path eval_dir = project.models_dir() / review.model / "evaluation";
    const auto summary = read_json_file(eval_dir / "summary.json");
    if (summary && summary->contains("review")) {
      const std::pair<const char*, const char*> kinds[] = {
          {"missing_label", "missing"}, {"wrong_label", "wrong_label"}, {"never_detected", "false_negative"}};
      for (const auto& [source_kind, kind] : kinds) {
        for (const json& item : field_or<json>((*summary)["review"], source_kind, json::array())) {
          const std::string label = field_or<std::string>(item, "label", "");
          const double confidence = field_or(item, "confidence", 0.0);
          json entry{{"ref", ref_for(field_or<std::string>(item, "image", ""), eval_dir)},
                     {"dataset", "test"},
                     {"kind", kind},
                     {"box", review_box(field_or<json>(item, "box", json::object()), label)},
                     {"confidence", item.contains("confidence") ? item["confidence"] : json(nullptr)}};
          if (std::string(kind) == "missing") {
            entry["message"] =
                fmt::format("the model sees {} here ({:.0f} %) but no box is labeled: a missing label?",
                            label, confidence);
          } else if (std::string(kind) == "wrong_label") {
            entry["message"] = fmt::format("labeled {} but the model says {} ({:.0f} %)", label,
                                           field_or<std::string>(item, "model_says", ""), confidence);
          } else {
            entry["message"] =
                fmt::format("a {} box the model never finds: too small, hidden, or not a logo?", label);
          }
          review.items.push_back(entry);
        }
      }
    }
    auto manifest = read_text_file((eval_dir / "evaluation.manifest").string());
    if (!manifest) return;
    const std::size_t listed = review.items.size();
    auto already_listed = [&](const std::string& ref, const json& box) {
      for (std::size_t index = 0; index < listed; ++index) {
        if (review.items[index]["ref"] == ref && same_review_box(review.items[index]["box"], box))
          return true;
      }
      return false;
    };
    std::size_t start = 0;
    while (start < manifest->size()) {
      std::size_t end = manifest->find('\n', start);
      if (end == std::string::npos) end = manifest->size();
      json line;
      try {
        line = json::parse(manifest->substr(start, end - start));
      } catch (const json::exception&) {
        line = nullptr;  // a line this server cannot read is left out; `evaluate` wrote it
      }
      start = end + 1;
      if (!line.is_object() || !line.contains("logoscope-evaluation") || !line.contains("source-ref") ||
          !line["source-ref"].is_string())
        continue;
      const json& verdicts = line["logoscope-evaluation"];
      const std::string ref = ref_for(line["source-ref"].get<std::string>(), eval_dir);
      json counts{{"false_positives", field_or(verdicts, "false_positives", 0)},
                  {"false_negatives", field_or(verdicts, "false_negatives", 0)},
                  {"missing", 0}};
      for (std::size_t index = 0; index < listed; ++index) {
        if (review.items[index]["ref"] == ref && review.items[index]["kind"] == "missing") {
          counts["missing"] = counts["missing"].get<int>() + 1;
        }
      }
      review.per_image[ref] = counts;
      // One item per box with `verdict` that the evaluation's lists did not already name.
      auto add_boxes = [&](const char* list, const char* verdict, const char* kind, const char* score,
                           const char* message) {
        for (const json& entry : field_or<json>(verdicts, list, json::array())) {
          if (field_or<std::string>(entry, "verdict", "") != verdict) continue;
          const std::string label = field_or<std::string>(entry, "label", "");
          const json box = review_box(field_or<json>(entry, "box", json::object()), label);
          if (already_listed(ref, box)) continue;
          const json confidence = entry.contains(score) ? entry[score] : json(nullptr);
          review.items.push_back({{"ref", ref},
                                  {"dataset", "test"},
                                  {"kind", kind},
                                  {"box", box},
                                  {"confidence", confidence},
                                  {"message", fmt::format(fmt::runtime(message), label,
                                                          confidence.is_number() ? confidence.get<double>() : 0.0)}});
        }
      };
      add_boxes("predictions", "false_positive", "false_positive", "confidence",
                "the model finds {} here ({:.0f} %) where no labeled box matches: its mistake, or a box to fix?");
      add_boxes("ground_truth", "false_negative", "false_negative", "best_confidence",
                "a labeled {} box the model misses at its threshold");
    }
  }

  // ---- request guards ---------------------------------------------------------------------------

  // True when the request may go on; else the response is set.
  bool allowed(const httplib::Request& request, httplib::Response& response) const {
    if (!options.token.empty()) {
      std::string given;
      const std::string authorization = request.get_header_value("Authorization");
      if (authorization.rfind("Bearer ", 0) == 0) given = authorization.substr(7);
      if (given.empty() && request.has_param("token")) given = request.get_param_value("token");
      if (!equal_in_constant_time(given, options.token)) {
        answer_error(response, 401, "unauthorized",
                     "this server needs its access token: open the address it printed (…/?token=…)");
        return false;
      }
    } else if (!is_loopback_host(host_name_of(request.get_header_value("Host")))) {
      answer_error(response, 403, "forbidden",
                   "this server answers only requests to a loopback address (127.0.0.1 or localhost)");
      return false;
    }
    if (request.method != "GET" && request.has_header("Origin")) {
      const std::string origin = request.get_header_value("Origin");
      const std::string host = request.get_header_value("Host");
      if (origin != "http://" + host && origin != "https://" + host) {
        answer_error(response, 403, "forbidden",
                     fmt::format("requests from {} may not change this project", origin));
        return false;
      }
    }
    return true;
  }

  static std::optional<std::string> dataset_param(const httplib::Request& request,
                                                  httplib::Response& response, std::size_t match) {
    const std::string dataset = request.matches[static_cast<int>(match)];
    if (!Project::is_dataset(dataset)) {
      answer_error(response, 404, "not_found", fmt::format("no dataset \"{}\" (train or test)", dataset));
      return std::nullopt;
    }
    return dataset;
  }

  // ---- handlers ---------------------------------------------------------------------------------

  void get_project(httplib::Response& response) {
    json datasets = json::object();
    for (const std::string dataset : {"train", "test"}) {
      const DatasetCounts counts = project.counts(dataset);
      datasets[dataset] = {{"images", counts.images}, {"labeled", counts.labeled}, {"boxes", counts.boxes}};
    }
    const JobEvent latest = job.latest();
    json training = nullptr;
    if (latest.sequence > 0) {
      const std::string state = latest.kind == "progress" ? "running" : latest.kind;
      training = {{"model", field_or<std::string>(latest.data, "model", "")},
                  {"state", state},
                  {"message", field_or<std::string>(latest.data, "message", field_or<std::string>(latest.data, "status", ""))}};
    }
    const auto served = project.served();
    answer_json(response, {{"name", project.name()},
                           {"dir", project.root().string()},
                           {"labels", project.labels()},
                           {"datasets", datasets},
                           {"models", models_json()},
                           {"served", served ? json(*served) : json(nullptr)},
                           {"training", training}});
  }

  void post_label(const httplib::Request& request, httplib::Response& response) {
    auto name = read_label_request(request.body);
    if (!name) return answer_error(response, 400, "bad_request", name.error().message);
    auto labels = project.add_label(*name);
    if (!labels) return answer_error(response, labels.error());
    answer_json(response, {{"labels", *labels}});
  }

  void get_images(const httplib::Request& request, httplib::Response& response) {
    const auto dataset = dataset_param(request, response, 1);
    if (!dataset) return;
    const Review evaluation = review();
    json images = json::array();
    for (const ImageEntry& entry : project.images(*dataset)) {
      json item = entry_json(entry);
      const auto found = evaluation.per_image.find(entry.ref);
      item["review"] = found == evaluation.per_image.end() ? json(nullptr) : found->second;
      images.push_back(std::move(item));
    }
    answer_json(response, {{"images", images}, {"labels", project.labels()}});
  }

  void put_image(const httplib::Request& request, httplib::Response& response) {
    const auto dataset = dataset_param(request, response, 1);
    if (!dataset) return;
    if (!request.has_param("ref"))
      return answer_error(response, 400, "bad_request", "query parameter ref is missing");
    auto edit = read_boxes_request(request.body);
    if (!edit) return answer_error(response, 400, "bad_request", edit.error().message);
    auto outcome = project.set_boxes(*dataset, request.get_param_value("ref"), edit->boxes, edit->revision);
    if (!outcome) return answer_error(response, outcome.error());
    if (outcome->conflict) {
      return answer_json(
          response,
          {{"error", "conflict"},
           {"message", fmt::format("{} was changed in another tab or window; its boxes are shown as "
                                   "saved there. Make your change again.",
                                   outcome->current.ref)},
           {"current", entry_json(outcome->current)}},
          409);
    }
    answer_json(response, {{"revision", outcome->current.revision}, {"labels", project.labels()}});
  }

  void post_import(const httplib::Request& request, httplib::Response& response) {
    const auto dataset = dataset_param(request, response, 1);
    if (!dataset) return;
    if (!request.is_multipart_form_data()) {
      return answer_error(response, 400, "bad_request",
                          "expected a multipart/form-data upload with fields \"files\"");
    }
    json added = json::array();
    json problems = json::array();
    const auto [first, last] = request.files.equal_range("files");
    for (auto part = first; part != last; ++part) {
      const std::string& name = part->second.filename.empty() ? std::string("upload") : part->second.filename;
      if (is_video_file_name(name)) {
        auto frames = import_video(project, *dataset, name, part->second.content);
        if (!frames) {
          problems.push_back({{"file", name}, {"message", frames.error().message}});
          continue;
        }
        for (const std::string& ref : *frames) added.push_back(ref);
        continue;
      }
      auto ref = project.import_image(*dataset, name, part->second.content);
      if (!ref) {
        problems.push_back({{"file", name}, {"message", ref.error().message}});
        continue;
      }
      added.push_back(*ref);
    }
    if (added.empty() && problems.empty()) {
      return answer_error(response, 400, "bad_request", "no files in the upload (field \"files\")");
    }
    answer_json(response, {{"added", added}, {"problems", problems}});
  }

  void get_image(const httplib::Request& request, httplib::Response& response) {
    const auto path = project.resolve_inside(request.get_param_value("ref"));
    if (!path) return answer_error(response, path.error());
    const bool thumb = request.get_param_value("thumb") == "1";
    if (thumb) {
      std::lock_guard lock(thumbs_mutex);
      if (const auto found = thumbs.find(path->string()); found != thumbs.end()) {
        response.set_header("Cache-Control", "private, max-age=3600");
        return response.set_content(found->second, "image/jpeg");
      }
    }
    auto info = imageio::probe_image_file(path->string());
    if (!info) return answer_error(response, info.error());
    const bool browser_shows =
        info->orientation == 1 &&
        (info->format == imageio::ImageFormat::kJpeg || info->format == imageio::ImageFormat::kPng ||
         info->format == imageio::ImageFormat::kWebp || info->format == imageio::ImageFormat::kGif ||
         info->format == imageio::ImageFormat::kBmp);
    if (!thumb && browser_shows) {
      auto bytes = read_binary_file(path->string());
      if (!bytes) return answer_error(response, bytes.error());
      response.set_header("Cache-Control", "private, max-age=3600");
      response.set_header("X-Content-Type-Options", "nosniff");
      return response.set_content(std::move(*bytes),
                                  std::string("image/") + imageio::image_format_name(info->format));
    }
    // Thumbnails, formats browsers do not show (TIFF, PNM) and rotated photos: decoded here, as
    // the boxes see them, and sent as JPEG.
    auto decoded = imageio::decode_image_file(path->string());
    if (!decoded) return answer_error(response, decoded.error());
    cv::Mat bgr;
    cv::cvtColor(decoded->rgb, bgr, cv::COLOR_RGB2BGR);
    if (thumb) {
      const double scale = static_cast<double>(kThumbSide) / std::max(bgr.cols, bgr.rows);
      if (scale < 1) cv::resize(bgr, bgr, cv::Size(), scale, scale, cv::INTER_AREA);
    }
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, thumb ? 80 : 92});
    std::string body(jpeg.begin(), jpeg.end());
    if (thumb) {
      std::lock_guard lock(thumbs_mutex);
      if (thumbs.size() >= kThumbCacheEntries) thumbs.erase(thumbs.begin());
      thumbs[path->string()] = body;
    }
    response.set_header("Cache-Control", "private, max-age=3600");
    response.set_content(std::move(body), "image/jpeg");
  }

  // Detections as the page draws them: label, confidence 0–100, pixel box (xyxy).
  static json detections_json(const std::vector<CustomLabel>& found) {
    json labels = json::array();
    for (const CustomLabel& label : found) {
      labels.push_back({{"label", label.name},
                        {"confidence", label.confidence},
                        {"x0", label.pixel_box.x0},
                        {"y0", label.pixel_box.y0},
                        {"x1", label.pixel_box.x1},
                        {"y1", label.pixel_box.y1}});
    }
    return labels;
  }

  DetectOptions detect_options(const httplib::Request& request) const {
    DetectOptions detect;
    detect.min_confidence = read_min_confidence(request.get_param_value("min_confidence"));
    return detect;
  }

  void get_suggest(const httplib::Request& request, httplib::Response& response) {
    const std::string ref = request.get_param_value("ref");
    const auto path = project.resolve_inside(ref);
    if (!path) return answer_error(response, path.error());
    auto served = served_model();
    if (!served) return answer_error(response, 409, "no_model", served.error().message);
    auto bytes = imageio::read_file_bytes(path->string());
    if (!bytes) return answer_error(response, bytes.error());
    Session session(served->second, {options.threads});
    DetectOptions detect = detect_options(request);
    detect.max_results = kMaxSuggestions;
    auto found = session.detect(*bytes, detect, ref);
    if (!found) return answer_error(response, found.error());
    // What is labeled already is not suggested again.
    std::vector<NamedBox> labeled;
    for (const std::string dataset : {"train", "test"}) {
      if (const auto entry = project.image(dataset, ref)) labeled = entry->boxes;
    }
    json suggestions = json::array();
    for (const json& detection : detections_json(found->labels)) {
      const NamedBox box{detection["x0"], detection["y0"], detection["x1"], detection["y1"],
                         detection["label"].get<std::string>()};
      const bool known = std::any_of(labeled.begin(), labeled.end(), [&](const NamedBox& existing) {
        return existing.label == box.label && named_box_iou(existing, box) >= 0.5;
      });
      if (!known) suggestions.push_back(detection);
    }
    answer_json(response, {{"model", served->first}, {"suggestions", suggestions}});
  }

  // Which of a dataset's images without boxes to label next, by the served model (labeling/,
  // as `logoscope dataset next`): images with boxes in either dataset are the labeled ones.
  void get_next(const httplib::Request& request, httplib::Response& response) {
    const auto dataset = dataset_param(request, response, 1);
    if (!dataset) return;
    std::size_t count = kNextCount;
    if (request.has_param("count")) {
      const std::string text = request.get_param_value("count");
      const auto parsed = text.empty() || text.size() > 4 || !std::all_of(text.begin(), text.end(), ::isdigit)
                              ? 0
                              : std::stoul(text);
      if (parsed < 1 || parsed > kMaxNextCount) {
        return answer_error(response, 400, "bad_request",
                            fmt::format("count '{}' is not allowed: give 1 to {}", text, kMaxNextCount));
      }
      count = parsed;
    }
    const auto served = project.served();
    if (!served) {
      return answer_error(response, 409, "no_model", "no model is served yet: train one, or press Serve beside a model");
    }
    std::vector<std::string> pool;
    std::vector<std::string> labeled;
    std::map<std::string, std::string> ref_of_path;
    for (const std::string name : {"train", "test"}) {
      for (const ImageEntry& entry : project.images(name)) {
        const auto path = project.resolve_inside(entry.ref);
        if (!path) continue;  // a file removed by hand: the listing shows it
        if (!entry.boxes.empty()) {
          labeled.push_back(path->string());
        } else if (name == *dataset) {
          pool.push_back(path->string());
          ref_of_path[path->string()] = entry.ref;
        }
      }
    }
    labeling::NextOptions next;
    next.count = count;
    next.threads = options.threads;
    auto run = labeling::rank_pool((project.models_dir() / *served).string(), pool, labeled, next);
    if (!run) return answer_error(response, run.error());
    json picks = json::array();
    for (const auto& pick : run->selection.picks) {
      const auto& photo = run->pool[pick.index];
      picks.push_back({{"ref", ref_of_path[photo.path]},
                       {"priority", pick.score},
                       {"reason", labeling::describe_pick(photo.priority, pick, run->model.labels, run->thresholds)}});
    }
    const auto unreadable = std::count_if(run->pool.begin(), run->pool.end(), [](const auto& p) { return p.error.has_value(); });
    answer_json(response, {{"model", *served},
                           {"pool", run->pool.size()},
                           {"picks", picks},
                           {"near_duplicates", run->selection.near_duplicates.size()},
                           {"unreadable", unreadable}});
  }

  void post_try(const httplib::Request& request, httplib::Response& response) {
    auto served = served_model();
    if (!served) return answer_error(response, 409, "no_model", served.error().message);
    if (request.body.empty()) return answer_error(response, 400, "bad_request", "the upload is empty");
    const std::string name = request.has_param("name") ? request.get_param_value("name") : "upload";
    Session session(served->second, {options.threads});
    if (is_video_file_name(name) || request.get_header_value("Content-Type").rfind("video/", 0) == 0) {
      return try_video_upload(session, served->first, name, request.body, response);
    }
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(request.body.data()),
                                              request.body.size());
    auto found = session.detect(bytes, detect_options(request), name);
    if (!found) return answer_error(response, found.error());
    answer_json(response, {{"model", served->first},
                           {"width", found->width},
                           {"height", found->height},
                           {"labels", detections_json(found->labels)},
                           {"milliseconds", found->timings.decode_ms + found->timings.preprocess_ms +
                                                found->timings.network_ms + found->timings.postprocess_ms}});
  }

  // A tried video: a few frames spread over it, each with the model's detections.
  void try_video_upload(Session& session, const std::string& model, const std::string& name,
                        const std::string& body, httplib::Response& response) {
    const auto started = std::chrono::steady_clock::now();
    auto frames = try_video(session, (project.root() / ".uploads").string(), name, body, kTriedVideoFrames);
    if (!frames) return answer_error(response, frames.error());
    json out = json::array();
    for (const TriedFrame& frame : *frames) {
      const json labels = detections_json(frame.labels);
      const std::span<const std::uint8_t> jpeg(reinterpret_cast<const std::uint8_t*>(frame.jpeg.data()),
                                               frame.jpeg.size());
      out.push_back({{"time_s", frame.time_s},
                     {"width", frame.width},
                     {"height", frame.height},
                     {"image", "data:image/jpeg;base64," + base64_encode(jpeg)},
                     {"labels", labels}});
    }
    answer_json(
        response,
        {{"model", model},
         {"video", true},
         {"frames", out},
         {"milliseconds",
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count()}});
  }

  void post_train(const httplib::Request& request, httplib::Response& response) {
    auto train = read_train_request(request.body);
    if (!train) return answer_error(response, 400, "bad_request", train.error().message);
    JobOptions job_options;
    job_options.time_budget_s = train->time_budget_s;
    job_options.steps = train->steps;
    auto model = job.start(job_options);
    if (!model) {
      const bool busy = job.running();
      return answer_error(response, busy ? 409 : 400, busy ? "busy" : "bad_request", model.error().message);
    }
    answer_json(response, {{"model", *model}}, 202);
  }

  // Training ends after its current step and keeps what it learnt; the "done" event follows.
  void post_train_stop(httplib::Response& response) {
    auto model = job.stop();
    if (!model) return answer_error(response, 409, "not_running", model.error().message);
    answer_json(response, {{"model", *model}, {"stopping", true}}, 202);
  }

  void get_events(httplib::Response& response) {
    if (++streams > kMaxEventStreams) {
      --streams;
      return answer_error(
          response, 503, "busy",
          fmt::format("{} pages are following the training already; close some tabs", kMaxEventStreams));
    }
    response.set_header("Cache-Control", "no-store");
    response.set_header("X-Accel-Buffering", "no");
    auto sent = std::make_shared<std::uint64_t>(0);
    auto idle = std::make_shared<int>(0);
    response.set_chunked_content_provider(
        "text/event-stream",
        [this, sent, idle](std::size_t /*offset*/, httplib::DataSink& sink) {
          if (stopping) {
            sink.done();
            return true;
          }
          // This runs outside httplib's handler try/catch: nothing may escape it.
          try {
            const auto event = job.wait_after(*sent, kEventPoll);
            std::string chunk;
            if (event) {
              *sent = event->sequence;
              *idle = 0;
              chunk = fmt::format("event: {}\ndata: {}\n\n", event->kind,
                                  event->data.dump(-1, ' ', false, json::error_handler_t::replace));
            } else if (++*idle >= kKeepAliveEvery) {
              *idle = 0;
              chunk = ": waiting\n\n";  // also how a closed page is noticed
            }
            return chunk.empty() || sink.write(chunk.data(), chunk.size());
          } catch (const std::exception& e) {
            spdlog::error("training events: {}", e.what());
            return false;
          }
        },
        [this](bool) { --streams; });
  }

  void post_serve(const httplib::Request& request, httplib::Response& response) {
    const std::string name = request.matches[1];
    auto model = model_named(name);
    if (!model) return answer_error(response, model.error());
    if (auto served = project.set_served(name); !served) return answer_error(response, served.error());
    answer_json(response, {{"served", name}});
  }

  void get_project_file(const httplib::Request& request, httplib::Response& response) {
    const std::string relative = request.matches[1];
    auto path = project.resolve_inside(relative);
    if (!path) return answer_error(response, path.error());
    std::error_code ec;
    if (!fs::is_regular_file(*path, ec)) {
      return answer_error(response, 404, "not_found", fmt::format("{}: not a file", relative));
    }
    auto bytes = read_binary_file(path->string());
    if (!bytes) return answer_error(response, bytes.error());
    response.set_header("Cache-Control", "no-store");
    // A project file is shown in a sandbox: a page in it (the evaluation report, or anything an
    // upload smuggled in) runs without the app's origin, so it cannot use the API or the token.
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Content-Security-Policy", "sandbox allow-scripts allow-popups");
    response.set_header("Referrer-Policy", "no-referrer");
    response.set_content(std::move(*bytes), content_type_for(*path));
  }

  void get_review(httplib::Response& response) {
    const Review evaluation = review();
    answer_json(response, {{"model", evaluation.model.empty() ? json(nullptr) : json(evaluation.model)},
                           {"items", evaluation.items}});
  }

  // ---- routes -----------------------------------------------------------------------------------

  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  Handler guarded(Handler handler) {
    return
        [this, handler = std::move(handler)](const httplib::Request& request, httplib::Response& response) {
          if (allowed(request, response)) handler(request, response);
        };
  }

  void routes() {
    http.Get("/", [](const httplib::Request&, httplib::Response& response) {
      const WebAsset* index = find_web_asset("index.html");
      response.set_header("Cache-Control", "no-store");
      response.set_content(std::string(index->data), std::string(index->content_type));
    });
    http.Get(R"(/app/([A-Za-z0-9_.-]+))", [](const httplib::Request& request, httplib::Response& response) {
      const WebAsset* asset = find_web_asset(request.matches[1].str());
      if (asset == nullptr) return answer_error(response, 404, "not_found", "no such file of the app");
      response.set_header("Cache-Control", "no-store");
      response.set_content(std::string(asset->data), std::string(asset->content_type));
    });
    http.Get("/api/project", guarded([this](const auto&, auto& response) { get_project(response); }));
    http.Post("/api/labels",
              guarded([this](const auto& request, auto& response) { post_label(request, response); }));
    http.Get(R"(/api/datasets/([a-z]+)/images)",
             guarded([this](const auto& request, auto& response) { get_images(request, response); }));
    http.Put(R"(/api/datasets/([a-z]+)/image)",
             guarded([this](const auto& request, auto& response) { put_image(request, response); }));
    http.Post(R"(/api/datasets/([a-z]+)/import)",
              guarded([this](const auto& request, auto& response) { post_import(request, response); }));
    http.Get("/api/image",
             guarded([this](const auto& request, auto& response) { get_image(request, response); }));
    http.Get(R"(/api/datasets/([a-z]+)/next)",
             guarded([this](const auto& request, auto& response) { get_next(request, response); }));
    http.Get("/api/suggest",
             guarded([this](const auto& request, auto& response) { get_suggest(request, response); }));
    http.Get("/api/review", guarded([this](const auto&, auto& response) { get_review(response); }));
    http.Post("/api/train",
              guarded([this](const auto& request, auto& response) { post_train(request, response); }));
    http.Post("/api/train/stop", guarded([this](const auto&, auto& response) { post_train_stop(response); }));
    http.Get("/api/train/events", guarded([this](const auto&, auto& response) { get_events(response); }));
    http.Post(R"(/api/models/([A-Za-z0-9_-]+)/serve)",
              guarded([this](const auto& request, auto& response) { post_serve(request, response); }));
    http.Post("/api/try",
              guarded([this](const auto& request, auto& response) { post_try(request, response); }));
    http.Get(R"(/project/(.+))",
             guarded([this](const auto& request, auto& response) { get_project_file(request, response); }));

    http.set_exception_handler(
        [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
          std::string what = "unknown error";
          try {
            std::rethrow_exception(error);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          spdlog::error("{} {}: {}", request.method, request.path, what);
          answer_error(response, 500, "internal", fmt::format("internal error: {} (please report it)", what));
        });
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& request,
                                                                       httplib::Response& response) {
      if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (response.status == 413) {
        answer_error(response, 413, "too_large",
                     fmt::format("the upload is larger than {} MiB (--max-upload-mb)",
                                 options.max_upload_bytes >> 20u));
      } else if (response.status == 404) {
        answer_error(response, 404, "not_found", fmt::format("no route {} {}", request.method, request.path));
      } else {
        answer_error(response, response.status, "error", fmt::format("HTTP {}", response.status));
      }
      return httplib::Server::HandlerResponse::Handled;
    }));
  }
};

UiServer::UiServer(Project& project, UiOptions options)
    : impl_(std::make_unique<Impl>(project, std::move(options))) {
  impl_->routes();
  impl_->http.set_payload_max_length(impl_->options.max_upload_bytes);
}

UiServer::~UiServer() = default;

Result<int> UiServer::bind() {
  const UiOptions& o = impl_->options;
  if (o.port == 0) {
    const int port = impl_->http.bind(o.host, 0);
    if (port < 0) return Error{ErrorCode::kIo, fmt::format("cannot listen on {}: no free port", o.host)};
    return port;
  }
  if (impl_->http.bind(o.host, o.port) < 0) {
    return Error{
        ErrorCode::kIo,
        fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, o.port)};
  }
  return o.port;
}

void UiServer::listen() {
  impl_->http.listen_after_bind();
  impl_->http.shutdown();
}

void UiServer::stop() {
  impl_->stopping = true;
  impl_->http.stop();
}

bool UiServer::training() const {
  return impl_->job.running();
}

}  // namespace logoscope::ui
