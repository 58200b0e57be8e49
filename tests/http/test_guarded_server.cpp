// The guard in front of httplib (http/guarded_server.hpp), on raw sockets: slow heads hold no
// worker, keep-alive and pipelined requests are all answered, heads too slow or too large are
// refused, the per-address cap holds, and shutdown answers what has arrived. No libtorch: it runs
// under the sanitizers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http/guarded_server.hpp"

namespace logoscope::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class Running {
 public:
  explicit Running(GuardOptions options) : server_(std::move(options)) {
    server_.Get("/ping", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("pong", "text/plain");
    });
    server_.Get("/large", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(8u << 20u, 'x'), "application/octet-stream");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      response.set_content("done", "text/plain");
    });
    port_ = server_.bind("127.0.0.1", 0);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      server_.shutdown();
    });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~Running() { stop(); }
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;

  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }
  GuardedServer& server() { return server_; }

 private:
  GuardedServer server_;
  int port_ = 0;
  std::thread thread_;
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

void send_all(int fd, const std::string& text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}

// Everything the server sends until it closes (or 5 s pass).
std::string read_all(int fd) {
  std::string answer;
  char chunk[4096];
  for (;;) {
    const auto received = ::recv(fd, chunk, sizeof chunk, 0);
    if (received <= 0) break;
    answer.append(chunk, static_cast<std::size_t>(received));
  }
  return answer;
}

std::string get(int port, const std::string& path) {
  const int fd = connect_to(port);
  send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string answer = read_all(fd);
  ::close(fd);
  return answer;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(GuardedServer, SlowHeadsHoldNoWorker) {
  GuardOptions options;
  options.workers = 2;
  Running server(options);
  std::vector<int> slow;
  for (int i = 0; i < 40; ++i) {
    slow.push_back(connect_to(server.port()));
    send_all(slow.back(), "GET /ping HTTP/1.1\r\nHost:");  // and nothing more
  }
  for (int i = 0; i < 5; ++i) EXPECT_THAT(get(server.port(), "/ping"), HasSubstr("pong"));
  for (int fd : slow) ::close(fd);
}

TEST(GuardedServer, AnswersKeepAliveAndPipelinedRequestsInOrder) {
  Running server(GuardOptions{});
  const int fd = connect_to(server.port());
  send_all(fd, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  send_all(fd, "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string answer = read_all(fd);
  ::close(fd);
  EXPECT_EQ(count(answer, "HTTP/1.1 200"), 3u) << answer;
  EXPECT_LT(answer.find("pong"), answer.find("done"));
  EXPECT_LT(answer.find("done"), answer.rfind("pong"));
}

TEST(GuardedServer, WritesALargeAnswerWholeToAClientThatReadsSlowly) {
  Running server(GuardOptions{});
  const int fd = connect_to(server.port());
  send_all(fd, "GET /large HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the socket buffers fill meanwhile
  const std::string answer = read_all(fd);
  ::close(fd);
  EXPECT_THAT(answer, HasSubstr("Content-Length: 8388608"));
  const std::size_t body = answer.find("\r\n\r\n") + 4;
  ASSERT_GE(answer.size(), body + (8u << 20u));
  EXPECT_EQ(answer.find_first_not_of('x', body), body + (8u << 20u));  // the whole body, then the next answer
  EXPECT_THAT(answer.substr(body + (8u << 20u)), StartsWith("HTTP/1.1 200"));
  EXPECT_EQ(answer.substr(answer.size() - 4), "pong");
}

TEST(GuardedServer, RefusesAHeadTooSlowOrTooLarge) {
  GuardOptions options;
  options.head_timeout_s = 0.5;
  options.max_header_lines = 10;
  Running server(options);
  const int slow = connect_to(server.port());
  send_all(slow, "GET /ping HTTP/1.1\r\n");
  EXPECT_THAT(read_all(slow), StartsWith("HTTP/1.1 408"));
  ::close(slow);
  std::string head = "GET /ping HTTP/1.1\r\n";
  for (int i = 0; i < 20; ++i) head += "X-" + std::to_string(i) + ": y\r\n";
  const int large = connect_to(server.port());
  send_all(large, head + "\r\n");
  EXPECT_THAT(read_all(large), StartsWith("HTTP/1.1 431"));
  ::close(large);
  EXPECT_EQ(server.server().counts().head_timeouts, 1u);
  EXPECT_EQ(server.server().counts().heads_too_large, 1u);
  EXPECT_THAT(get(server.port(), "/ping"), HasSubstr("pong"));
}

TEST(GuardedServer, CapsConnectionsPerAddressAndFreesTheirPlaces) {
  GuardOptions options;
  options.max_connections_per_address = 3;
  options.refusal_body = [](int status, const std::string& message) {
    return "{\"status\": " + std::to_string(status) + ", \"why\": \"" + message + "\"}";
  };
  Running server(options);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(connect_to(server.port()));
    send_all(held.back(), "G");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string refused = get(server.port(), "/ping");
  EXPECT_THAT(refused, StartsWith("HTTP/1.1 429"));
  EXPECT_THAT(refused, HasSubstr("\"status\": 429"));
  for (int fd : held) ::close(fd);
  std::string answer;
  for (int attempt = 0; attempt < 50 && answer.find("pong") == std::string::npos; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    answer = get(server.port(), "/ping");
  }
  EXPECT_THAT(answer, HasSubstr("pong"));
}

TEST(GuardedServer, ShutdownAnswersTheRequestsInFlight) {
  auto server = std::make_unique<Running>(GuardOptions{});
  const int fd = connect_to(server->port());
  send_all(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread stopper([&] { server->stop(); });
  const std::string answer = read_all(fd);
  stopper.join();
  ::close(fd);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr("done"));
}

}  // namespace
}  // namespace logoscope::http
