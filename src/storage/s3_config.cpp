#include "storage/s3_config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "storage/aws_credentials.hpp"

namespace logoscope::storage {

namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Result<std::string> checked_endpoint(std::string endpoint, const std::string& source) {
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: endpoint \"{}\" must start with http:// or https://", source, endpoint)};
  }
  while (endpoint.size() > 8 && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

// S3's part sizes: every part but the last at least 5 MiB, none over 5 GiB.
constexpr std::uint64_t kMinPartSize = std::uint64_t{5} << 20;
constexpr std::uint64_t kMaxPartSize = std::uint64_t{5} << 30;

// "8MB", "64 MiB", "1048576": the AWS CLI's sizes (KB, MB, GB, TB and their KiB… forms are all
// powers of 1024); nullopt when not one.
std::optional<std::uint64_t> parse_byte_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  const std::uint64_t number = std::stoull(text.substr(0, digits));
  std::string unit;
  for (std::size_t i = digits; i < text.size(); ++i) {
    if (text[i] != ' ') unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  }
  static const std::pair<const char*, int> kUnits[] = {{"", 0},    {"B", 0},    {"KB", 10},  {"KIB", 10}, {"MB", 20},
                                                       {"MIB", 20}, {"GB", 30}, {"GIB", 30}, {"TB", 40},  {"TIB", 40}};
  for (const auto& [name, shift] : kUnits) {
    if (unit == name) return number > (UINT64_MAX >> shift) ? std::nullopt : std::optional(number << shift);
  }
  return std::nullopt;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Result<S3Settings> resolve_s3_settings(const EnvLookup& env, const std::string& endpoint_override) {
  S3Settings settings;
  if (auto profile = env("AWS_PROFILE")) settings.profile = *profile;

  auto files = AwsFiles::read(env);
  if (!files) return files.error();
  const auto* config_section = files->config_section(settings.profile);

  // Region (first: STS is regional).
  if (auto region = env("AWS_REGION")) {
    settings.region = *region;
  } else if (auto default_region = env("AWS_DEFAULT_REGION")) {
    settings.region = *default_region;
  } else if (auto configured = ini_value(config_section, "region")) {
    settings.region = *configured;
  }

  // Credentials: found now, fetched (when they must be) by the first request.
  auto chain = resolve_credential_chain(env, *files, settings.profile, settings.region);
  if (!chain) return chain.error();
  settings.credentials = std::move(chain->credentials);
  settings.credential_provider = std::move(chain->provider);
  settings.credentials_searched = std::move(chain->searched);
  const std::string& config_path = files->config_path;

  // Endpoint.
  std::optional<std::pair<std::string, std::string>> endpoint;  // value, source
  if (!endpoint_override.empty()) {
    endpoint = {endpoint_override, "--endpoint-url"};
  } else if (auto s3_only = env("AWS_ENDPOINT_URL_S3")) {
    endpoint = {*s3_only, "AWS_ENDPOINT_URL_S3"};
  } else if (auto any = env("AWS_ENDPOINT_URL")) {
    endpoint = {*any, "AWS_ENDPOINT_URL"};
  } else if (auto nested = ini_value(config_section, "s3.endpoint_url")) {
    endpoint = {*nested, config_path};
  } else if (auto configured = ini_value(config_section, "endpoint_url")) {
    endpoint = {*configured, config_path};
  }
  if (endpoint) {
    auto checked = checked_endpoint(endpoint->first, endpoint->second);
    if (!checked) return checked.error();
    settings.endpoint = *checked;
    settings.custom_endpoint = true;
  } else {
    settings.endpoint = fmt::format("https://s3.{}.amazonaws.com", settings.region);
  }

  // Addressing style.
  std::optional<std::pair<std::string, std::string>> style;
  if (auto set = env("LOGOSCOPE_S3_ADDRESSING_STYLE")) {
    style = {*set, "LOGOSCOPE_S3_ADDRESSING_STYLE"};
  } else if (auto configured = ini_value(config_section, "s3.addressing_style")) {
    style = {*configured, config_path};
  }
  if (style) {
    const std::string value = lower(style->first);
    if (value == "path") {
      settings.addressing = AddressingStyle::kPath;
    } else if (value == "virtual") {
      settings.addressing = AddressingStyle::kVirtual;
    } else if (value == "auto") {
      settings.addressing = AddressingStyle::kAuto;
    } else {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("{}: addressing style \"{}\" is not path, virtual or auto", style->second, style->first)};
    }
  }

  // Multipart sizes, as the AWS CLI reads them from the profile's nested s3 settings
  // (s3 =\n  multipart_threshold = 64MB\n  multipart_chunksize = 16MB). A size outside what S3
  // allows is brought inside it, as the AWS CLI does, with a warning; only text that is no size
  // is refused.
  for (const auto& [key, target, minimum, maximum] :
       {std::tuple{"s3.multipart_threshold", &settings.multipart_threshold, std::uint64_t{1}, UINT64_MAX},
        std::tuple{"s3.multipart_chunksize", &settings.part_size, kMinPartSize, kMaxPartSize}}) {
    const auto configured = ini_value(config_section, key);
    if (!configured) continue;
    const auto size = parse_byte_size(*configured);
    if (!size) {
      return Error{ErrorCode::kInvalidValue, fmt::format("{}: {} = \"{}\" is not a size (e.g. 8MB, 64MB, 1048576)",
                                                         config_path, key + 3, *configured)};
    }
    const std::uint64_t used = std::clamp(*size, minimum, maximum);
    if (used != *size) {
      spdlog::warn("{}: {} = {}: S3 takes {} to {} bytes; using {}", config_path, key + 3, *configured, minimum,
                   maximum, used);
    }
    *target = static_cast<std::size_t>(std::min<std::uint64_t>(used, SIZE_MAX));
  }

  if (auto attempts = env("AWS_MAX_ATTEMPTS")) {
    char* end = nullptr;
    const long value = std::strtol(attempts->c_str(), &end, 10);
    if (end == attempts->c_str() || *end != '\0' || value < 1 || value > 100) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("AWS_MAX_ATTEMPTS: \"{}\" is not a whole number from 1 to 100", *attempts)};
    }
    settings.max_attempts = static_cast<int>(value);
  }
  if (auto stall = env("LOGOSCOPE_S3_STALL_TIMEOUT")) {
    char* end = nullptr;
    const double value = std::strtod(stall->c_str(), &end);
    if (end == stall->c_str() || *end != '\0' || !(value > 0)) {
      return Error{ErrorCode::kInvalidValue,
                   fmt::format("LOGOSCOPE_S3_STALL_TIMEOUT: \"{}\" is not a positive number of seconds", *stall)};
    }
    settings.stall_timeout_s = value;
  }
  return settings;
}

}  // namespace logoscope::storage
