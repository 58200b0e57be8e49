// ui/ui_server.hpp — `logoscope ui`: the web app's HTTP server. It serves the browser app built
// into the binary (ui/web/, plain ES modules, no build step) and a JSON API over the project
// (project.hpp), the training job (training_job.hpp) and the public library for detection
// (detect.hpp). docs/ui.md has the routes and their shapes.
//
// Safety: only files inside the project folder are served (no "..", no symbolic link out). Bound
// to a loopback address without a token, requests must name a loopback Host (a web page elsewhere
// cannot reach the API through DNS rebinding); with a token (required when bound elsewhere) every
// /api and /project request carries it as "Authorization: Bearer T" or "?token=T". Requests that
// change something and carry an Origin must come from the app's own origin. Bodies are capped.
//
// Thread safety: stop() from any thread; the rest from the owning thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "logoscope/result.hpp"
#include "ui/project.hpp"

namespace logoscope::ui {

struct UiOptions {
  std::string host = "127.0.0.1";
  int port = 8090;                            ///< 0 = any free port
  std::string token;                          ///< empty: none (loopback only)
  std::size_t max_upload_bytes = 256u << 20;  ///< larger request bodies → 413
  int threads = 0;                            ///< network threads for detection; 0 = free cores
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);

class UiServer {
 public:
  /// `project` must outlive the server.
  UiServer(Project& project, UiOptions options);
  ~UiServer();
  UiServer(const UiServer&) = delete;
  UiServer& operator=(const UiServer&) = delete;

  /// Binds host:port; returns the port. Errors: kIo naming host:port.
  Result<int> bind();
  /// Serves until stop().
  void listen();
  void stop();
  /// True while a training runs (the process should not exit under it).
  [[nodiscard]] bool training() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logoscope::ui
