#include "storage/s3_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/sha256.hpp"
#include "storage/aws_answers.hpp"
#include "storage/aws_credentials.hpp"
#include "storage/http.hpp"

namespace logoscope::storage {

namespace {

std::atomic<std::uint64_t> g_requests{0};
std::atomic<std::uint64_t> g_retries{0};
std::atomic<std::uint64_t> g_bytes_down{0};
std::atomic<std::uint64_t> g_bytes_up{0};


struct UploadCursor {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* cursor = static_cast<UploadCursor*>(user);
  const std::size_t n = std::min(size * count, cursor->data.size() - cursor->offset);
  std::memcpy(buffer, cursor->data.data() + cursor->offset, n);
  cursor->offset += n;
  return n;
}

bool retryable_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

std::string describe_duration(double seconds) { return fmt::format("{:.1f} s", seconds); }

}  // namespace

S3Counters s3_counters() {
  return S3Counters{g_requests.load(), g_retries.load(), g_bytes_down.load(), g_bytes_up.load()};
}

struct S3Client::Request {
  std::string method = "GET";
  std::string bucket;
  std::string key;
  std::string query;  ///< canonical form: parameters sorted by name, values S3-encoded
  std::string_view body;
  std::vector<std::string> headers;
  bool head = false;

  [[nodiscard]] std::string what() const { return "s3://" + bucket + "/" + key; }
};

struct S3Client::Response {
  long status = 0;
  CURLcode curl = CURLE_OK;
  std::string curl_message;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int attempts = 1;
  S3Credentials credentials;                ///< what the request was signed with
  std::optional<Error> credentials_error;  ///< set when there were none to sign with

  [[nodiscard]] std::string header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return value;
    }
    return "";
  }
  [[nodiscard]] bool ok() const {
    return !credentials_error && curl == CURLE_OK && status >= 200 && status < 300;
  }
};

S3Client::S3Client(S3Settings settings)
    : settings_(std::move(settings)), credentials_(std::make_shared<CredentialCache>(settings_)) {}

Result<S3Credentials> S3Client::credentials() const { return credentials_->get(); }

Status S3Client::ensure_credentials(const std::string& what) const {
  auto credentials = credentials_->get();
  if (!credentials) return Error{credentials.error().code, what + ": " + credentials.error().message};
  return Ok{};
}

std::string S3Client::url_for(const std::string& bucket, const std::string& key, const std::string& query) const {
  const auto scheme_end = settings_.endpoint.find("://");
  const std::string scheme = settings_.endpoint.substr(0, scheme_end);
  const std::string host = settings_.endpoint.substr(scheme_end + 3);
  bool virtual_hosted = false;
  switch (settings_.addressing) {
    case AddressingStyle::kPath:
      break;
    case AddressingStyle::kVirtual:
      virtual_hosted = true;
      break;
    case AddressingStyle::kAuto:
      virtual_hosted = !settings_.custom_endpoint && bucket_is_dns_safe(bucket);
      break;
  }
  std::string url = virtual_hosted ? fmt::format("{}://{}.{}/", scheme, bucket, host)
                                   : fmt::format("{}://{}/{}{}", scheme, host, bucket, key.empty() ? "" : "/");
  url += s3_uri_encode(key, true);
  if (!query.empty()) url += "?" + query;
  return url;
}

S3Client::Response S3Client::perform(const Request& request) const {
  Response response;
  auto signing = credentials_->get();
  if (!signing) {
    response.credentials_error = signing.error();
    return response;
  }
  response.credentials = std::move(*signing);
  const auto& credentials = response.credentials;
  CURL* curl = http::thread_curl();
  const std::string url = url_for(request.bucket, request.key, request.query);
  const std::string sigv4 = fmt::format("aws:amz:{}:s3", settings_.region);

  curl_slist* headers = nullptr;
  const auto add_header = [&headers](const std::string& line) { headers = curl_slist_append(headers, line.c_str()); };
  add_header("x-amz-content-sha256: " + sha256_hex(request.body));
  if (!credentials.session_token.empty()) add_header("x-amz-security-token: " + credentials.session_token);
  // No "Expect:" line to turn off 100-continue: curl 7.88 would sign that empty header without
  // sending it, and the server would refuse the signature.
  for (const auto& line : request.headers) add_header(line);

  UploadCursor cursor{request.body, 0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, credentials.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, credentials.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(settings_.connect_timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>(std::lround(settings_.stall_timeout_s))));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http::write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, http::write_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "logoscope");
  if (request.head) {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &cursor);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);

  response.curl = curl_easy_perform(curl);
  if (response.curl != CURLE_OK) {
    response.curl_message = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(response.curl);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  g_requests.fetch_add(1);
  g_bytes_down.fetch_add(response.body.size());
  g_bytes_up.fetch_add(cursor.offset + (request.method == "POST" ? request.body.size() : 0));
  return response;
}

S3Client::Response S3Client::perform_with_retries(const Request& request) const {
  thread_local std::mt19937 rng{std::random_device{}()};
  Response response;
  for (int attempt = 1;; ++attempt) {
    response = perform(request);
    response.attempts = attempt;
    if (response.credentials_error) return response;
    bool retry = false;
    std::string why;
    if (response.curl != CURLE_OK) {
      retry = retryable_curl(response.curl);
      why = response.curl_message;
    } else if (response.status >= 500 || response.status == 429) {
      retry = true;
      const auto xml = parse_s3_error(response.body);
      why = fmt::format("HTTP {}{}", response.status, xml ? " " + xml->code : "");
    } else if (response.status == 400) {
      const auto xml = parse_s3_error(response.body);
      retry = xml && xml->code == "RequestTimeout";
      why = "HTTP 400 RequestTimeout";
    }
    if (!retry || attempt >= settings_.max_attempts) return response;
    const double ceiling = std::min(settings_.backoff_cap_s, settings_.backoff_base_s * std::pow(2.0, attempt - 1));
    const double wait = std::uniform_real_distribution<double>(0.0, ceiling)(rng);
    spdlog::debug("{} {}: {}; retrying in {} (attempt {} of {})", request.method, request.what(), why,
                  describe_duration(wait), attempt + 1, settings_.max_attempts);
    g_retries.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
}

Error S3Client::error_for(const Request& request, const Response& response) const {
  const std::string what = request.what();
  const std::string tries = response.attempts > 1 ? fmt::format(" (after {} attempts)", response.attempts) : "";
  if (response.credentials_error) {
    return Error{response.credentials_error->code, what + ": " + response.credentials_error->message};
  }
  if (response.curl != CURLE_OK) {
    return Error{ErrorCode::kIo, fmt::format("{}: no answer from the S3 endpoint {}: {}{}", what, settings_.endpoint,
                                             response.curl_message, tries)};
  }
  const auto xml = parse_s3_error(response.body);
  const std::string code = xml ? xml->code : "";
  const std::string server_says = xml && !xml->message.empty() ? ": " + xml->message : "";
  const auto& credentials = response.credentials;
  if (response.status == 404) {
    if (code == "NoSuchBucket") {
      return Error{ErrorCode::kNotFound,
                   fmt::format("{}: bucket \"{}\" does not exist at {} (NoSuchBucket)", what, request.bucket, settings_.endpoint)};
    }
    if (code == "NoSuchUpload") return Error{ErrorCode::kIo, fmt::format("{}: the multipart upload vanished (NoSuchUpload)", what)};
    return Error{ErrorCode::kNotFound, fmt::format("{}: no such object{}", what, code.empty() ? "" : " (" + code + ")")};
  }
  if (response.status == 403) {
    if (code == "SignatureDoesNotMatch") {
      return Error{ErrorCode::kAccessDenied,
                   fmt::format("{}: the server refused the request's signature (SignatureDoesNotMatch): the secret key "
                               "given for access key {} (from {}) is not the one the server has",
                               what, credentials.access_key_id, credentials.source)};
    }
    if (code == "InvalidAccessKeyId") {
      return Error{ErrorCode::kAccessDenied,
                   fmt::format("{}: the server does not know access key {} (from {}) (InvalidAccessKeyId)", what,
                               credentials.access_key_id, credentials.source)};
    }
    if (code == "RequestTimeTooSkewed") {
      return Error{ErrorCode::kAccessDenied,
                   fmt::format("{}: this machine's clock is too far from the server's (RequestTimeTooSkewed){}; set the "
                               "clock (NTP) and try again",
                               what, server_says)};
    }
    return Error{ErrorCode::kAccessDenied,
                 fmt::format("{}: access denied ({}) for access key {} (from {}){}", what,
                             code.empty() ? "HTTP 403" : code, credentials.access_key_id, credentials.source, server_says)};
  }
  return Error{ErrorCode::kIo, fmt::format("{}: {} {} failed: HTTP {}{}{}{}", what, request.method,
                                           request.query.empty() ? "" : "?" + request.query, response.status,
                                           code.empty() ? "" : " " + code, server_says, tries)};
}

Result<std::string> S3Client::get(const S3Location& location, std::string* etag) const {
  if (auto ok = ensure_credentials(to_s3_uri(location)); !ok) return ok.error();
  Request request;
  request.bucket = location.bucket;
  request.key = location.key;
  auto response = perform_with_retries(request);
  if (!response.ok()) return error_for(request, response);
  if (etag != nullptr) *etag = unquote_etag(response.header("etag"));
  return std::move(response.body);
}

Result<std::string> S3Client::get_range(const S3Location& location, std::uint64_t offset, std::uint64_t length) const {
  if (auto ok = ensure_credentials(to_s3_uri(location)); !ok) return ok.error();
  if (length == 0) return std::string();
  Request request;
  request.bucket = location.bucket;
  request.key = location.key;
  request.headers.push_back(fmt::format("Range: bytes={}-{}", offset, offset + length - 1));
  auto response = perform_with_retries(request);
  if (response.curl == CURLE_OK && response.status == 416) return std::string();
  if (!response.ok()) return error_for(request, response);
  if (response.status == 200) {  // the server ignored the range
    return response.body.size() > offset ? response.body.substr(offset, length) : std::string();
  }
  return std::move(response.body);
}

Result<std::optional<S3ObjectInfo>> S3Client::head(const S3Location& location) const {
  if (auto ok = ensure_credentials(to_s3_uri(location)); !ok) return ok.error();
  Request request;
  request.method = "HEAD";
  request.head = true;
  request.bucket = location.bucket;
  request.key = location.key;
  auto response = perform_with_retries(request);
  if (response.curl == CURLE_OK && response.status == 404) return std::optional<S3ObjectInfo>{};
  if (!response.ok()) return error_for(request, response);
  S3ObjectInfo info;
  info.key = location.key;
  info.size = std::strtoull(response.header("content-length").c_str(), nullptr, 10);
  info.etag = unquote_etag(response.header("etag"));
  return std::optional<S3ObjectInfo>{info};
}

Status S3Client::put(const S3Location& location, std::string_view body) const {
  if (auto ok = ensure_credentials(to_s3_uri(location)); !ok) return ok.error();
  if (body.size() > settings_.multipart_threshold) {
    return put_in_parts(location, body.size(), [body](std::uint64_t offset, std::size_t length) -> Result<std::string> {
      return std::string(body.substr(static_cast<std::size_t>(offset), length));
    });
  }
  Request request;
  request.method = "PUT";
  request.bucket = location.bucket;
  request.key = location.key;
  request.body = body;
  request.headers.push_back("Content-Type: application/octet-stream");
  const auto response = perform_with_retries(request);
  if (!response.ok()) return error_for(request, response);
  return Ok{};
}

Status S3Client::put_file(const S3Location& location, const std::string& local_path) const {
  if (auto ok = ensure_credentials(to_s3_uri(location)); !ok) return ok.error();
  std::ifstream in(local_path, std::ios::binary | std::ios::ate);
  if (!in) return Error{ErrorCode::kNotFound, fmt::format("{}: cannot open for reading", local_path)};
  const auto size = static_cast<std::uint64_t>(in.tellg());
  const auto read_part = [&in, &local_path](std::uint64_t offset, std::size_t length) -> Result<std::string> {
    std::string part(length, '\0');
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(part.data(), static_cast<std::streamsize>(length));
    if (static_cast<std::size_t>(in.gcount()) != length) {
      return Error{ErrorCode::kIo, fmt::format("{}: read error at byte {} (did the file change?)", local_path, offset)};
    }
    return part;
  };
  if (size > settings_.multipart_threshold) return put_in_parts(location, size, read_part);
  auto whole = read_part(0, static_cast<std::size_t>(size));
  if (!whole) return whole.error();
  return put(location, *whole);
}

constexpr std::uint64_t kMaxParts = 10'000;  // S3's limit per multipart upload

Status S3Client::put_in_parts(const S3Location& location, std::uint64_t size,
                              const std::function<Result<std::string>(std::uint64_t, std::size_t)>& read_part) const {
  Request start;
  start.method = "POST";
  start.bucket = location.bucket;
  start.key = location.key;
  start.query = "uploads=";
  auto started = perform_with_retries(start);
  if (!started.ok()) return error_for(start, started);
  const auto upload_id = parse_s3_upload_id(started.body);
  if (!upload_id) {
    return Error{ErrorCode::kIo, fmt::format("{}: the server did not start a multipart upload (no UploadId in its answer)",
                                             to_s3_uri(location))};
  }
  const std::string encoded_id = s3_uri_encode(*upload_id, false);
  const auto abort = [&]() {
    Request request;
    request.method = "DELETE";
    request.bucket = location.bucket;
    request.key = location.key;
    request.query = "uploadId=" + encoded_id;
    perform_with_retries(request);
  };

  std::string complete = "<CompleteMultipartUpload>";
  int part_number = 1;
  // S3 takes at most 10,000 parts: a larger file gets larger parts, as the AWS CLI does.
  const std::uint64_t part_size = std::max<std::uint64_t>(settings_.part_size, (size + kMaxParts - 1) / kMaxParts);
  for (std::uint64_t offset = 0; offset < size; offset += part_size, ++part_number) {
    const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(part_size, size - offset));
    auto part = read_part(offset, length);
    if (!part) {
      abort();
      return part.error();
    }
    Request request;
    request.method = "PUT";
    request.bucket = location.bucket;
    request.key = location.key;
    request.query = fmt::format("partNumber={}&uploadId={}", part_number, encoded_id);
    request.body = *part;
    const auto response = perform_with_retries(request);
    if (!response.ok()) {
      abort();
      return error_for(request, response);
    }
    complete += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part_number, response.header("etag"));
  }
  complete += "</CompleteMultipartUpload>";

  Request finish;
  finish.method = "POST";
  finish.bucket = location.bucket;
  finish.key = location.key;
  finish.query = "uploadId=" + encoded_id;
  finish.body = complete;
  finish.headers.push_back("Content-Type: application/xml");
  const auto finished = perform_with_retries(finish);
  // S3 may answer 200 and still report an error in the body.
  if (!finished.ok() || parse_s3_error(finished.body)) {
    abort();
    auto error = error_for(finish, finished);
    if (finished.ok()) {
      const auto xml = parse_s3_error(finished.body);
      error = Error{ErrorCode::kIo, fmt::format("{}: completing the multipart upload failed: {} {}", to_s3_uri(location),
                                                xml->code, xml->message)};
    }
    return error;
  }
  return Ok{};
}

Result<std::vector<S3ObjectInfo>> S3Client::list(const std::string& bucket, const std::string& prefix,
                                                 std::size_t limit) const {
  if (auto ok = ensure_credentials("s3://" + bucket + "/" + prefix); !ok) return ok.error();
  std::vector<S3ObjectInfo> objects;
  std::string token;
  for (;;) {
    Request request;
    request.bucket = bucket;
    request.key = "";
    std::string query;
    if (!token.empty()) query += "continuation-token=" + s3_uri_encode(token, false) + "&";
    query += "list-type=2";
    if (limit < 1000) query += fmt::format("&max-keys={}", limit - objects.size());
    query += "&prefix=" + s3_uri_encode(prefix, false);
    request.query = query;
    const auto response = perform_with_retries(request);
    if (!response.ok()) {
      Request named = request;
      named.key = prefix;
      return error_for(named, response);
    }
    auto page = parse_s3_list_page(response.body);
    if (!page) {
      return Error{ErrorCode::kParse, fmt::format("s3://{}/{}: the server's object listing is not a ListBucketResult", bucket, prefix)};
    }
    for (auto& info : page->objects) {
      objects.push_back(std::move(info));
      if (objects.size() >= limit) return objects;
    }
    if (page->next_token.empty()) break;
    // A server that hands back the token it was given would list the same page forever.
    if (page->next_token == token) {
      return Error{ErrorCode::kParse, fmt::format("s3://{}/{}: the server's listing repeats continuation token \"{}\"; "
                                                  "stopped after {} objects", bucket, prefix, token, objects.size())};
    }
    token = std::move(page->next_token);
  }
  std::sort(objects.begin(), objects.end(), [](const S3ObjectInfo& a, const S3ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

Status S3Client::remove(const S3Location& location) const {
  if (auto ok = ensure_credentials(to_s3_uri(location)); !ok) return ok.error();
  Request request;
  request.method = "DELETE";
  request.bucket = location.bucket;
  request.key = location.key;
  const auto response = perform_with_retries(request);
  if (response.curl == CURLE_OK && response.status == 404) {
    const auto xml = parse_s3_error(response.body);
    if (!xml || xml->code != "NoSuchBucket") return Ok{};
  }
  if (!response.ok()) return error_for(request, response);
  return Ok{};
}

}  // namespace logoscope::storage
