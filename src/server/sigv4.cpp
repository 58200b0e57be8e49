// server/sigv4.cpp — AWS Signature Version 4 verification (see sigv4.hpp).
//
// The checks run in the order AWS's JSON-protocol front end runs them (as recorded from DynamoDB's
// answers in dynalite's validations), so that a request wrong in several ways gets the answer AWS
// would give. Messages are AWS's wording; where AWS's is not known (a signed header the request
// lacks, several Authorization headers, an empty region or service) the wording is ours.
#include "server/sigv4.hpp"
#include "core/sha256.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <stdexcept>
#include <variant>

namespace logoscope::server {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

SigV4Rejection reject(std::string_view type, std::string message) {
  return SigV4Rejection{400, std::string(type), std::move(message)};
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Trimmed, every run of whitespace inside replaced by one space (SigV4's Trimall).
std::string trim_all(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (const char c : trim(value)) {
    if (is_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0F]);
  }
  return out;
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

// Percent-encodes every byte that is not unreserved (nor '/' when keep_slash), uppercase hex.
void uri_encode(std::string_view text, bool keep_slash, std::string& out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (is_unreserved(byte) || (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kDigits[byte >> 4]);
      out.push_back(kDigits[byte & 0x0F]);
    }
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; '+' is a literal '+', a malformed escape stays as written.
std::string uri_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>((high << 4) | low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// ---- Time ---------------------------------------------------------------------------------------

// "YYYYMMDDTHHMMSSZ" for a UTC time.
std::string iso_basic(sys_seconds when) {
  const auto day = std::chrono::floor<std::chrono::days>(when);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{when - day};
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(),
                "%04d%02u%02u"
                "T%02d%02d%02dZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return buffer.data();
}

// The digits text[at, at + count) as a number; -1 when any is not a digit.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<sys_seconds> make_time(int year, int month, int day, int hour, int minute, int second) {
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{hour} + std::chrono::minutes{minute} +
         seconds{second};
}

// ISO-8601 basic format, exactly "YYYYMMDDTHHMMSSZ".
std::optional<sys_seconds> parse_iso_basic(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  return make_time(digits(text, 0, 4), digits(text, 4, 2), digits(text, 6, 2), digits(text, 9, 2),
                   digits(text, 11, 2), digits(text, 13, 2));
}

// RFC 1123 ("Tue, 02 Jan 2024 03:04:05 GMT"; the zone may also be UTC, +0000 or -0000).
std::optional<sys_seconds> parse_http_date(std::string_view text) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::size_t comma = text.find(", ");
  if (comma != 3) return std::nullopt;
  const auto fields = split(text.substr(5), ' ');
  if (fields.size() != 5) return std::nullopt;
  const std::string_view day_text = fields[0];
  const std::string_view month_text = fields[1];
  const std::string_view year_text = fields[2];
  const std::string_view time_text = fields[3];
  const std::string_view zone = fields[4];
  if (day_text.empty() || day_text.size() > 2 || year_text.size() != 4 || time_text.size() != 8 ||
      time_text[2] != ':' || time_text[5] != ':') {
    return std::nullopt;
  }
  if (zone != "GMT" && zone != "UTC" && zone != "+0000" && zone != "-0000") return std::nullopt;
  const auto month = std::find(kMonths.begin(), kMonths.end(), month_text);
  if (month == kMonths.end()) return std::nullopt;
  return make_time(digits(year_text, 0, 4), static_cast<int>(month - kMonths.begin()) + 1,
                   digits(day_text, 0, day_text.size()), digits(time_text, 0, 2), digits(time_text, 3, 2),
                   digits(time_text, 6, 2));
}

std::string skew_text(seconds max_skew) {
  if (max_skew.count() % 60 == 0) return std::to_string(max_skew.count() / 60) + " min.";
  return std::to_string(max_skew.count()) + " sec.";
}

// ---- The request --------------------------------------------------------------------------------

// The values of every header called `name` (any case), in arrival order.
std::vector<std::string_view> header_values(const SigV4Request& request, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [header, value] : request.headers) {
    if (iequals(header, name)) values.emplace_back(value);
  }
  return values;
}

struct AuthorizationParts {
  std::string_view algorithm;
  std::optional<std::string_view> credential;
  std::optional<std::string_view> signed_headers;
  std::optional<std::string_view> signature;
};

// Splits "ALGORITHM Key=Value, Key=Value, ...". An error: the AWS message for a component
// without '='.
std::variant<AuthorizationParts, std::string> parse_authorization(std::string_view authorization) {
  AuthorizationParts parts;
  const std::string_view text = trim(authorization);
  std::size_t end = 0;
  while (end < text.size() && !is_space(text[end])) ++end;
  parts.algorithm = text.substr(0, end);
  for (const std::string_view raw : split(text.substr(end), ',')) {
    const std::string_view component = trim(raw);
    if (component.empty()) continue;
    const std::size_t equals = component.find('=');
    if (equals == std::string_view::npos) {
      return "'" + std::string(component) +
             "' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
             std::string(authorization) + "'.";
    }
    const std::string_view key = trim(component.substr(0, equals));
    const std::string_view value = trim(component.substr(equals + 1));
    if (key == "Credential") parts.credential = value;
    if (key == "SignedHeaders") parts.signed_headers = value;
    if (key == "Signature") parts.signature = value;
  }
  return parts;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace


std::string hmac_sha256(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX)) throw std::length_error("HMAC key too long");
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed (OpenSSL HMAC)");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string sigv4_canonical_uri(std::string_view wire_path) {
  if (wire_path.empty()) return "/";
  // RFC 3986 5.2.4 dot-segment removal, with empty segments (repeated '/') dropped as AWS does.
  std::vector<std::string_view> segments;
  for (const std::string_view segment : split(wire_path, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(segment);
  }
  std::string normalised = wire_path.front() == '/' ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalised.push_back('/');
    normalised.append(segments[i]);
  }
  if (wire_path.back() == '/' && !segments.empty()) normalised.push_back('/');
  std::string out;
  out.reserve(normalised.size() + 16);
  uri_encode(normalised, true, out);
  return out;
}

std::string sigv4_canonical_query(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  for (const std::string_view parameter : split(raw_query, '&')) {
    if (parameter.empty()) continue;
    const std::size_t equals = parameter.find('=');
    const std::string_view name = parameter.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : parameter.substr(equals + 1);
    std::pair<std::string, std::string> encoded;
    uri_encode(uri_decode(name), false, encoded.first);
    uri_encode(uri_decode(value), false, encoded.second);
    parameters.push_back(std::move(encoded));
  }
  std::sort(parameters.begin(), parameters.end());
  std::string out;
  for (const auto& [name, value] : parameters) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::optional<SigV4Rejection> verify_sigv4(const SigV4Request& request, const std::vector<SigV4Key>& keys,
                                           std::chrono::system_clock::time_point now, seconds max_skew) {
  // 1. An Authorization header in the AWS4 family.
  const auto authorizations = header_values(request, "authorization");
  if (authorizations.empty() || trim(authorizations.front()).substr(0, 5) != "AWS4-") {
    return reject(kMissingAuthenticationToken, "Request is missing Authentication Token");
  }
  if (authorizations.size() > 1) {
    return reject(kIncompleteSignature, "Only one 'Authorization' header is allowed.");
  }
  const std::string_view authorization = authorizations.front();

  // 2. Its components, and a request date.
  auto parsed = parse_authorization(authorization);
  if (auto* error = std::get_if<std::string>(&parsed)) return reject(kIncompleteSignature, std::move(*error));
  const auto& parts = std::get<AuthorizationParts>(parsed);
  auto date_values = header_values(request, "x-amz-date");
  const bool amz_date = !date_values.empty();
  if (!amz_date) date_values = header_values(request, "date");
  std::string missing;
  if (!parts.credential || parts.credential->empty()) {
    missing += "Authorization header requires 'Credential' parameter. ";
  }
  if (!parts.signature || parts.signature->empty()) {
    missing += "Authorization header requires 'Signature' parameter. ";
  }
  if (!parts.signed_headers) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (date_values.empty()) {
    missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) {
    return reject(kIncompleteSignature, missing + "Authorization=" + std::string(authorization));
  }

  // 3. The date's form, then the clock.
  const std::string_view date_text = trim(date_values.front());
  // X-Amz-Date: ISO-8601 basic only; Date: RFC 1123 (what HTTP clients write) or ISO-8601 basic.
  auto request_time = amz_date ? parse_iso_basic(date_text) : parse_http_date(date_text);
  if (!request_time && !amz_date) request_time = parse_iso_basic(date_text);
  if (!request_time) {
    return reject(kIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '" +
                                            std::string(date_text) +
                                            "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  const std::string request_iso = iso_basic(*request_time);
  const auto server_time = std::chrono::floor<seconds>(now);
  if (*request_time < server_time - max_skew) {
    return reject(kInvalidSignature, "Signature expired: " + request_iso + " is now earlier than " +
                                         iso_basic(server_time - max_skew) + " (" + iso_basic(server_time) +
                                         " - " + skew_text(max_skew) + ")");
  }
  if (*request_time > server_time + max_skew) {
    return reject(kInvalidSignature, "Signature not yet current: " + request_iso + " is still later than " +
                                         iso_basic(server_time + max_skew) + " (" + iso_basic(server_time) +
                                         " + " + skew_text(max_skew) + ")");
  }

  // 4. Host among the signed headers.
  const auto signed_names = split(*parts.signed_headers, ';');
  if (std::none_of(signed_names.begin(), signed_names.end(),
                   [](std::string_view name) { return iequals(name, "host"); })) {
    return reject(kInvalidSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }

  // 5. The algorithm, the credential's shape, then its scope.
  if (parts.algorithm != kAlgorithm) {
    return reject(kIncompleteSignature, "Unsupported AWS 'algorithm': '" + std::string(parts.algorithm) +
                                            "' (only AWS4-HMAC-SHA256 for now).");
  }
  std::string_view credential = *parts.credential;
  while (!credential.empty() && credential.back() == '/') credential.remove_suffix(1);
  const auto scope = split(credential, '/');
  if (scope.size() != 5) {
    return reject(
        kIncompleteSignature,
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        "got '" +
            std::string(*parts.credential) + "'");
  }
  const std::string_view key_id = scope[0];
  const std::string_view scope_date = scope[1];
  const std::string_view region = scope[2];
  const std::string_view service = scope[3];
  const std::string_view terminator = scope[4];
  std::vector<std::string> scope_errors;
  if (region.empty()) scope_errors.emplace_back("Credential should be scoped to a valid region, not ''.");
  if (service.empty()) scope_errors.emplace_back("Credential should be scoped to a valid service, not ''.");
  if (terminator != kTerminator) {
    scope_errors.push_back("Credential should be scoped with a valid terminator: 'aws4_request', not '" +
                           std::string(terminator) + "'.");
  }
  if (scope_date != std::string_view(request_iso).substr(0, 8)) {
    scope_errors.push_back(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
        std::string(scope_date) + "' != '" + request_iso.substr(0, 8) + "', from '" + request_iso + "'.");
  }
  if (!scope_errors.empty()) {
    std::string message;
    for (const auto& error : scope_errors) message += (message.empty() ? "" : " ") + error;
    return reject(kInvalidSignature, std::move(message));
  }

  // 6. The access key.
  const auto key = std::find_if(keys.begin(), keys.end(),
                                [&](const SigV4Key& candidate) { return candidate.access_key_id == key_id; });
  if (key == keys.end()) {
    return reject(kUnrecognizedClient, "The security token included in the request is invalid.");
  }

  // 7. The canonical request.
  std::string canonical_headers;
  std::string signed_headers;
  std::optional<std::string> content_sha256;
  for (const std::string_view name : signed_names) {
    const auto values = header_values(request, name);
    if (name.empty() || values.empty()) {
      return reject(kIncompleteSignature,
                    "The signed header '" + std::string(name) + "' is missing from the request.");
    }
    std::string value;
    for (std::size_t i = 0; i < values.size(); ++i) value += (i > 0 ? "," : "") + trim_all(values[i]);
    const std::string lower_name = to_lower(name);
    if (lower_name == "x-amz-content-sha256") content_sha256 = value;
    canonical_headers.append(lower_name).append(":").append(value).append("\n");
    signed_headers.append(signed_headers.empty() ? "" : ";").append(lower_name);
  }
  std::string payload_hash;
  if (content_sha256 && *content_sha256 == kUnsignedPayload) {
    payload_hash = *content_sha256;
  } else {
    payload_hash = sha256_hex(request.body);
    if (content_sha256) {
      if (!iequals(*content_sha256, payload_hash)) {
        return reject(kInvalidSignature,
                      "The provided 'x-amz-content-sha256' header does not match what was computed.");
      }
      payload_hash = *content_sha256;
    }
  }
  const std::string canonical_request = request.method + "\n" + sigv4_canonical_uri(request.path) + "\n" +
                                        sigv4_canonical_query(request.query) + "\n" + canonical_headers +
                                        "\n" + signed_headers + "\n" + payload_hash;

  // 8. The signature.
  const std::string scope_text = std::string(scope_date) + "/" + std::string(region) + "/" +
                                 std::string(service) + "/" + std::string(terminator);
  const std::string string_to_sign =
      std::string(kAlgorithm) + "\n" + request_iso + "\n" + scope_text + "\n" + sha256_hex(canonical_request);
  const std::string signing_key = hmac_sha256(
      hmac_sha256(hmac_sha256(hmac_sha256("AWS4" + key->secret_access_key, scope_date), region), service),
      terminator);
  const std::string expected = to_hex(hmac_sha256(signing_key, string_to_sign));
  if (!constant_time_equal(expected, *parts.signature)) {
    return reject(
        kInvalidSignature,
        "The request signature we calculated does not match the signature you provided. Check your AWS "
        "Secret Access Key and signing method. Consult the service documentation for details.\n\n"
        "The Canonical String for this request should have been\n'" +
            canonical_request + "'\n\nThe String-to-Sign should have been\n'" + string_to_sign + "'\n");
  }
  return std::nullopt;
}

}  // namespace logoscope::server
