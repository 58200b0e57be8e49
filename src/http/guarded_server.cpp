#include "http/guarded_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace logoscope::http {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double value) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(value));
}

int milliseconds(double value) {
  return static_cast<int>(std::clamp(value * 1000.0, 0.0, 3600e3));
}

struct Connection {
  int fd = -1;
  std::string address;
  std::string buffer;        ///< bytes read and not yet handled
  std::size_t scanned = 0;   ///< where the search for the head's end goes on
  bool started = false;      ///< a byte of the current request has arrived
  Clock::time_point deadline;
  int requests = 0;
};

// Where the request head in `c.buffer` ends (after its blank line), or npos.
std::size_t head_end(Connection& c) {
  const std::size_t from = c.scanned > 3 ? c.scanned - 3 : 0;
  std::size_t end = std::string::npos;
  for (std::size_t i = from; i + 1 < c.buffer.size(); ++i) {
    if (c.buffer[i] != '\n') continue;
    if (c.buffer[i + 1] == '\n') { end = i + 2; break; }
    if (i + 2 < c.buffer.size() && c.buffer[i + 1] == '\r' && c.buffer[i + 2] == '\n') { end = i + 3; break; }
  }
  c.scanned = c.buffer.size();
  return end;
}

bool wait_for(int fd, short events, int timeout_ms) {
  pollfd descriptor{fd, events, 0};
  for (;;) {
    const int ready = ::poll(&descriptor, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

// The address and port of a socket's peer (peer) or its own end.
std::pair<std::string, int> endpoint(int fd, bool peer) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  const int status = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length)
                          : ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (status != 0) return {"", 0};
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    return {text, ntohs(v4->sin_port)};
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return {text, ntohs(v6->sin6_port)};
  }
  return {"", 0};
}

// Closes after reading what has already arrived, so that the kernel does not answer unread
// input with a reset that could discard the answer just sent.
void drain_and_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
}

// A small answer on a connection that is then closed: one send that never waits (it runs on the
// threads that serve every connection; the answer fits an empty socket buffer), best effort.
void answer_and_close(int fd, int status, const std::string& reason, const std::string& body,
                      const std::string& content_type) {
  const std::string response =
      fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
                  reason, content_type, body.size(), body);
  [[maybe_unused]] const auto sent = ::send(fd, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  drain_and_close(fd);
}

// httplib's stream over a connection: the bytes the epoll thread read first, then the socket
// (non-blocking, waited on with the read and write timeouts).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(Connection& connection, int read_ms, int write_ms)
      : c_(connection), read_ms_(read_ms), write_ms_(write_ms) {}

  [[nodiscard]] bool is_readable() const override {
    return offset_ < c_.buffer.size() || wait_for(c_.fd, POLLIN, read_ms_);
  }
  [[nodiscard]] bool is_writable() const override { return wait_for(c_.fd, POLLOUT, write_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (offset_ < c_.buffer.size()) {
      const std::size_t count = std::min(size, c_.buffer.size() - offset_);
      std::memcpy(ptr, c_.buffer.data() + offset_, count);
      offset_ += count;
      return static_cast<ssize_t>(count);
    }
    for (;;) {
      const auto received = ::recv(c_.fd, ptr, size, 0);
      if (received >= 0) return received;
      if (errno == EINTR) continue;
      if ((errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(c_.fd, POLLIN, read_ms_)) return -1;
    }
  }

  // All of it or an error: httplib writes headers and bodies once and takes any count as done,
  // as its own blocking sockets allow.
  ssize_t write(const char* ptr, size_t size) override {
    std::size_t done = 0;
    while (done < size) {
      const auto sent = ::send(c_.fd, ptr + done, size - done, MSG_NOSIGNAL);
      if (sent > 0) {
        done += static_cast<std::size_t>(sent);
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if ((sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || !wait_for(c_.fd, POLLOUT, write_ms_)) return -1;
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    std::tie(ip, port) = endpoint(c_.fd, true);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    std::tie(ip, port) = endpoint(c_.fd, false);
  }
  [[nodiscard]] socket_t socket() const override { return c_.fd; }

  /// Bytes read past the request just handled: the start of the next one (pipelining).
  [[nodiscard]] std::string leftover() const { return c_.buffer.substr(std::min(offset_, c_.buffer.size())); }

 private:
  Connection& c_;
  std::size_t offset_ = 0;
  int read_ms_;
  int write_ms_;
};

}  // namespace

class GuardedServer::Guard {
 public:
  Guard(GuardedServer& server, GuardOptions options) : server_(server), options_(std::move(options)) {
    // Connections are file descriptors: take the process's hard limit, and keep the total cap
    // under it (with room for models, images and logs), so that the cap answers 503 before
    // accept() starts failing.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        ::getrlimit(RLIMIT_NOFILE, &limit);
      }
      if (limit.rlim_cur != RLIM_INFINITY) {
        const auto usable = static_cast<long long>(limit.rlim_cur) - 256;
        options_.max_connections = static_cast<int>(std::clamp<long long>(usable, 16, options_.max_connections));
      }
    }
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
    poller_ = std::thread([this] { poll_loop(); });
    for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { work_loop(); });
  }

  ~Guard() {
    shutdown();
    ::close(epoll_);
    ::close(wake_);
  }

  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  // From httplib's accept thread: the connection is the guard's from now on.
  void adopt(int fd) {
    const std::string address = endpoint(fd, true).first;
    std::string refusal;
    int status = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        ::close(fd);
        return;
      }
      if (held_ >= options_.max_connections) {
        status = 503;
        refusal = "the server holds as many connections as it may; try again shortly";
        ++counts_.refused_in_all;
      } else if (options_.max_connections_per_address > 0 &&
                 per_address_[address] >= options_.max_connections_per_address) {
        status = 429;
        refusal = fmt::format("{} connections from {} are open already; close some or try again shortly",
                              per_address_[address], address);
        ++counts_.refused_per_address;
      } else {
        ++held_;
        ++per_address_[address];
        auto connection = std::make_unique<Connection>();
        connection->fd = fd;
        connection->address = address;
        connection->deadline = Clock::now() + seconds(options_.idle_timeout_s);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        incoming_.push_back(std::move(connection));
      }
    }
    if (status != 0) {
      answer_and_close(fd, status, status == 429 ? "Too Many Requests" : "Service Unavailable", body(status, refusal),
                       options_.refusal_content_type);
      return;
    }
    wake();
  }

  // In two steps: the poll thread stops reading heads (closing the incomplete ones) and is joined;
  // then the workers answer every whole head it passed on and stop.
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopping_ = true;
    }
    wake();
    if (poller_.joinable()) poller_.join();
    {
      std::lock_guard lock(mutex_);
      workers_stopping_ = true;
    }
    ready_cv_.notify_all();
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
    std::lock_guard lock(mutex_);
    for (auto& connection : incoming_) release(std::move(connection), false);
    incoming_.clear();
    for (auto& connection : ready_) release(std::move(connection), false);
    ready_.clear();
    stopped_ = true;
  }

  GuardCounts counts() {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  std::string body(int status, const std::string& message) const {
    return options_.refusal_body ? options_.refusal_body(status, message) : nlohmann::json{{"message", message}}.dump();
  }

  void wake() const {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(wake_, &one, sizeof one);
  }

  // Closes a connection and forgets it; with the lock held when `locked`.
  void release(std::unique_ptr<Connection> connection, bool lock_now) {
    std::unique_lock lock(mutex_, std::defer_lock);
    if (lock_now) lock.lock();
    if (--per_address_[connection->address] <= 0) per_address_.erase(connection->address);
    --held_;
    drain_and_close(connection->fd);
  }

  enum class HeadState { kWaiting, kComplete, kClosed, kTooLarge };

  HeadState read_head(Connection& c) {
    char chunk[16384];
    for (;;) {
      const auto received = ::recv(c.fd, chunk, sizeof chunk, 0);
      if (received > 0) {
        if (!c.started) {
          c.started = true;
          c.deadline = Clock::now() + seconds(options_.head_timeout_s);
        }
        c.buffer.append(chunk, static_cast<std::size_t>(received));
        if (c.buffer.size() > options_.max_head_bytes + sizeof chunk) break;  // checked below
        continue;
      }
      if (received == 0) {
        const HeadState state = assess(c);
        return state == HeadState::kWaiting ? HeadState::kClosed : state;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return HeadState::kClosed;
    }
    return assess(c);
  }

  HeadState assess(Connection& c) const {
    const std::size_t end = head_end(c);
    const std::size_t head = end == std::string::npos ? c.buffer.size() : end;
    const auto lines = std::count(c.buffer.begin(), c.buffer.begin() + static_cast<std::ptrdiff_t>(head), '\n');
    if (head > options_.max_head_bytes || lines > options_.max_header_lines + 2) return HeadState::kTooLarge;
    return end == std::string::npos ? HeadState::kWaiting : HeadState::kComplete;
  }

  void to_workers(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mutex_);
      ready_.push_back(std::move(connection));
    }
    ready_cv_.notify_one();
  }

  void poll_loop() {
    std::unordered_map<int, std::unique_ptr<Connection>> waiting;
    std::vector<epoll_event> events(256);
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        for (auto& connection : incoming_) {
          epoll_event event{};
          event.events = EPOLLIN | EPOLLRDHUP;
          event.data.fd = connection->fd;
          ::epoll_ctl(epoll_, EPOLL_CTL_ADD, connection->fd, &event);
          waiting[connection->fd] = std::move(connection);
        }
        incoming_.clear();
      }
      auto next = Clock::now() + std::chrono::seconds(1);
      for (const auto& [fd, connection] : waiting) next = std::min(next, connection->deadline);
      const auto wait_ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
      const int count = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                                     static_cast<int>(std::clamp<long long>(wait_ms + 1, 0, 1000)));
      for (int i = 0; i < count; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == wake_) {
          std::uint64_t value = 0;
          [[maybe_unused]] const auto read = ::read(wake_, &value, sizeof value);
          continue;
        }
        const auto found = waiting.find(fd);
        if (found == waiting.end()) continue;
        const HeadState state = read_head(*found->second);
        if (state == HeadState::kWaiting) continue;
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        auto connection = std::move(found->second);
        waiting.erase(found);
        if (state == HeadState::kComplete) {
          to_workers(std::move(connection));
        } else if (state == HeadState::kTooLarge) {
          refuse_head(std::move(connection), 431, "Request Header Fields Too Large",
                      fmt::format("the request head is over {} bytes or {} header lines", options_.max_head_bytes,
                                  options_.max_header_lines));
        } else {
          release(std::move(connection), true);
        }
      }
      const auto now = Clock::now();
      for (auto it = waiting.begin(); it != waiting.end();) {
        if (it->second->deadline > now) {
          ++it;
          continue;
        }
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, it->first, nullptr);
        auto connection = std::move(it->second);
        it = waiting.erase(it);
        if (connection->started) {
          refuse_head(std::move(connection), 408, "Request Timeout",
                      fmt::format("the request head did not arrive within {:g} s", options_.head_timeout_s));
        } else {
          release(std::move(connection), true);  // idle: closed quietly
        }
      }
    }
    for (auto& [fd, connection] : waiting) release(std::move(connection), true);
  }

  void refuse_head(std::unique_ptr<Connection> connection, int status, const char* reason, const std::string& message) {
    {
      std::lock_guard lock(mutex_);
      if (status == 408) ++counts_.head_timeouts;
      if (status == 431) ++counts_.heads_too_large;
      if (--per_address_[connection->address] <= 0) per_address_.erase(connection->address);
      --held_;
    }
    answer_and_close(connection->fd, status, reason, body(status, message), options_.refusal_content_type);
  }

  void work_loop() {
    for (;;) {
      std::unique_ptr<Connection> connection;
      bool stopping = false;
      {
        std::unique_lock lock(mutex_);
        ready_cv_.wait(lock, [this] { return workers_stopping_ || !ready_.empty(); });
        if (ready_.empty()) return;  // stopping, and every request already read is answered
        connection = std::move(ready_.front());
        ready_.pop_front();
        stopping = stopping_;
      }
      serve(std::move(connection), stopping);
    }
  }

  // One request on a connection whose head has arrived; then back to waiting, or closed.
  void serve(std::unique_ptr<Connection> connection, bool stopping) {
    ConnectionStream stream(*connection, milliseconds(options_.read_timeout_s), milliseconds(options_.write_timeout_s));
    ++connection->requests;
    const bool last = stopping || connection->requests >= options_.max_requests_per_connection;
    bool closed = false;
    const bool handled = server_.handle(stream, last, closed);
    if (!handled || closed || last) {
      release(std::move(connection), true);
      return;
    }
    connection->buffer = stream.leftover();
    connection->scanned = 0;
    connection->started = !connection->buffer.empty();
    connection->deadline =
        Clock::now() + seconds(connection->started ? options_.head_timeout_s : options_.idle_timeout_s);
    if (connection->started) {
      const HeadState state = assess(*connection);
      if (state == HeadState::kComplete) return to_workers(std::move(connection));
      if (state == HeadState::kTooLarge) {
        return refuse_head(std::move(connection), 431, "Request Header Fields Too Large", "the request head is too large");
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        incoming_.push_back(std::move(connection));
      }
    }
    if (connection) {
      release(std::move(connection), true);
      return;
    }
    wake();
  }

  GuardedServer& server_;
  GuardOptions options_;
  int epoll_ = -1;
  int wake_ = -1;
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::vector<std::unique_ptr<Connection>> incoming_;  // adopted or back from a worker, for the poll thread
  std::deque<std::unique_ptr<Connection>> ready_;      // whole heads, for the workers
  std::unordered_map<std::string, int> per_address_;
  int held_ = 0;
  bool stopping_ = false;          // no new connections, no more heads read
  bool workers_stopping_ = false;  // the poll thread is gone: workers end once ready_ is empty
  bool stopped_ = false;
  GuardCounts counts_;
  std::thread poller_;
  std::vector<std::thread> workers_;
};

GuardedServer::GuardedServer(GuardOptions options) {
  // What httplib's Keep-Alive header announces: the guard's own limits.
  set_keep_alive_max_count(static_cast<std::size_t>(std::max(1, options.max_requests_per_connection)));
  set_keep_alive_timeout(static_cast<time_t>(std::ceil(options.idle_timeout_s)));
  guard_ = std::make_unique<Guard>(*this, std::move(options));
  // httplib's own threads only hand accepted connections over.
  new_task_queue = [] { return new httplib::ThreadPool(2); };
  set_socket_options([this](socket_t socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_socket_ = socket;
  });
}

int GuardedServer::bind(const std::string& host, int port) {
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  if (bound >= 0 && listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);
  return bound;
}

GuardedServer::~GuardedServer() {
  guard_->shutdown();
}

void GuardedServer::shutdown() {
  guard_->shutdown();
}

GuardCounts GuardedServer::counts() const {
  return guard_->counts();
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  guard_->adopt(sock);
  return true;
}

bool GuardedServer::handle(httplib::Stream& stream, bool close_connection, bool& connection_closed) {
  return process_request(stream, close_connection, connection_closed, nullptr);
}

}  // namespace logoscope::http
