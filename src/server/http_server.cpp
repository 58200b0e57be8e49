#include "server/http_server.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "api/custom_labels.hpp"
#include "core/thread_pool.hpp"
#include "http/guarded_server.hpp"
#include "server/aws_error.hpp"
#include "server/detection_queue.hpp"
#include "server/inference_pool.hpp"
#include "server/metrics.hpp"
#include "server/rekognition_api.hpp"

namespace logoscope::server {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kAmzJson = "application/x-amz-json-1.1";
constexpr const char* kTargetPrefix = "RekognitionService.";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const auto a = random();
  const auto b = random();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32u, (a >> 16u) & 0xFFFFu, a & 0xFFFu,
                     (b >> 48u & 0x3FFFu) | 0x8000u, b & 0xFFFFFFFFFFFFull);
}

// The body of a request, read with a size cap and a deadline.
struct Body {
  std::string bytes;
  std::string part_content_type;  ///< multipart: the image part's type
  std::optional<AwsError> error;
};

Body read_body(const httplib::Request& request, const httplib::ContentReader& reader,
               const ServerOptions& options, Clock::time_point started) {
  Body body;
  const auto declared = request.get_header_value_count("Content-Length") > 0
                            ? std::strtoull(request.get_header_value("Content-Length").c_str(), nullptr, 10)
                            : 0ULL;
  if (declared > options.max_body_bytes) {
    // httplib skips the body it refuses, so that the connection stays in step for the next request.
    reader([](const char*, std::size_t) { return true; });
    body.error = AwsError{413, "ImageTooLargeException",
                          fmt::format("the request body of {} bytes is over this server's limit of {} bytes",
                                      declared, options.max_body_bytes)};
    return body;
  }
  // The body grows with the bytes that arrive, never reserved from Content-Length: a client that
  // declares 32 MB and sends nothing must not make the server allocate them.
  const auto deadline = started + std::chrono::duration<double>(options.request_timeout_s);
  bool too_large = false;
  bool too_slow = false;
  auto receive = [&](const char* data, std::size_t length) {
    if (body.bytes.size() + length > options.max_body_bytes) {
      too_large = true;
      return false;
    }
    if (Clock::now() > deadline) {
      too_slow = true;
      return false;
    }
    body.bytes.append(data, length);
    return true;
  };
  bool complete = false;
  if (request.is_multipart_form_data()) {
    bool in_image = false;
    bool found = false;
    complete = reader(
        [&](const httplib::MultipartFormData& part) {
          in_image = !found && (part.name == "image" || !part.filename.empty());
          if (in_image) {
            found = true;
            body.part_content_type = part.content_type;
          }
          return true;
        },
        [&](const char* data, std::size_t length) { return in_image ? receive(data, length) : !too_large; });
    if (complete && !found) {
      body.error = AwsError{400, "InvalidParameterException",
                            "the multipart upload has no part named \"image\" and no file part"};
      return body;
    }
  } else {
    complete = reader(receive);
  }
  if (too_large) {
    body.error = AwsError{
        413, "ImageTooLargeException",
        fmt::format("the request body is over this server's limit of {} bytes", options.max_body_bytes)};
  } else if (too_slow || (!complete && Clock::now() > deadline)) {
    body.error =
        AwsError{408, "RequestTimeoutException",
                 fmt::format("the request body did not arrive within {} s", options.request_timeout_s)};
  } else if (!complete) {
    body.error = AwsError{
        400, "IncompleteBodyException",
        declared > 0 ? fmt::format("the request body ended after {} of the {} bytes its Content-Length "
                                   "declares",
                                   body.bytes.size(), declared)
                     : std::string("the request body could not be read")};
  }
  return body;
}

}  // namespace

// The guard's limits from the server's options; what it turns away answers in AWS's error shape.
logoscope::http::GuardOptions guard_options(const ServerOptions& o) {
  logoscope::http::GuardOptions guard;
  guard.head_timeout_s = o.head_timeout_s;
  guard.idle_timeout_s = 5;
  guard.read_timeout_s = o.read_timeout_s;
  guard.write_timeout_s = o.write_timeout_s;
  guard.max_connections_per_address = o.max_connections_per_address;
  guard.workers = std::max(4, o.http_threads);
  guard.refusal_body = [](int status, const std::string& message) {
    const char* type = status == 429 || status == 503 ? "ThrottlingException"
                       : status == 408                ? "RequestTimeoutException"
                                                      : "BadRequestException";
    return aws_error_body(AwsError{status, type, message});
  };
  return guard;
}

struct Server::Impl {
  ModelRegistry& registry;
  ServerOptions options;
  logoscope::http::GuardedServer http;
  std::unique_ptr<InferencePool> pool;
  std::unique_ptr<DetectionQueue> queue;
  std::unique_ptr<RekognitionApi> rekognition_api;
  Metrics metrics;
  std::atomic<bool> ready{false};
  int threads_per_worker = 1;

  Impl(ModelRegistry& models, ServerOptions server_options)
      : registry(models), options(std::move(server_options)), http(guard_options(options)) {}

  // ---- answers ---------------------------------------------------------------------------------

  // A body that was not read whole leaves unknown bytes on the connection: end it after answering.
  // A 429 says when to come back.
  static void add_error_headers(httplib::Response& response, const AwsError& error) {
    if (error.type == "RequestTimeoutException" || error.type == "IncompleteBodyException" ||
        error.http_status == 413) {
      response.set_header("Connection", "close");
    }
    if (error.http_status == 429) response.set_header("Retry-After", "1");
  }

  void answer_aws(httplib::Response& response, const std::string& operation, const AwsError& error,
                  Clock::time_point started) {
    response.status = error.http_status;
    add_error_headers(response, error);
    response.set_header("x-amzn-ErrorType", error.type);
    response.set_content(aws_error_body(error), kAmzJson);
    metrics.record_error(operation, error.type);
    metrics.record(operation, error.http_status, seconds_since(started));
  }

  void answer_aws(httplib::Response& response, const std::string& operation, const json& body,
                  Clock::time_point started) {
    response.status = 200;
    response.set_content(body.dump(), kAmzJson);
    metrics.record(operation, 200, seconds_since(started));
  }

  void answer_rest(httplib::Response& response, const std::string& operation, const AwsError& error,
                   Clock::time_point started) {
    response.status = error.http_status;
    add_error_headers(response, error);
    response.set_content(
        json{{"error",
              {{"code", rest_error_code(error.type)}, {"type", error.type}, {"message", error.message}}}}
            .dump(),
        "application/json");
    metrics.record_error(operation, error.type);
    metrics.record(operation, error.http_status, seconds_since(started));
  }

  std::optional<AwsError> check_signature(const httplib::Request& request, const std::string& body) const {
    if (options.keys.empty()) return std::nullopt;
    SigV4Request signed_request;
    signed_request.method = request.method;
    const auto question = request.target.find('?');
    signed_request.path = request.target.substr(0, question);
    signed_request.query = question == std::string::npos ? "" : request.target.substr(question + 1);
    for (const auto& [name, value] : request.headers) {
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT")
        continue;
      signed_request.headers.emplace_back(name, value);
    }
    signed_request.body = body;
    auto rejection = verify_sigv4(signed_request, options.keys, std::chrono::system_clock::now());
    if (!rejection) return std::nullopt;
    return AwsError{rejection->http_status, rejection->aws_type, rejection->message};
  }

  void rekognition(const httplib::Request& request, httplib::Response& response,
                   const httplib::ContentReader& reader) {
    const auto started = Clock::now();
    response.set_header("x-amzn-RequestId", request_id());
    const std::string target = request.get_header_value("X-Amz-Target");
    const std::string operation =
        target.rfind(kTargetPrefix, 0) == 0 ? target.substr(std::string(kTargetPrefix).size()) : "unknown";
    const Body body = read_body(request, reader, options, started);
    if (body.error) return answer_aws(response, operation, *body.error, started);
    if (auto rejected = check_signature(request, body.bytes))
      return answer_aws(response, operation, *rejected, started);
    const auto& kOperations = RekognitionApi::operations();
    if (std::find(kOperations.begin(), kOperations.end(), operation) == kOperations.end()) {
      return answer_aws(
          response, "unknown",
          AwsError{400, "UnknownOperationException",
                   target.empty() ? "the X-Amz-Target header is missing (e.g. "
                                    "RekognitionService.DetectCustomLabels)"
                                  : fmt::format("unknown operation \"{}\" (this server answers "
                                                "RekognitionService.{})",
                                                target, fmt::join(kOperations, ", RekognitionService."))},
          started);
    }
    if (operation == "DetectCustomLabels" && queue->full())
      return answer_aws(response, operation, queue->throttled(), started);
    const auto request_json = json::parse(body.bytes, nullptr, false);
    if (request_json.is_discarded() || !request_json.is_object()) {
      return answer_aws(response, operation,
                        AwsError{400, "SerializationException",
                                 body.bytes.empty() ? "the request body is empty (expected a JSON object)"
                                                    : "the request body is not a JSON object"},
                        started);
    }
    auto answer = rekognition_api->call(operation, request_json);
    if (auto* error = std::get_if<AwsError>(&answer)) return answer_aws(response, operation, *error, started);
    answer_aws(response, operation, std::get<json>(answer), started);
  }

  // ---- REST ------------------------------------------------------------------------------------

  std::variant<DetectOptions, AwsError> rest_options(const httplib::Request& request) {
    DetectOptions detect_options;
    try {
      if (request.has_param("min_confidence")) {
        const std::string text = request.get_param_value("min_confidence");
        std::size_t used = 0;
        const double value = std::stod(text, &used);
        if (used != text.size() || value < 0 || value > 100) throw std::invalid_argument(text);
        detect_options.min_confidence = value;
      }
    } catch (const std::exception&) {
      return AwsError{400, "InvalidParameterException",
                      fmt::format("min_confidence must be a number from 0 to 100, not \"{}\"",
                                  request.get_param_value("min_confidence"))};
    }
    try {
      if (request.has_param("max_results")) {
        const std::string text = request.get_param_value("max_results");
        std::size_t used = 0;
        const long long value = std::stoll(text, &used);
        if (used != text.size() || value < 0) throw std::invalid_argument(text);
        detect_options.max_results = static_cast<std::size_t>(value);
      }
    } catch (const std::exception&) {
      return AwsError{400, "InvalidParameterException",
                      fmt::format("max_results must be a whole number ≥ 0, not \"{}\"",
                                  request.get_param_value("max_results"))};
    }
    if (request.has_param("labels")) {
      std::string list = request.get_param_value("labels");
      std::size_t begin = 0;
      while (begin <= list.size()) {
        const auto comma = list.find(',', begin);
        const auto name = list.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
        if (!name.empty()) detect_options.labels.push_back(name);
        if (comma == std::string::npos) break;
        begin = comma + 1;
      }
    }
    return detect_options;
  }

  void rest_detect(const httplib::Request& request, httplib::Response& response,
                   const httplib::ContentReader& reader) {
    const auto started = Clock::now();
    const std::string operation = "rest_detect";
    const Body body = read_body(request, reader, options, started);
    if (body.error) return answer_rest(response, operation, *body.error, started);
    if (auto rejected = check_signature(request, body.bytes))
      return answer_rest(response, operation, *rejected, started);
    if (queue->full()) return answer_rest(response, operation, queue->throttled(), started);
    auto detect_options = rest_options(request);
    if (auto* error = std::get_if<AwsError>(&detect_options))
      return answer_rest(response, operation, *error, started);
    if (body.bytes.empty()) {
      return answer_rest(
          response, operation,
          AwsError{400, "InvalidImageFormatException",
                   "the request has no image: send its bytes as the body or as a multipart part "
                   "named \"image\""},
          started);
    }
    const std::string name = request.matches[1];
    std::vector<std::uint8_t> bytes(body.bytes.begin(), body.bytes.end());
    auto found = queue->detect(name, std::move(bytes), std::get<DetectOptions>(detect_options));
    if (auto* error = std::get_if<AwsError>(&found)) {
      AwsError rest = *error;
      if (rest.type == "ResourceNotFoundException") rest.http_status = 404;
      if (rest.type == "ResourceNotReadyException") rest.http_status = 503;
      if (rest.type == "InvalidImageFormatException") rest.http_status = 415;
      return answer_rest(response, operation, rest, started);
    }
    response.status = 200;
    response.set_content(api::to_custom_labels_json(std::get<DetectResult>(found), "").dump(),
                         "application/json");
    metrics.record(operation, 200, seconds_since(started));
  }

  void list_models(const httplib::Request& request, httplib::Response& response) {
    const auto started = Clock::now();
    if (auto rejected = check_signature(request, ""))
      return answer_rest(response, "models", *rejected, started);
    json models = json::array();
    for (const auto& entry : registry.entries()) {
      json model{{"name", entry.name},
                 {"version", entry.version},
                 {"project_arn", entry.project_arn},
                 {"version_arn", entry.version_arn},
                 {"directory", entry.directory},
                 {"status", model_status_name(entry.status)},
                 {"status_message", entry.status_message}};
      if (entry.model != nullptr) {
        const auto& description = entry.model->description();
        model["labels"] = description.labels;
        model["min_confidence"] = description.min_confidence;
        model["architecture"] = description.architecture;
        model["load_seconds"] = entry.load_seconds;
      }
      models.push_back(std::move(model));
    }
    response.set_content(json{{"models", models}}.dump(), "application/json");
    metrics.record("models", 200, seconds_since(started));
  }

  void health(httplib::Response& response) {
    const auto entries = registry.entries();
    const bool running = std::any_of(entries.begin(), entries.end(), [](const ModelEntry& entry) {
      return entry.status == ModelStatus::kRunning;
    });
    const bool ok = ready.load() && running;
    response.status = ok ? 200 : 503;
    json models = json::object();
    for (const auto& entry : entries) models[entry.name] = model_status_name(entry.status);
    response.set_content(json{{"status", ok ? "ok" : "starting"}, {"models", models}}.dump(),
                         "application/json");
  }

  void metrics_text(httplib::Response& response) {
    Metrics::Gauges gauges;
    gauges.queue_depth = pool->queued();
    gauges.running = pool->running();
    gauges.capacity = pool->capacity();
    gauges.workers = pool->workers();
    for (const auto& entry : registry.entries()) {
      gauges.model_running.emplace_back(entry.name, entry.status == ModelStatus::kRunning);
      if (entry.load_seconds > 0) gauges.model_load_seconds.emplace_back(entry.name, entry.load_seconds);
    }
    const auto refused = http.counts();
    gauges.connections_refused = {{"head_timeout", refused.head_timeouts},
                                  {"head_too_large", refused.heads_too_large},
                                  {"per_address_cap", refused.refused_per_address},
                                  {"connection_cap", refused.refused_in_all}};
    response.set_content(metrics.render(gauges), "text/plain; version=0.0.4");
  }

  void routes() {
    http.Post("/", [this](const httplib::Request& request, httplib::Response& response,
                          const httplib::ContentReader& reader) { rekognition(request, response, reader); });
    http.Post(R"(/v1/models/([A-Za-z0-9_.\-]+)/detect)",
              [this](const httplib::Request& request, httplib::Response& response,
                     const httplib::ContentReader& reader) { rest_detect(request, response, reader); });
    http.Get("/v1/models", [this](const httplib::Request& request, httplib::Response& response) {
      list_models(request, response);
    });
    http.Get("/health", [this](const httplib::Request&, httplib::Response& response) { health(response); });
    http.Get("/metrics",
             [this](const httplib::Request&, httplib::Response& response) { metrics_text(response); });
    http.set_exception_handler([this](const httplib::Request& request, httplib::Response& response,
                                      const std::exception_ptr& exception) {
      std::string what = "unknown error";
      try {
        if (exception) std::rethrow_exception(exception);
      } catch (const std::exception& error) {
        what = error.what();
      } catch (...) {
      }
      spdlog::error("{} {}: {}", request.method, request.path, what);
      response.status = 500;
      response.set_content(aws_error_body({500, "InternalServerError", what}), kAmzJson);
      metrics.record_error("internal", "InternalServerError");
    });
    // Answers httplib gives itself (unknown route, oversized or malformed request) in the same shape.
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [](const httplib::Request& request, httplib::Response& response) {
          if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          const AwsError error =
              response.status == 404 ? AwsError{404, "UnknownRouteException",
                                                fmt::format("no route {} {} (see GET /v1/models, POST /, "
                                                            "POST /v1/models/NAME/detect)",
                                                            request.method, request.path)}
              : response.status == 413
                  ? AwsError{413, "ImageTooLargeException", "the request body is too large"}
                  : AwsError{response.status, "BadRequestException",
                             fmt::format("the request could not be read (HTTP {})", response.status)};
          response.set_content(aws_error_body(error), "application/json");
          return httplib::Server::HandlerResponse::Handled;
        }));
  }
};

Server::Server(ModelRegistry& registry, ServerOptions options)
    : impl_(std::make_unique<Impl>(registry, std::move(options))) {
  auto& o = impl_->options;
  impl_->threads_per_worker = std::max(1, o.threads_per_worker);
  const int workers =
      o.workers > 0 ? o.workers : std::max(1, default_thread_count() / impl_->threads_per_worker);
  impl_->pool = std::make_unique<InferencePool>(workers, o.queue_capacity);
  impl_->queue =
      std::make_unique<DetectionQueue>(registry, *impl_->pool, impl_->threads_per_worker, o.max_pixels);
  impl_->rekognition_api = std::make_unique<RekognitionApi>(registry, *impl_->queue);
  impl_->http.set_payload_max_length(o.max_body_bytes);
  const auto split = [](double seconds) {
    const auto whole = static_cast<time_t>(seconds);
    return std::pair<time_t, time_t>{whole,
                                     static_cast<time_t>((seconds - static_cast<double>(whole)) * 1e6)};
  };
  const auto [read_s, read_us] = split(o.read_timeout_s);
  const auto [write_s, write_us] = split(o.write_timeout_s);
  impl_->http.set_read_timeout(read_s, read_us);
  impl_->http.set_write_timeout(write_s, write_us);
  impl_->routes();
}

Server::~Server() {
  stop();
  impl_->pool->shutdown();
}

const ServerOptions& Server::options() const {
  return impl_->options;
}

void Server::set_ready(bool ready) {
  impl_->ready = ready;
}

Result<int> Server::bind() {
  const auto& o = impl_->options;
  const int port = impl_->http.bind(o.host, o.port);
  if (port < 0 && o.port == 0) return Error{ErrorCode::kIo, fmt::format("cannot listen on {}: no free port", o.host)};
  if (port < 0) {
    return Error{
        ErrorCode::kIo,
        fmt::format("cannot listen on {}:{} (in use, or not an address of this machine)", o.host, o.port)};
  }
  return port;
}

void Server::listen() {
  impl_->http.listen_after_bind();
  impl_->http.shutdown();  // the requests whose head had arrived are answered first
  impl_->pool->shutdown();
}

void Server::stop() {
  if (impl_->http.is_running()) impl_->http.stop();
}

}  // namespace logoscope::server
