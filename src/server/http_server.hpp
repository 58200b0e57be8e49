// server/http_server.hpp — `logoscope serve`: Rekognition's JSON protocol and a plain REST API over
// the library, with a fixed pool of inference workers.
//
// Routes (docs/serve.md has the request and answer shapes):
//   POST /                         X-Amz-Target: RekognitionService.{DetectCustomLabels,
//                                  DescribeProjects, DescribeProjectVersions, StartProjectVersion,
//                                  StopProjectVersion}, body JSON 1.1, answers as AWS does
//   POST /v1/models/{name}/detect  raw image body or multipart (field "image"); query
//                                  min_confidence, max_results, labels=a,b
//   GET  /v1/models                the models, their ARNs, status and labels
//   GET  /health                   200 once the models given at start-up are loaded, 503 before
//   GET  /metrics                  Prometheus text (server/metrics.hpp)
//
// Robustness: HTTP threads only read, parse and wait; detection runs on `workers` inference workers
// behind a queue of `queue_capacity` (full → 429 ThrottlingException at once). Bodies over
// max_body_bytes → 413; a body that does not arrive whole within request_timeout → 408; a body
// shorter than its Content-Length → 400; per-read and per-write socket timeouts. Slow and hostile
// clients (http/guarded_server.hpp): request heads are read on one thread for every connection, so
// a slow head holds no HTTP thread; a head must arrive within head_timeout_s (408) and be under
// 64 KiB and 100 header lines (431); one address may hold max_connections_per_address connections
// (429). stop() finishes the requests in flight before returning from listen().
//
// Authentication: none by default. With keys, every route but /health and /metrics needs an AWS
// Signature Version 4 (what AWS CLIs, SDKs and `curl --aws-sigv4` send) made with one of them.
//
// Thread safety: stop() may be called from any thread (e.g. a signal-waiting one); the rest from
// the owning thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "logoscope/result.hpp"
#include "server/model_registry.hpp"
#include "server/sigv4.hpp"

namespace logoscope::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                          ///< 0 = any free port (see Server::bind)
  int workers = 0;                          ///< inference workers; 0 = free cores / threads_per_worker
  int threads_per_worker = 1;               ///< network threads of each worker
  std::size_t queue_capacity = 32;          ///< detections waiting for a worker before 429
  int http_threads = 128;                   ///< requests handled at once (their heads arrived; each waits, mostly)
  double head_timeout_s = 10;               ///< a request's line and headers, from their first byte → 408
  int max_connections_per_address = 256;    ///< open connections from one client address; more → 429 (0: no cap)
  std::size_t max_body_bytes = 32u << 20u;  ///< larger bodies → 413
  std::int64_t max_pixels = 200'000'000;    ///< larger images → ImageTooLargeException
  double read_timeout_s = 5;                ///< one socket read
  double write_timeout_s = 5;               ///< one socket write
  double request_timeout_s = 30;            ///< the whole body, from the end of the headers
  std::vector<SigV4Key> keys;               ///< empty: requests need no signature
};

class Server {
 public:
  /// `registry` must outlive the server.
  Server(ModelRegistry& registry, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Binds host:port; returns the port bound (the chosen one for port 0). Errors: kIo naming
  /// host:port.
  Result<int> bind();
  /// Serves until stop(); requires bind(). Returns after in-flight requests have been answered.
  void listen();
  /// Stops accepting and makes listen() return once the requests in flight are answered.
  void stop();
  /// Marks the start-up models as loaded (GET /health answers 200 while one is RUNNING).
  void set_ready(bool ready);

  [[nodiscard]] const ServerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace logoscope::server
