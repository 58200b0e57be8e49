// `logoscope serve`: an HTTP server answering Rekognition's DetectCustomLabels protocol and a REST
// API (server/http_server.hpp) for one or more models.
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/files.hpp"
#include "core/text.hpp"
#include "core/thread_pool.hpp"
#include "infer/tiling.hpp"
#include "model/model_info.hpp"
#include "server/http_server.hpp"

namespace logoscope::cli {

namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string port_file;
  int workers = 0;
  int threads_per_worker = 1;
  std::size_t queue = 32;
  double max_body_mb = 32;
  double request_timeout = 30;
  double read_timeout = 5;
  double head_timeout = 10;
  int max_connections_per_address = 256;
  std::string auth_keys;
  int infer_size = 0;
  std::string tile = "auto";
  bool bf16 = false;
  bool int8 = false;
  bool no_large_logo_pass = false;
  FlipAverageFlags flip_average;
};

// "ACCESS_KEY_ID SECRET" or "ACCESS_KEY_ID:SECRET" per line; '#' starts a comment.
std::vector<server::SigV4Key> read_keys(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw Failure(Error{ErrorCode::kNotFound, fmt::format("--auth-keys {}: cannot read the file", path)});
  std::vector<server::SigV4Key> keys;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    line = line.substr(first, last - first + 1);
    const auto split = line.find_first_of(": \t");
    if (split == std::string::npos || split == 0) {
      throw Failure(Error{ErrorCode::kParse,
                          fmt::format("{}:{}: expected \"ACCESS_KEY_ID SECRET_ACCESS_KEY\"", path, number)});
    }
    const auto secret_start = line.find_first_not_of(": \t", split);
    if (secret_start == std::string::npos) {
      throw Failure(
          Error{ErrorCode::kParse, fmt::format("{}:{}: the secret access key is missing", path, number)});
    }
    keys.push_back({line.substr(0, split), line.substr(secret_start)});
  }
  if (keys.empty())
    throw Failure(Error{ErrorCode::kInvalidValue, fmt::format("--auth-keys {}: no keys in it", path)});
  return keys;
}

// How every served model runs, from serve's options.
ModelOptions model_options_of(const ServeArgs& args) {
  ModelOptions model_options;
  model_options.infer_size = args.infer_size;
  const auto mode = value_or_throw(infer::parse_tile_mode(args.tile));
  model_options.tiling = mode == infer::TileMode::kOn    ? Tiling::kOn
                         : mode == infer::TileMode::kOff ? Tiling::kOff
                                                         : Tiling::kAuto;
  model_options.bf16 = args.bf16;
  model_options.int8 = args.int8;
  model_options.large_logo_pass = !args.no_large_logo_pass;
  model_options.flip_average = args.flip_average.value();
  return model_options;
}

int run_serve(const ServeArgs& args) {
  server::ModelRegistry registry(model_options_of(args));
  std::vector<server::ModelSpec> specs;
  InputSet read = {args.auth_keys};
  for (const auto& text : args.models) {
    specs.push_back(value_or_throw(server::parse_model_spec(text)));
    read.add_folder_with(specs.back().directory, model::model_files());
  }
  if (auto apart = read.check_output(args.port_file, "--port-file"); !apart) throw Failure(apart.error());
  for (const auto& spec : specs) {
    if (auto added = registry.add(spec); !added) throw Failure(added.error());
  }

  server::ServerOptions options;
  options.host = args.host;
  options.port = args.port;
  options.workers = args.workers;
  options.threads_per_worker = args.threads_per_worker;
  options.queue_capacity = args.queue;
  options.max_body_bytes = static_cast<std::size_t>(args.max_body_mb * 1024 * 1024);
  options.request_timeout_s = args.request_timeout;
  options.read_timeout_s = args.read_timeout;
  options.write_timeout_s = args.read_timeout;
  options.head_timeout_s = args.head_timeout;
  options.max_connections_per_address = args.max_connections_per_address;
  if (!args.auth_keys.empty()) options.keys = read_keys(args.auth_keys);
  const int workers = options.workers > 0
                          ? options.workers
                          : std::max(1, default_thread_count() / std::max(1, args.threads_per_worker));
  if (workers * args.threads_per_worker > default_thread_count()) {
    spdlog::warn("{} workers x {} threads is more than the {} cores: requests will slow each other down",
                 workers, args.threads_per_worker, default_thread_count());
  }

  // SIGINT / SIGTERM end the server gracefully; they are taken by one thread with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::Server server(registry, options);
  const int port = value_or_throw(server.bind());
  if (!args.port_file.empty()) {
    if (auto written = write_file_atomically(args.port_file, std::to_string(port) + "\n"); !written) {
      throw Failure(written.error());
    }
  }
  spdlog::info(
      "listening on http://{}:{} ({} workers x {} threads, queue {}, {}); loading {}", args.host, port,
      workers, args.threads_per_worker, args.queue,
      options.keys.empty() ? "no authentication" : fmt::format("SigV4 with {} keys", options.keys.size()),
      count_of(args.models.size(), "model"));

  std::atomic<bool> finished{false};
  std::atomic<bool> load_failed{false};
  std::thread loader([&] {
    for (const auto& entry : registry.entries()) registry.start(entry.name, true);
    for (const auto& entry : registry.entries()) {
      if (entry.status == server::ModelStatus::kFailed) load_failed = true;
    }
    if (load_failed) {
      spdlog::error("a model could not be loaded; stopping");
      while (!finished) {
        server.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return;
    }
    server.set_ready(true);
    spdlog::info(
        "ready: POST / (Rekognition), POST /v1/models/NAME/detect, GET /v1/models, /health, /metrics");
  });
  std::thread signal_waiter([&] {
    const timespec tick{0, 100'000'000};
    while (!finished) {
      const int received = sigtimedwait(&signals, nullptr, &tick);
      if (received == SIGINT || received == SIGTERM) {
        spdlog::info("stopping: answering the requests in flight");
        while (!finished) {
          server.stop();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
  });
  server.listen();
  finished = true;
  loader.join();
  signal_waiter.join();
  spdlog::info("stopped");
  return load_failed ? kExitUsage : kExitOk;
}

}  // namespace

void register_serve(CLI::App& app, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve models over HTTP. Existing Rekognition code switches by endpoint URL: POST / answers\n"
      "DetectCustomLabels, DescribeProjects, DescribeProjectVersions, Start/StopProjectVersion in AWS's\n"
      "JSON 1.1 protocol; POST /v1/models/NAME/detect takes a raw image or a multipart upload; GET\n"
      "/v1/models, /health (503 until the models are loaded) and /metrics (Prometheus). A full queue\n"
      "answers 429 at once; SIGTERM or Ctrl-C finishes the requests in flight, then exits 0.\n"
      "Each model has a NAME and a Rekognition-style version ARN that stays the same while its files do;\n"
      "the server prints the ARNs when it starts and GET /v1/models lists them (AWS clients need the ARN:\n"
      "they refuse a ProjectVersionArn under 20 characters; the REST API takes the NAME).\n"
      "Example: logoscope serve --model redbull=models/redbull --port 8080\n"
      "         aws rekognition detect-custom-labels --endpoint-url http://127.0.0.1:8080 \\\n"
      "           --project-version-arn ARN --image-bytes fileb://photo.jpg\n"
      "         curl --data-binary @photo.jpg "
      "'http://127.0.0.1:8080/v1/models/redbull/detect?min_confidence=50'");
  cmd->add_option(
         "--model", args->models,
         "A model folder to serve, as DIR or NAME=DIR (NAME defaults to the folder's name); repeat for "
         "several")
      ->required();
  cmd->add_option("--host", args->host, "Address to listen on (0.0.0.0: every interface)")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0: any free port; see --port-file)")
      ->capture_default_str()
      ->check(between(0, 65535));
  cmd->add_option("--port-file", args->port_file, "Write the port listened on into this file once bound");
  cmd->add_option("--workers", args->workers,
                  "Inference workers, each detecting one image at a time (0: cores / --threads-per-worker)")
      ->capture_default_str()
      ->check(between(0, 256));
  cmd->add_option("--threads-per-worker", args->threads_per_worker, "CPU threads for each worker's network")
      ->capture_default_str()
      ->check(between(1, 256));
  cmd->add_option("--queue", args->queue,
                  "Requests that may wait for a worker; more get 429 ThrottlingException at once")
      ->capture_default_str()
      ->check(between(1, 100000));
  cmd->add_option("--max-body-mb", args->max_body_mb, "Largest request body in MiB; larger ones get 413")
      ->capture_default_str()
      ->check(between(0.001, 4096.0));
  cmd->add_option("--request-timeout", args->request_timeout,
                  "Seconds a request's body may take to arrive; slower ones get 408")
      ->capture_default_str()
      ->check(between(0.1, 3600.0));
  cmd->add_option("--read-timeout", args->read_timeout, "Seconds one socket read or write may wait")
      ->capture_default_str()
      ->check(between(0.1, 3600.0));
  cmd->add_option("--head-timeout", args->head_timeout,
                  "Seconds a request's line and headers may take to arrive; slower ones get 408 (slow clients\n"
                  "hold no HTTP thread meanwhile)")
      ->capture_default_str()
      ->check(between(0.1, 3600.0));
  cmd->add_option("--max-connections-per-address", args->max_connections_per_address,
                  "Open connections one client address may hold; more get 429 at once (0: no cap; behind a load\n"
                  "balancer every client has the balancer's address)")
      ->capture_default_str()
      ->check(between(0, 100000));
  cmd->add_option(
      "--auth-keys", args->auth_keys,
      "Require AWS Signature Version 4 with one of these keys: a file of \"ACCESS_KEY_ID SECRET\" lines\n"
      "(default: no authentication; bind to 127.0.0.1 then)");
  cmd->add_option("--infer-size", args->infer_size,
                  "Resize images so their long side is this (default: the model's)")
      ->check(between(32, 16384));
  cmd->add_option("--tile", args->tile, "auto (default), on or off: as in `logoscope detect`")
      ->check(CLI::IsMember({"auto", "off", "on"}));
  cmd->add_flag("--bf16", args->bf16,
                "bfloat16 convolutions (CPUs with AVX-512 BF16), as in `logoscope detect`");
  add_int8_flag(*cmd, args->int8)->excludes("--bf16");
  add_flip_average_flags(*cmd, args->flip_average);
  cmd->add_flag("--no-large-logo-pass", args->no_large_logo_pass,
                "Skip the large-logo pass, as in `logoscope detect`");
  cmd->callback([args, &state] { state.exit_code = run_serve(*args); });
}

}  // namespace logoscope::cli
