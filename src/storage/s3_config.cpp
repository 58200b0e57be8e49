#include "storage/s3_config.hpp"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

namespace logoscope::storage {

namespace {

std::string trim(std::string text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// An AWS INI file: section -> key -> value. A key with an empty value followed by indented
// lines ("s3 =\n  addressing_style = path") stores those lines as "s3.addressing_style".
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

Result<std::optional<IniFile>> read_ini(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::optional<IniFile>{};
  IniFile ini;
  std::string section;
  std::string nested;  // the key of the block an indented line belongs to
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const bool indented = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[') {
      if (text.back() != ']') {
        return Error{ErrorCode::kParse, fmt::format("{}:{}: section header without a closing ']'", path, line_number)};
      }
      section = trim(text.substr(1, text.size() - 2));
      nested.clear();
      continue;
    }
    const auto equals = text.find('=');
    if (equals == std::string::npos) {
      return Error{ErrorCode::kParse, fmt::format("{}:{}: expected 'name = value', found \"{}\"", path, line_number, text)};
    }
    const std::string key = lower(trim(text.substr(0, equals)));
    const std::string value = trim(text.substr(equals + 1));
    if (indented && !nested.empty()) {
      ini[section][nested + "." + key] = value;
      continue;
    }
    nested = value.empty() ? key : "";
    ini[section][key] = value;
  }
  return std::optional<IniFile>{std::move(ini)};
}

std::string home_file(const EnvLookup& env, const char* variable, const char* relative) {
  if (auto set = env(variable)) return *set;
  const auto home = env("HOME");
  return (home ? *home : std::string(".")) + "/" + relative;
}

const std::map<std::string, std::string>* find_section(const std::optional<IniFile>& ini, const std::string& name) {
  if (!ini) return nullptr;
  const auto it = ini->find(name);
  return it == ini->end() ? nullptr : &it->second;
}

std::optional<std::string> value_of(const std::map<std::string, std::string>* section, const std::string& key) {
  if (section == nullptr) return std::nullopt;
  const auto it = section->find(key);
  if (it == section->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<std::string> checked_endpoint(std::string endpoint, const std::string& source) {
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    return Error{ErrorCode::kInvalidValue,
                 fmt::format("{}: endpoint \"{}\" must start with http:// or https://", source, endpoint)};
  }
  while (endpoint.size() > 8 && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
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

  const std::string credentials_path = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  const std::string config_path = home_file(env, "AWS_CONFIG_FILE", ".aws/config");
  auto credentials_file = read_ini(credentials_path);
  if (!credentials_file) return credentials_file.error();
  auto config_file = read_ini(config_path);
  if (!config_file) return config_file.error();
  const auto* credentials_section = find_section(*credentials_file, settings.profile);
  const auto* config_section = find_section(
      *config_file, settings.profile == "default" ? std::string("default") : "profile " + settings.profile);

  // Credentials.
  const auto env_key = env("AWS_ACCESS_KEY_ID");
  const auto env_secret = env("AWS_SECRET_ACCESS_KEY");
  if (env_key && env_secret) {
    settings.credentials = S3Credentials{*env_key, *env_secret, env("AWS_SESSION_TOKEN").value_or(""),
                                         "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"};
  } else {
    for (const auto& [section, path] :
         {std::pair{credentials_section, credentials_path}, std::pair{config_section, config_path}}) {
      const auto key = value_of(section, "aws_access_key_id");
      const auto secret = value_of(section, "aws_secret_access_key");
      if (key && secret) {
        settings.credentials = S3Credentials{*key, *secret, value_of(section, "aws_session_token").value_or(""),
                                             fmt::format("{} [{}]", path, settings.profile)};
        break;
      }
    }
  }
  settings.credentials_searched =
      fmt::format("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, profile \"{}\" in {} and in {}", settings.profile,
                  credentials_path, config_path);

  // Region.
  if (auto region = env("AWS_REGION")) {
    settings.region = *region;
  } else if (auto default_region = env("AWS_DEFAULT_REGION")) {
    settings.region = *default_region;
  } else if (auto configured = value_of(config_section, "region")) {
    settings.region = *configured;
  }

  // Endpoint.
  std::optional<std::pair<std::string, std::string>> endpoint;  // value, source
  if (!endpoint_override.empty()) {
    endpoint = {endpoint_override, "--endpoint-url"};
  } else if (auto s3_only = env("AWS_ENDPOINT_URL_S3")) {
    endpoint = {*s3_only, "AWS_ENDPOINT_URL_S3"};
  } else if (auto any = env("AWS_ENDPOINT_URL")) {
    endpoint = {*any, "AWS_ENDPOINT_URL"};
  } else if (auto nested = value_of(config_section, "s3.endpoint_url")) {
    endpoint = {*nested, config_path};
  } else if (auto configured = value_of(config_section, "endpoint_url")) {
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
  } else if (auto configured = value_of(config_section, "s3.addressing_style")) {
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
