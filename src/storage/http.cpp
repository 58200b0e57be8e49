#include "storage/http.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

namespace logoscope::storage::http {

namespace {

// One curl handle per thread, reset before each request; its connection cache survives resets.
struct ThreadCurl {
  CURL* handle = nullptr;
  ThreadCurl() {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    handle = curl_easy_init();
  }
  ~ThreadCurl() {
    if (handle != nullptr) curl_easy_cleanup(handle);
  }
  ThreadCurl(const ThreadCurl&) = delete;
  ThreadCurl& operator=(const ThreadCurl&) = delete;
};

}  // namespace

CURL* thread_curl() {
  thread_local ThreadCurl curl;
  curl_easy_reset(curl.handle);
  return curl.handle;
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    headers->emplace_back(std::move(name), std::string(value));
  } else if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue or a redirect)
  }
  return size * count;
}

Response perform(const Request& request) {
  Response response;
  CURL* curl = thread_curl();
  curl_slist* headers = nullptr;
  for (const auto& line : request.headers) headers = curl_slist_append(headers, line.c_str());
  std::string sigv4;
  if (request.sigv4) {
    sigv4 = fmt::format("aws:amz:{}:{}", request.sigv4->region, request.sigv4->service);
    if (!request.sigv4->session_token.empty()) {
      headers = curl_slist_append(headers, ("X-Amz-Security-Token: " + request.sigv4->session_token).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(curl, CURLOPT_USERNAME, request.sigv4->access_key_id.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, request.sigv4->secret_access_key.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "logoscope");
  if (request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method == "PUT") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
  }
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    response.transport_error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  return response;
}

}  // namespace logoscope::storage::http
