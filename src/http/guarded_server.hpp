// http/guarded_server.hpp — httplib's server with slow and hostile clients held off, for `serve`
// and `ui`.
//
// httplib gives every connection a thread for as long as its request takes to arrive: 150 clients
// sending one byte a second (slowloris) hold 150 threads, and a health check waits behind them.
// GuardedServer takes each accepted connection off httplib's thread at once and reads request
// heads for all connections on one epoll thread. Only a connection whose whole head has arrived
// gets a worker, which runs httplib's own request handling (routes, body limits, responses) on
// the bytes already read; between keep-alive requests the connection goes back to the epoll
// thread. So slow heads cost a file descriptor and a buffer, never a worker. On top:
//   - the head must arrive within head_timeout_s of its first byte (else 408, closed);
//   - at most max_head_bytes and max_header_lines in it (else 431, closed);
//   - a keep-alive connection idle for idle_timeout_s is closed;
//   - at most max_connections_per_address held at once per client address, max_connections in
//     all (else 429 / 503 at once, closed);
// and the body keeps httplib's per-read timeout and the owner's limits.
//
// Use it as an httplib::Server (routes, listen_after_bind, stop) but bind with bind(): it binds
// with SO_REUSEADDR only (httplib's default SO_REUSEPORT would let a second server bind a busy
// port) and listens with the system's largest backlog (httplib's 5 drops a burst of SYNs, each
// retried a second later). Call shutdown() after listen returns: requests whose head has arrived
// are answered, the others are closed.
// Thread safety: as httplib::Server.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include <httplib.h>

namespace logoscope::http {

struct GuardOptions {
  double head_timeout_s = 10;     ///< the request line and headers, from their first byte
  double idle_timeout_s = 5;      ///< a keep-alive connection waiting for its next request
  double read_timeout_s = 5;      ///< one read of the body, once the head is in
  double write_timeout_s = 5;     ///< one write of the response
  std::size_t max_head_bytes = 64u << 10u;
  int max_header_lines = 100;
  /// Behind a load balancer that does not pass the client's address, every connection has the
  /// balancer's: raise this, or 0 for no per-address cap.
  int max_connections_per_address = 256;
  int max_connections = 4096;     ///< held at once, slow heads included
  int workers = 32;               ///< requests handled at once
  int max_requests_per_connection = 100;
  /// The body of the answer to a connection turned away (429 over the per-address cap, 503 over
  /// the total, 408 head too slow, 431 head too large), from its message; empty: {"message": …}.
  std::function<std::string(int status, const std::string& message)> refusal_body;
  std::string refusal_content_type = "application/json";
};

/// What the guard has turned away since it started (for /metrics and tests).
struct GuardCounts {
  std::size_t head_timeouts = 0;
  std::size_t heads_too_large = 0;
  std::size_t refused_per_address = 0;
  std::size_t refused_in_all = 0;
};

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(GuardOptions options);
  ~GuardedServer() override;
  GuardedServer(const GuardedServer&) = delete;
  GuardedServer& operator=(const GuardedServer&) = delete;

  /// Binds HOST:PORT (0: any free port); the port bound, or -1.
  int bind(const std::string& host, int port);

  /// After listen_after_bind() has returned: answers the requests already read, closes the
  /// rest, joins the threads. Idempotent; the destructor calls it.
  void shutdown();

  [[nodiscard]] GuardCounts counts() const;

 private:
  bool process_and_close_socket(socket_t sock) override;
  /// httplib's handling of one request whose head `stream` starts with.
  bool handle(httplib::Stream& stream, bool close_connection, bool& connection_closed);

  class Guard;
  friend class Guard;
  std::unique_ptr<Guard> guard_;
  int listen_socket_ = -1;
};

}  // namespace logoscope::http
