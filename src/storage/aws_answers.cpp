#include "storage/aws_answers.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tinyxml2.h>

namespace logoscope::storage {

namespace {

using Clock = std::chrono::system_clock;
using Json = nlohmann::json;

Error denied(std::string message) { return Error{ErrorCode::kAccessDenied, std::move(message)}; }

// The text of `parent`'s first child element `name`, or nullptr.
const char* child_text(const tinyxml2::XMLElement* parent, const char* name) {
  const auto* child = parent != nullptr ? parent->FirstChildElement(name) : nullptr;
  return child != nullptr && child->GetText() != nullptr ? child->GetText() : nullptr;
}

// The document's root element `name`, or nullptr when `body` is not XML or has another root.
const tinyxml2::XMLElement* parse_root(tinyxml2::XMLDocument& doc, std::string_view body, const char* name) {
  if (doc.Parse(body.data(), body.size()) != tinyxml2::XML_SUCCESS) return nullptr;
  return doc.FirstChildElement(name);
}

AwsErrorAnswer error_fields(const tinyxml2::XMLElement* error) {
  AwsErrorAnswer answer;
  if (const char* code = child_text(error, "Code")) answer.code = code;
  if (const char* message = child_text(error, "Message")) answer.message = message;
  return answer;
}

bool two_digits(std::string_view text) {
  return text.size() == 2 && std::isdigit(static_cast<unsigned char>(text[0])) != 0 &&
         std::isdigit(static_cast<unsigned char>(text[1])) != 0;
}

// Credentials from a JSON object with the given field names.
Result<S3Credentials> credentials_from_json(const Json& json, const char* key_field, const char* secret_field,
                                            const char* token_field, const std::string& what) {
  S3Credentials credentials;
  for (const auto& [field, target] : {std::pair{key_field, &credentials.access_key_id},
                                      std::pair{secret_field, &credentials.secret_access_key}}) {
    const auto it = json.find(field);
    if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
      return denied(fmt::format("{}: the answer has no \"{}\"", what, field));
    }
    *target = it->get<std::string>();
  }
  if (const auto token = json.find(token_field); token != json.end() && token->is_string()) {
    credentials.session_token = token->get<std::string>();
  }
  if (const auto expiration = json.find("Expiration"); expiration != json.end() && !expiration->is_null()) {
    const std::string text = expiration->is_string()
                                 ? expiration->get<std::string>()
                                 : expiration->dump(-1, ' ', false, Json::error_handler_t::replace);
    const auto when = parse_aws_time(text);
    if (!when) return denied(fmt::format("{}: \"Expiration\" \"{}\" is not an ISO 8601 time", what, text));
    credentials.expiration = when;
  }
  return credentials;
}

// The SSO portal's "expiration": milliseconds since 1970. Later than 2200 reads as 2200, as in
// parse_aws_time (the nanosecond clock ends in 2262).
std::optional<Clock::time_point> sso_expiration(const Json& value) {
  constexpr double kLast = 7258118400000.0;  // 2200-01-01T00:00:00Z
  if (!value.is_number()) return std::nullopt;
  const double ms = value.get<double>();
  if (!(ms >= 0)) return std::nullopt;
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, kLast)))));
}

}  // namespace

std::optional<AwsErrorAnswer> parse_s3_error(std::string_view body) {
  if (body.find("<Error") == std::string_view::npos) return std::nullopt;
  tinyxml2::XMLDocument doc;
  const auto* root = parse_root(doc, body, "Error");
  if (root == nullptr) return std::nullopt;
  return error_fields(root);
}

std::optional<S3ListPage> parse_s3_list_page(std::string_view body) {
  tinyxml2::XMLDocument doc;
  const auto* root = parse_root(doc, body, "ListBucketResult");
  if (root == nullptr) return std::nullopt;
  S3ListPage page;
  for (const auto* item = root->FirstChildElement("Contents"); item != nullptr;
       item = item->NextSiblingElement("Contents")) {
    S3ObjectInfo info;
    if (const char* key = child_text(item, "Key")) info.key = key;
    if (const char* size = child_text(item, "Size")) info.size = std::strtoull(size, nullptr, 10);
    if (const char* etag = child_text(item, "ETag")) info.etag = unquote_etag(etag);
    page.objects.push_back(std::move(info));
  }
  const char* truncated = child_text(root, "IsTruncated");
  const char* next = child_text(root, "NextContinuationToken");
  if (truncated != nullptr && std::string_view(truncated) == "true" && next != nullptr) page.next_token = next;
  return page;
}

std::optional<std::string> parse_s3_upload_id(std::string_view body) {
  tinyxml2::XMLDocument doc;
  const char* id = child_text(parse_root(doc, body, "InitiateMultipartUploadResult"), "UploadId");
  if (id == nullptr || *id == '\0') return std::nullopt;
  return std::string(id);
}

std::optional<AwsErrorAnswer> parse_sts_error(std::string_view body) {
  tinyxml2::XMLDocument doc;
  const auto* root = parse_root(doc, body, "ErrorResponse");
  if (root == nullptr) return std::nullopt;
  return error_fields(root->FirstChildElement("Error"));
}

std::optional<S3Credentials> parse_sts_credentials(std::string_view body, const std::string& action) {
  tinyxml2::XMLDocument doc;
  const auto* root = parse_root(doc, body, (action + "Response").c_str());
  const auto* result = root != nullptr ? root->FirstChildElement((action + "Result").c_str()) : nullptr;
  const auto* credentials = result != nullptr ? result->FirstChildElement("Credentials") : nullptr;
  const char* key = child_text(credentials, "AccessKeyId");
  const char* secret = child_text(credentials, "SecretAccessKey");
  const char* token = child_text(credentials, "SessionToken");
  if (key == nullptr || secret == nullptr || token == nullptr) return std::nullopt;
  S3Credentials read{key, secret, token, "", std::nullopt};
  if (const char* expiration = child_text(credentials, "Expiration")) read.expiration = parse_aws_time(expiration);
  return read;
}

Result<S3Credentials> parse_credentials_answer(std::string_view text, CredentialAnswer kind, const std::string& what) {
  const auto json = Json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return denied(fmt::format("{}: the answer is not a JSON object: \"{}\"", what, answer_excerpt(text)));
  }
  switch (kind) {
    case CredentialAnswer::kContainer:
      return credentials_from_json(json, "AccessKeyId", "SecretAccessKey", "Token", what);
    case CredentialAnswer::kInstanceMetadata: {
      const auto code = json.find("Code");
      if (code != json.end() && *code != "Success") {
        const auto message = json.find("Message");
        return denied(fmt::format("{}: the credentials are not available (Code {}{})", what,
                                  code->dump(-1, ' ', false, Json::error_handler_t::replace),
                                  message != json.end()
                                      ? ": " + message->dump(-1, ' ', false, Json::error_handler_t::replace)
                                      : std::string()));
      }
      return credentials_from_json(json, "AccessKeyId", "SecretAccessKey", "Token", what);
    }
    case CredentialAnswer::kProcess: {
      const auto version = json.find("Version");
      if (version == json.end() || *version != 1) {
        return denied(fmt::format(
            "{}: its output has \"Version\": {}; the credential_process format is Version 1", what,
            version != json.end() ? version->dump(-1, ' ', false, Json::error_handler_t::replace) : "none"));
      }
      return credentials_from_json(json, "AccessKeyId", "SecretAccessKey", "SessionToken", what);
    }
    case CredentialAnswer::kSsoPortal: {
      const auto role = json.find("roleCredentials");
      if (role == json.end() || !role->is_object()) {
        return denied(fmt::format("{}: answered without \"roleCredentials\": \"{}\"", what, answer_excerpt(text)));
      }
      auto credentials = credentials_from_json(*role, "accessKeyId", "secretAccessKey", "sessionToken", what);
      if (!credentials) return credentials;
      if (const auto expiration = role->find("expiration"); expiration != role->end() && !expiration->is_null()) {
        credentials->expiration = sso_expiration(*expiration);
        if (!credentials->expiration) {
          return denied(fmt::format("{}: \"expiration\" {} is not a time in milliseconds since 1970", what,
                                    expiration->dump(-1, ' ', false, Json::error_handler_t::replace)));
        }
      }
      return credentials;
    }
  }
  return denied(fmt::format("{}: unknown kind of credentials answer", what));
}

std::optional<Clock::time_point> parse_aws_time(std::string_view view) {
  const std::string text(view);
  if (text.find('\0') != std::string::npos) return std::nullopt;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                  &consumed) != 6) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(text).substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front())) != 0) rest.remove_prefix(1);
  }
  long offset_s = 0;
  if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && two_digits(rest.substr(1, 2)) &&
      two_digits(rest.substr(4, 2))) {
    const int hours = (rest[1] - '0') * 10 + (rest[2] - '0');
    const int minutes = (rest[4] - '0') * 10 + (rest[5] - '0');
    if (hours > 23 || minutes > 59) return std::nullopt;
    offset_s = (rest[0] == '+' ? 1 : -1) * (hours * 3600L + minutes * 60L);
  } else if (!rest.empty() && rest != "Z" && rest != "UTC") {
    return std::nullopt;
  }
  // sscanf's %d also reads signs: "-1" is not an hour.
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  // The clock counts nanoseconds and ends in 2262: a later time ("9999-12-31", written to mean
  // never) reads as the start of 2200, far beyond any credentials' life.
  constexpr int kLastYear = 2200;
  if (year >= kLastYear) {
    year = kLastYear;
    month = day = 1;
    hour = minute = second = 0;
    offset_s = 0;
  }
  std::tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  return Clock::from_time_t(timegm(&utc)) - std::chrono::seconds(offset_s);
}

std::string unquote_etag(std::string text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') return text.substr(1, text.size() - 2);
  return text;
}

std::string answer_excerpt(std::string_view body) {
  std::string text(body.substr(0, 300));
  std::replace(text.begin(), text.end(), '\n', ' ');
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
  return text + (body.size() > 300 ? "…" : "");
}

}  // namespace logoscope::storage
