// storage/http.hpp — the storage module's one HTTP layer on libcurl (internal to src/storage):
// a curl handle per thread, the callbacks that collect a response, and http_request for the
// small one-shot requests of the credential sources (STS, the SSO portal, the ECS and EC2
// metadata endpoints). The S3 client (s3_client.cpp) drives the same handles with its own
// retries and streaming.
//
// Thread safety: every function may be called from many threads at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <curl/curl.h>

namespace logoscope::storage::http {

/// This thread's curl handle, reset (its connection cache survives resets).
CURL* thread_curl();

/// CURLOPT_WRITEFUNCTION appending to the std::string in `user`.
std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user);

/// Response headers, names lower-cased, in arrival order.
using Headers = std::vector<std::pair<std::string, std::string>>;

/// CURLOPT_HEADERFUNCTION filling the Headers in `user` (cleared on each new status line).
std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user);

/// SigV4 signing by libcurl (CURLOPT_AWS_SIGV4) with these credentials.
struct Signing {
  std::string region;
  std::string service;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  ///< sent as X-Amz-Security-Token when not empty
};

struct Request {
  std::string method = "GET";  ///< GET, PUT or POST
  std::string url;
  std::vector<std::string> headers;  ///< "Name: value"
  std::string body;                  ///< sent for PUT and POST
  std::optional<Signing> sigv4;      ///< nullopt: unsigned
  double connect_timeout_s = 1.0;
  double timeout_s = 5.0;  ///< the whole exchange
};

struct Response {
  long status = 0;
  std::string transport_error;  ///< why no answer came (curl's words); empty when one came
  std::string body;
  Headers headers;

  [[nodiscard]] bool answered() const { return transport_error.empty(); }
  [[nodiscard]] bool ok() const { return answered() && status >= 200 && status < 300; }
};

/// One request, no retries, no redirects followed.
Response perform(const Request& request);

}  // namespace logoscope::storage::http
