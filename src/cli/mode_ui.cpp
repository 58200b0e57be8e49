// `logoscope ui PROJECT_DIR`: the web app — label, train, evaluate and try a detector in the
// browser (ui/ui_server.hpp, docs/ui.md).
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_app.hpp"
#include "cli/modes.hpp"
#include "core/files.hpp"
#include "ui/project.hpp"
#include "ui/ui_server.hpp"

namespace logoscope::cli {

namespace {

struct UiArgs {
  std::string project;
  std::string host = "127.0.0.1";
  int port = 8090;
  std::string port_file;
  std::string token;
  double max_upload_mb = 256;
};

std::string random_token() {
  std::random_device device;
  std::string token;
  for (int word = 0; word < 4; ++word) token += fmt::format("{:08x}", device());
  return token;
}

int run_ui(const UiArgs& args) {
  auto project = value_or_throw(ui::Project::open(args.project));
  ui::UiOptions options;
  options.host = args.host;
  options.port = args.port;
  options.token = args.token;
  options.max_upload_bytes = static_cast<std::size_t>(args.max_upload_mb * 1024 * 1024);
  if (options.token.empty() && !ui::is_loopback_host(args.host)) {
    options.token = random_token();
    spdlog::info("bound to {}, which other machines can reach: every request needs the access token",
                 args.host);
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ui::UiServer server(*project, options);
  const int port = value_or_throw(server.bind());
  if (!args.port_file.empty()) {
    if (auto written = write_file_atomically(args.port_file, std::to_string(port) + "\n"); !written) {
      throw Failure(written.error());
    }
  }
  const std::string shown_host = args.host == "0.0.0.0" || args.host == "::" ? "127.0.0.1" : args.host;
  const std::string address = fmt::format(
      "http://{}:{}/{}", shown_host.find(':') != std::string::npos ? "[" + shown_host + "]" : shown_host,
      port, options.token.empty() ? "" : "?token=" + options.token);
  spdlog::info("project {} ({})", project->name(), project->root().string());
  // The address goes to stdout so that scripts can read it; Ctrl-C stops.
  fmt::print("open {}\n", address);
  std::fflush(stdout);

  std::atomic<bool> finished{false};
  std::atomic<bool> interrupted{false};
  std::thread signal_waiter([&] {
    const timespec tick{0, 100'000'000};
    while (!finished) {
      const int received = sigtimedwait(&signals, nullptr, &tick);
      if (received == SIGINT || received == SIGTERM) {
        interrupted = true;
        while (!finished) {
          server.stop();
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    }
  });
  server.listen();
  finished = true;
  signal_waiter.join();
  if (server.training()) {
    // Training has no safe stopping point from outside; its model folder stays incomplete (the
    // project lists it as failed) and the process ends without waiting for it.
    spdlog::warn("stopped during a training: its model folder is left incomplete");
    spdlog::shutdown();
    std::_Exit(kExitOk);
  }
  spdlog::info("stopped{}", interrupted ? "" : " (the server ended)");
  return kExitOk;
}

}  // namespace

void register_ui(CLI::App& app, RunState& state, const CommonOptions& /*common*/) {
  auto args = std::make_shared<UiArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ui",
      "The web app: import images or videos, draw boxes, train, read the evaluation and try the model\n"
      "in a browser. PROJECT_DIR holds everything as ordinary logoscope files (train.manifest,\n"
      "test.manifest, images/, models/vN/ with evaluation/), so the CLI works on it too; a new or empty\n"
      "folder becomes a project. Bound to 127.0.0.1 by default; bound elsewhere, every request needs\n"
      "an access token (printed in the address).\n"
      "Example: logoscope ui my-project        then open http://127.0.0.1:8090/");
  cmd->add_option("PROJECT_DIR", args->project, "The project folder (created when missing)")->required();
  cmd->add_option("--host", args->host,
                  "Address to listen on (0.0.0.0: every interface; a token is then required)")
      ->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0: any free port; see --port-file)")
      ->capture_default_str()
      ->check(between(0, 65535));
  cmd->add_option("--port-file", args->port_file, "Write the port listened on into this file once bound");
  cmd->add_option(
      "--token", args->token,
      "Access token every request must carry (default: none on 127.0.0.1, a random one elsewhere)");
  cmd->add_option("--max-upload-mb", args->max_upload_mb, "Largest upload (images, videos) in MiB")
      ->capture_default_str()
      ->check(between(1.0, 65536.0));
  cmd->callback([args, &state] { state.exit_code = run_ui(*args); });
}

}  // namespace logoscope::cli
