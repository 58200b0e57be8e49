#include "storage/aws_credentials.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/text.hpp"
#include "storage/aws_answers.hpp"
#include "storage/http.hpp"
#include "storage/s3_uri.hpp"

namespace logoscope::storage {

namespace {

using Clock = std::chrono::system_clock;
using Json = nlohmann::json;

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

std::string home_file(const EnvLookup& env, const char* variable, const char* relative) {
  if (auto set = env(variable)) return *set;
  const auto home = env("HOME");
  return (home ? *home : std::string(".")) + "/" + relative;
}

const IniSection* find_section(const std::optional<IniFile>& ini, const std::string& name) {
  if (!ini) return nullptr;
  const auto it = ini->find(name);
  return it == ini->end() ? nullptr : &it->second;
}

Error denied(std::string message) {
  return Error{ErrorCode::kAccessDenied, std::move(message)};
}
Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidValue, std::move(message)};
}

std::string format_time(Clock::time_point when) { return utc_time_text(Clock::to_time_t(when)); }

std::string form_encode(const std::string& value) {
  return s3_uri_encode(value, false);
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{ErrorCode::kNotFound, fmt::format("{}: cannot open for reading", path)};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::string> endpoint_url(const EnvLookup& env, const char* service_variable, std::string fallback) {
  std::optional<std::pair<std::string, std::string>> found;
  if (auto specific = env(service_variable)) {
    found = {*specific, service_variable};
  } else if (auto any = env("AWS_ENDPOINT_URL")) {
    found = {*any, "AWS_ENDPOINT_URL"};
  }
  if (!found) return fallback;
  std::string url = found->first;
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return invalid(
        fmt::format("{}: endpoint \"{}\" must start with http:// or https://", found->second, url));
  }
  while (url.size() > 8 && url.back() == '/') url.pop_back();
  return url;
}

// ------------------------------------------------------------------ providers

class StaticProvider final : public CredentialProvider {
 public:
  explicit StaticProvider(S3Credentials credentials) : credentials_(std::move(credentials)) {}
  [[nodiscard]] Result<S3Credentials> fetch() const override { return credentials_; }
  [[nodiscard]] std::string describe() const override { return credentials_.source; }

 private:
  S3Credentials credentials_;
};

// STS's answer to AssumeRole or AssumeRoleWithWebIdentity.
Result<S3Credentials> sts_answer(const http::Response& response, const std::string& action,
                                 const std::string& url, const std::string& who, const std::string& role_arn,
                                 const std::string& advice) {
  if (!response.answered()) {
    return denied(
        fmt::format("{}: no answer from STS at {} for {}: {}; check the network, or point "
                    "AWS_ENDPOINT_URL_STS at a reachable STS endpoint",
                    who, url, action, response.transport_error));
  }
  if (!response.ok()) {
    const auto error = parse_sts_error(response.body);
    const std::string code = error && !error->code.empty() ? " " + error->code : "";
    const std::string message = error && !error->message.empty() ? ": " + error->message : "";
    return denied(fmt::format("{}: STS at {} refused {} of role {} (HTTP {}{}{}); {}", who, url, action, role_arn,
                              response.status, code, message, advice));
  }
  auto credentials = parse_sts_credentials(response.body, action);
  if (!credentials) {
    return denied(
        fmt::format("{}: STS at {} answered {} without <Credentials> (AccessKeyId, SecretAccessKey, "
                    "SessionToken): \"{}\"",
                    who, url, action, answer_excerpt(response.body)));
  }
  return *credentials;
}

struct RoleOptions {
  std::string role_arn;
  std::string session_name;
  std::string external_id;       ///< AssumeRole only; "" for none
  std::string duration_seconds;  ///< "" for STS's default
  std::string where;             ///< "profile \"dev\" in /home/me/.aws/config", "AWS_ROLE_ARN"
  std::string sts_url;           ///< scheme://host[:port]
  std::string region;
};

class AssumeRoleProvider final : public CredentialProvider {
 public:
  AssumeRoleProvider(RoleOptions options, std::shared_ptr<const CredentialProvider> source)
      : options_(std::move(options)), source_(std::move(source)) {}

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    auto source = source_->fetch();
    if (!source) {
      return denied(fmt::format("{} (role {}): its source credentials: {}", options_.where, options_.role_arn,
                                source.error().message));
    }
    http::Request request;
    request.method = "POST";
    request.url = options_.sts_url + "/";
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded; charset=utf-8");
    request.body = fmt::format("Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName={}",
                               form_encode(options_.role_arn), form_encode(options_.session_name));
    if (!options_.external_id.empty()) request.body += "&ExternalId=" + form_encode(options_.external_id);
    if (!options_.duration_seconds.empty())
      request.body += "&DurationSeconds=" + form_encode(options_.duration_seconds);
    request.sigv4 = http::Signing{options_.region, "sts", source->access_key_id, source->secret_access_key,
                                  source->session_token};
    request.connect_timeout_s = 5;
    request.timeout_s = 30;
    auto credentials = sts_answer(
        http::perform(request), "AssumeRole", options_.sts_url, options_.where, options_.role_arn,
        fmt::format("check that the source credentials (access key {} from {}) may assume this role "
                    "(sts:AssumeRole) and that the role trusts them",
                    source->access_key_id, source->source));
    if (credentials) credentials->source = describe();
    return credentials;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("role {} assumed for {} with {}", options_.role_arn, options_.where,
                       source_->describe());
  }

 private:
  RoleOptions options_;
  std::shared_ptr<const CredentialProvider> source_;
};

class WebIdentityProvider final : public CredentialProvider {
 public:
  WebIdentityProvider(RoleOptions options, std::string token_file, std::string token_file_origin)
      : options_(std::move(options)),
        token_file_(std::move(token_file)),
        origin_(std::move(token_file_origin)) {}

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    auto token = read_text_file(token_file_);  // read each time: the platform rotates it
    if (!token || trim(*token).empty()) {
      return denied(
          fmt::format("{}: the web identity token file {} ({}) {}; check the variable, or the volume "
                      "the platform mounts it from",
                      options_.where, token_file_, origin_, token ? "is empty" : "cannot be read"));
    }
    http::Request request;
    request.method = "POST";
    request.url = options_.sts_url + "/";
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded; charset=utf-8");
    request.body = fmt::format(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&WebIdentityToken={"
        "}",
        form_encode(options_.role_arn), form_encode(options_.session_name), form_encode(trim(*token)));
    if (!options_.duration_seconds.empty())
      request.body += "&DurationSeconds=" + form_encode(options_.duration_seconds);
    request.connect_timeout_s = 5;
    request.timeout_s = 30;
    auto credentials = sts_answer(
        http::perform(request), "AssumeRoleWithWebIdentity", options_.sts_url, options_.where,
        options_.role_arn,
        fmt::format(
            "check that the token in {} is current and that the role's trust policy accepts its issuer "
            "and audience",
            token_file_));
    if (credentials) credentials->source = describe();
    return credentials;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("role {} assumed with the web identity token in {} ({})", options_.role_arn,
                       token_file_, options_.where);
  }

 private:
  RoleOptions options_;
  std::string token_file_;
  std::string origin_;
};

struct SsoOptions {
  std::string profile;
  std::string config_path;
  std::string session_name;  ///< "" for a legacy profile (sso_start_url in the profile)
  std::string start_url;
  std::string account_id;
  std::string role_name;
  std::string cache_dir;   ///< ~/.aws/sso/cache
  std::string portal_url;  ///< scheme://host[:port]
};

class SsoProvider final : public CredentialProvider {
 public:
  explicit SsoProvider(SsoOptions options) : options_(std::move(options)) {}

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    const std::string who = fmt::format("profile \"{}\" in {} (AWS IAM Identity Center / SSO)",
                                        options_.profile, options_.config_path);
    const std::string login = fmt::format("run `aws sso login --profile {}`", options_.profile);
    const std::string cache_file =
        fmt::format("{}/{}.json", options_.cache_dir,
                    sha1_hex(options_.session_name.empty() ? options_.start_url : options_.session_name));
    auto text = read_text_file(cache_file);
    if (!text) {
      return denied(fmt::format(
          "{}: not logged in: there is no SSO login token for {} ({} does not exist); {}", who,
          options_.session_name.empty() ? options_.start_url : "sso-session " + options_.session_name,
          cache_file, login));
    }
    const auto json = Json::parse(*text, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("accessToken") ||
        !json["accessToken"].is_string() || !json.contains("expiresAt") || !json["expiresAt"].is_string()) {
      return denied(fmt::format("{}: {} is not an SSO token cache file (no accessToken and expiresAt); {}",
                                who, cache_file, login));
    }
    const auto expires = parse_aws_time(json["expiresAt"].get<std::string>());
    if (!expires || *expires <= Clock::now()) {
      return denied(fmt::format("{}: the SSO login token in {} expired at {}; {}", who, cache_file,
                                json["expiresAt"].get<std::string>(), login));
    }
    http::Request request;
    request.url = fmt::format("{}/federation/credentials?account_id={}&role_name={}", options_.portal_url,
                              form_encode(options_.account_id), form_encode(options_.role_name));
    request.headers.push_back("x-amz-sso_bearer_token: " + json["accessToken"].get<std::string>());
    request.connect_timeout_s = 5;
    request.timeout_s = 30;
    const auto response = http::perform(request);
    const std::string portal = fmt::format("the SSO portal at {}", options_.portal_url);
    if (!response.answered()) {
      return denied(fmt::format("{}: no answer from {}: {}; check the network, or AWS_ENDPOINT_URL_SSO", who,
                                portal, response.transport_error));
    }
    if (response.status == 401) {
      return denied(
          fmt::format("{}: {} refused the login token from {} (HTTP 401: {}): the login has ended or was "
                      "revoked; {}",
                      who, portal, cache_file, answer_excerpt(response.body), login));
    }
    if (response.status == 403 || response.status == 404) {
      return denied(
          fmt::format("{}: {} refused role \"{}\" in account {} for this login (HTTP {}: {}); check "
                      "sso_account_id and sso_role_name in {}",
                      who, portal, options_.role_name, options_.account_id, response.status,
                      answer_excerpt(response.body), options_.config_path));
    }
    if (!response.ok()) {
      return denied(
          fmt::format("{}: {} failed: HTTP {}: {}", who, portal, response.status, answer_excerpt(response.body)));
    }
    auto credentials = parse_credentials_answer(response.body, CredentialAnswer::kSsoPortal, who + ": " + portal);
    if (!credentials) return credentials.error();
    credentials->source = describe();
    return credentials;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("role {} in account {} from SSO (profile \"{}\" in {})", options_.role_name,
                       options_.account_id, options_.profile, options_.config_path);
  }

 private:
  SsoOptions options_;
};

class ProcessProvider final : public CredentialProvider {
 public:
  ProcessProvider(std::string profile, std::string file, std::string command)
      : profile_(std::move(profile)), file_(std::move(file)), command_(std::move(command)) {}

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    const std::string who =
        fmt::format("profile \"{}\" in {}: credential_process `{}`", profile_, file_, command_);
    // popen runs the command through /bin/sh -c, as the AWS CLI does on POSIX; its stderr
    // goes to ours, so that its own messages reach the user.
    std::FILE* pipe = ::popen(command_.c_str(), "r");
    if (pipe == nullptr) return denied(fmt::format("{}: cannot be started: {}", who, std::strerror(errno)));
    std::string output;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = ::pclose(pipe);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      const std::string how =
          status != -1 && WIFEXITED(status)     ? fmt::format("exit status {}", WEXITSTATUS(status))
          : status != -1 && WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                                : "did not finish";
      return denied(fmt::format(
          "{} failed ({}); its own messages, if any, are above; run it by hand to see why", who, how));
    }
    auto credentials = parse_credentials_answer(output, CredentialAnswer::kProcess, who);
    if (credentials) credentials->source = describe();
    return credentials;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("credential_process of profile \"{}\" in {}", profile_, file_);
  }

 private:
  std::string profile_;
  std::string file_;
  std::string command_;
};

class ContainerProvider final : public CredentialProvider {
 public:
  ContainerProvider(std::string url, std::string origin, std::string token, std::string token_file)
      : url_(std::move(url)),
        origin_(std::move(origin)),
        token_(std::move(token)),
        token_file_(std::move(token_file)) {}

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    const std::string who = fmt::format("the container credentials endpoint {} ({})", url_, origin_);
    std::string token = token_;
    std::string token_origin = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    if (!token_file_.empty()) {  // read each time: EKS rotates it
      auto text = read_text_file(token_file_);
      if (!text) {
        return denied(
            fmt::format("{}: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {} cannot be read", who, token_file_));
      }
      token = trim(*text);
      token_origin = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + token_file_;
    }
    http::Request request;
    request.url = url_;
    if (!token.empty()) request.headers.push_back("Authorization: " + token);
    request.connect_timeout_s = 2;
    request.timeout_s = 5;
    const auto response = http::perform(request);
    if (!response.answered()) {
      return denied(fmt::format("{}: no answer: {}; outside ECS/EKS, unset {}", who, response.transport_error,
                                origin_));
    }
    if (response.status == 401 || response.status == 403) {
      return denied(fmt::format("{}: refused the authorization token{} (HTTP {}: {}); check {}", who,
                                token.empty() ? " (none was set)" : "", response.status,
                                answer_excerpt(response.body), token_origin));
    }
    if (!response.ok()) {
      return denied(fmt::format("{}: HTTP {}: {}", who, response.status, answer_excerpt(response.body)));
    }
    auto credentials = parse_credentials_answer(response.body, CredentialAnswer::kContainer, who);
    if (credentials) credentials->source = describe();
    return credentials;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("container endpoint {} ({})", url_, origin_);
  }

 private:
  std::string url_;
  std::string origin_;
  std::string token_;
  std::string token_file_;
};

class ImdsProvider final : public CredentialProvider {
 public:
  // `searched` not empty: the last resort of the chain, whose failure means "no credentials".
  ImdsProvider(std::string endpoint, std::string origin, std::string searched)
      : endpoint_(std::move(endpoint)), origin_(std::move(origin)), searched_(std::move(searched)) {}

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    http::Request token_request;
    token_request.method = "PUT";
    token_request.url = endpoint_ + "/latest/api/token";
    token_request.headers.push_back("X-aws-ec2-metadata-token-ttl-seconds: 21600");
    const auto token = send(token_request);
    if (!token.answered()) {
      if (!searched_.empty()) {
        return denied(
            fmt::format("no AWS credentials found (looked at {}, and at the EC2 instance metadata service "
                        "at {}, which did not answer: {}); set AWS_ACCESS_KEY_ID and "
                        "AWS_SECRET_ACCESS_KEY, write them to ~/.aws/credentials, or choose a configured "
                        "profile with AWS_PROFILE",
                        searched_, endpoint_, token.transport_error));
      }
      return denied(fmt::format("{}: no answer: {}; is this an EC2 instance?", who(), token.transport_error));
    }
    if (!token.ok()) {
      return denied(fmt::format("{}: refused a session token (PUT /latest/api/token: HTTP {}: {})", who(),
                                token.status, answer_excerpt(token.body)));
    }
    const std::string token_header = "X-aws-ec2-metadata-token: " + trim(token.body);
    http::Request list;
    list.url = endpoint_ + "/latest/meta-data/iam/security-credentials/";
    list.headers.push_back(token_header);
    const auto roles = send(list);
    if (roles.answered() && roles.status == 404) {
      return denied(
          fmt::format("{}: this instance has no IAM role (no instance profile); attach one, or give "
                      "credentials another way",
                      who()));
    }
    if (!roles.ok()) return failed(roles, "/latest/meta-data/iam/security-credentials/");
    const std::string role = trim(roles.body.substr(0, roles.body.find('\n')));
    if (role.empty())
      return denied(fmt::format("{}: this instance has no IAM role (no instance profile)", who()));
    http::Request get;
    get.url = endpoint_ + "/latest/meta-data/iam/security-credentials/" + role;
    get.headers.push_back(token_header);
    const auto answer = send(get);
    if (!answer.ok()) return failed(answer, "/latest/meta-data/iam/security-credentials/" + role);
    auto credentials = parse_credentials_answer(answer.body, CredentialAnswer::kInstanceMetadata,
                                                fmt::format("{}: role {}", who(), role));
    if (credentials) credentials->source = fmt::format("role {} from {}", role, describe());
    return credentials;
  }

  [[nodiscard]] std::string describe() const override {
    return fmt::format("EC2 instance metadata at {} ({})", endpoint_, origin_);
  }

 private:
  static http::Response send(http::Request request) {
    request.connect_timeout_s = 1;
    request.timeout_s = 2;
    return http::perform(request);
  }
  [[nodiscard]] std::string who() const {
    return fmt::format("the EC2 instance metadata service at {} ({})", endpoint_, origin_);
  }
  [[nodiscard]] Error failed(const http::Response& response, const std::string& path) const {
    if (!response.answered())
      return denied(fmt::format("{}: no answer for {}: {}", who(), path, response.transport_error));
    return denied(
        fmt::format("{}: GET {}: HTTP {}: {}", who(), path, response.status, answer_excerpt(response.body)));
  }

  std::string endpoint_;
  std::string origin_;
  std::string searched_;
};

// ------------------------------------------------------------------ resolution

using ProviderPtr = std::shared_ptr<const CredentialProvider>;

// What one source of the chain gave: static credentials, or a provider, or nothing.
struct Found {
  std::optional<S3Credentials> credentials;
  ProviderPtr provider;
  [[nodiscard]] bool any() const { return credentials || provider; }
  [[nodiscard]] ProviderPtr as_provider() const {
    return provider ? provider : std::make_shared<StaticProvider>(*credentials);
  }
};

struct ChainContext {
  const EnvLookup& env;
  const AwsFiles& files;
  std::string region;

  [[nodiscard]] Result<std::string> sts_url() const {
    return endpoint_url(env, "AWS_ENDPOINT_URL_STS", fmt::format("https://sts.{}.amazonaws.com", region));
  }
  [[nodiscard]] std::string default_session_name() const {
    return fmt::format("logoscope-{}", Clock::to_time_t(Clock::now()));
  }
};

// A profile's keys across both files: the credentials file wins, as in the AWS CLI.
struct ProfileView {
  std::string name;
  const IniSection* credentials = nullptr;
  const IniSection* config = nullptr;
  const AwsFiles* files = nullptr;

  [[nodiscard]] std::optional<std::string> get(const std::string& key) const {
    if (auto value = ini_value(credentials, key)) return value;
    return ini_value(config, key);
  }
  [[nodiscard]] const std::string& file_of(const std::string& key) const {
    return ini_value(credentials, key) ? files->credentials_path : files->config_path;
  }
  [[nodiscard]] std::string where(const std::string& key) const {
    return fmt::format("profile \"{}\" in {}", name, file_of(key));
  }
};

std::optional<S3Credentials> static_keys(const IniSection* section, const std::string& path,
                                         const std::string& profile) {
  const auto key = ini_value(section, "aws_access_key_id");
  const auto secret = ini_value(section, "aws_secret_access_key");
  if (!key || !secret) return std::nullopt;
  return S3Credentials{*key, *secret, ini_value(section, "aws_session_token").value_or(""),
                       fmt::format("{} [{}]", path, profile), std::nullopt};
}

std::optional<S3Credentials> environment_keys(const EnvLookup& env) {
  const auto key = env("AWS_ACCESS_KEY_ID");
  const auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (!key || !secret) return std::nullopt;
  return S3Credentials{*key, *secret, env("AWS_SESSION_TOKEN").value_or(""),
                       "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY", std::nullopt};
}

bool is_allowed_container_host(const std::string& url) {
  if (url.rfind("https://", 0) == 0) return true;
  if (url.rfind("http://", 0) != 0) return false;
  std::string host = url.substr(7, url.find_first_of("/?#", 7) - 7);
  if (host.rfind('[', 0) == 0) {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "[::1]" || host == "169.254.170.2" ||
         host == "169.254.170.23" || host == "[fd00:ec2::23]";
}

// The ECS/EKS endpoint named by the environment; nullptr when none is.
Result<ProviderPtr> container_provider(const EnvLookup& env) {
  std::string url;
  std::string origin;
  if (auto relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    url = "http://169.254.170.2" + (relative->front() == '/' ? *relative : "/" + *relative);
    origin = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
  } else if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    if (!is_allowed_container_host(*full)) {
      return invalid(
          fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI: \"{}\" is refused: it must be https://, or "
                      "http:// to a loopback address or the ECS/EKS agent (169.254.170.2, 169.254.170.23)",
                      *full));
    }
    url = *full;
    origin = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  } else {
    return ProviderPtr{};
  }
  return ProviderPtr{
      std::make_shared<ContainerProvider>(url, origin, env("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or(""),
                                          env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or(""))};
}

Result<std::string> imds_endpoint(const EnvLookup& env) {
  if (auto set = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) {
    std::string url = *set;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return invalid(fmt::format(
          "AWS_EC2_METADATA_SERVICE_ENDPOINT: endpoint \"{}\" must start with http:// or https://", url));
    }
    while (url.size() > 8 && url.back() == '/') url.pop_back();
    return url;
  }
  return std::string("http://169.254.169.254");
}

std::string imds_origin(const EnvLookup& env) {
  return env("AWS_EC2_METADATA_SERVICE_ENDPOINT") ? "AWS_EC2_METADATA_SERVICE_ENDPOINT"
                                                  : "its standard address";
}

Result<Found> profile_credentials(const ChainContext& context, const std::string& name,
                                  std::vector<std::string> visited);

// The credentials a role profile assumes the role with.
Result<ProviderPtr> role_source(const ChainContext& context, const ProfileView& profile,
                                const std::vector<std::string>& visited) {
  const auto source_profile = profile.get("source_profile");
  const auto credential_source = profile.get("credential_source");
  if (source_profile && credential_source) {
    return invalid(fmt::format("{}: has both source_profile and credential_source; keep one",
                               profile.where("source_profile")));
  }
  if (source_profile) {
    if (*source_profile == profile.name) {  // the AWS CLI's self-reference: the profile's own keys
      auto keys = static_keys(profile.credentials, context.files.credentials_path, profile.name);
      if (!keys) keys = static_keys(profile.config, context.files.config_path, profile.name);
      if (!keys) {
        return invalid(
            fmt::format("{}: source_profile names the profile itself, which has no aws_access_key_id "
                        "and aws_secret_access_key",
                        profile.where("source_profile")));
      }
      return ProviderPtr{std::make_shared<StaticProvider>(*keys)};
    }
    if (std::find(visited.begin(), visited.end(), *source_profile) != visited.end()) {
      std::string cycle;
      for (const auto& step : visited) cycle += step + " -> ";
      return invalid(
          fmt::format("{}: source_profile \"{}\" makes a cycle ({}{}); end the chain at a profile with "
                      "keys, SSO or credential_process",
                      profile.where("source_profile"), *source_profile, cycle, *source_profile));
    }
    auto found = profile_credentials(context, *source_profile, visited);
    if (!found) return found.error();
    if (!found->any()) {
      return invalid(
          fmt::format("{}: source_profile \"{}\" has no credentials (no keys, role_arn, SSO or "
                      "credential_process in {} or {})",
                      profile.where("source_profile"), *source_profile, context.files.credentials_path,
                      context.files.config_path));
    }
    return found->as_provider();
  }
  const std::string where = profile.where("credential_source");
  if (*credential_source == "Environment") {
    auto keys = environment_keys(context.env);
    if (!keys) {
      return invalid(
          fmt::format("{}: credential_source = Environment, but AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY are not set",
                      where));
    }
    return ProviderPtr{std::make_shared<StaticProvider>(*keys)};
  }
  if (*credential_source == "Ec2InstanceMetadata") {
    auto endpoint = imds_endpoint(context.env);
    if (!endpoint) return endpoint.error();
    return ProviderPtr{std::make_shared<ImdsProvider>(*endpoint, imds_origin(context.env), "")};
  }
  if (*credential_source == "EcsContainer") {
    auto container = container_provider(context.env);
    if (!container) return container.error();
    if (!*container) {
      return invalid(
          fmt::format("{}: credential_source = EcsContainer, but neither "
                      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
                      where));
    }
    return *container;
  }
  return invalid(
      fmt::format("{}: credential_source \"{}\" is not Environment, Ec2InstanceMetadata or EcsContainer",
                  where, *credential_source));
}

Result<Found> role_profile(const ChainContext& context, const ProfileView& profile,
                           const std::vector<std::string>& visited) {
  const std::string where = profile.where("role_arn");
  if (profile.get("mfa_serial")) {
    return invalid(
        fmt::format("{}: mfa_serial: logoscope cannot ask for an MFA code; use a profile without "
                    "mfa_serial (for example credential_process, SSO, or the keys `aws sts "
                    "get-session-token` prints)",
                    profile.where("mfa_serial")));
  }
  auto sts_url = context.sts_url();
  if (!sts_url) return sts_url.error();
  RoleOptions options{*profile.get("role_arn"),
                      profile.get("role_session_name").value_or(context.default_session_name()),
                      profile.get("external_id").value_or(""),
                      profile.get("duration_seconds").value_or(""),
                      where,
                      *sts_url,
                      context.region};
  if (!profile.get("source_profile") && !profile.get("credential_source")) {
    if (auto token_file = profile.get("web_identity_token_file")) {
      options.external_id.clear();
      return Found{std::nullopt,
                   std::make_shared<WebIdentityProvider>(std::move(options), *token_file,
                                                         profile.where("web_identity_token_file"))};
    }
    return invalid(
        fmt::format("{}: role_arn needs source_profile, credential_source or web_identity_token_file "
                    "to say whose credentials assume the role",
                    where));
  }
  auto source = role_source(context, profile, visited);
  if (!source) return source.error();
  return Found{std::nullopt, std::make_shared<AssumeRoleProvider>(std::move(options), std::move(*source))};
}

Result<Found> sso_profile(const ChainContext& context, const ProfileView& profile) {
  SsoOptions options;
  options.profile = profile.name;
  options.config_path = context.files.config_path;
  const std::string where = fmt::format("profile \"{}\" in {}", profile.name, context.files.config_path);
  std::string region;
  if (auto session = profile.get("sso_session")) {
    const auto* section = context.files.sso_session_section(*session);
    if (section == nullptr) {
      return invalid(fmt::format("{}: sso_session \"{}\" has no [sso-session {}] section in {}", where,
                                 *session, *session, context.files.config_path));
    }
    options.session_name = *session;
    const auto start_url = ini_value(section, "sso_start_url");
    const auto sso_region = ini_value(section, "sso_region");
    if (!start_url || !sso_region) {
      return invalid(fmt::format("[sso-session {}] in {}: needs sso_start_url and sso_region", *session,
                                 context.files.config_path));
    }
    options.start_url = *start_url;
    region = *sso_region;
  } else {
    const auto start_url = profile.get("sso_start_url");
    const auto sso_region = profile.get("sso_region");
    if (!start_url || !sso_region) {
      return invalid(fmt::format(
          "{}: an SSO profile needs sso_session (or the legacy sso_start_url and sso_region)", where));
    }
    options.start_url = *start_url;
    region = *sso_region;
  }
  for (const auto& [key, target] :
       {std::pair{"sso_account_id", &options.account_id}, std::pair{"sso_role_name", &options.role_name}}) {
    auto value = profile.get(key);
    if (!value) return invalid(fmt::format("{}: an SSO profile needs {}", where, key));
    *target = *value;
  }
  const auto home = context.env("HOME");
  options.cache_dir = (home ? *home : std::string(".")) + "/.aws/sso/cache";
  auto portal = endpoint_url(context.env, "AWS_ENDPOINT_URL_SSO",
                             fmt::format("https://portal.sso.{}.amazonaws.com", region));
  if (!portal) return portal.error();
  options.portal_url = *portal;
  return Found{std::nullopt, std::make_shared<SsoProvider>(std::move(options))};
}

Result<Found> profile_credentials(const ChainContext& context, const std::string& name,
                                  std::vector<std::string> visited) {
  visited.push_back(name);
  ProfileView profile{name, context.files.credentials_section(name), context.files.config_section(name),
                      &context.files};
  if (profile.get("role_arn")) return role_profile(context, profile, visited);
  if (profile.get("sso_session") || profile.get("sso_start_url") || profile.get("sso_account_id")) {
    return sso_profile(context, profile);
  }
  if (auto keys = static_keys(profile.credentials, context.files.credentials_path, name))
    return Found{keys, nullptr};
  if (auto command = profile.get("credential_process")) {
    return Found{std::nullopt,
                 std::make_shared<ProcessProvider>(name, profile.file_of("credential_process"), *command)};
  }
  if (auto keys = static_keys(profile.config, context.files.config_path, name)) return Found{keys, nullptr};
  return Found{};
}

}  // namespace

// ------------------------------------------------------------------ files

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
        return Error{ErrorCode::kParse,
                     fmt::format("{}:{}: section header without a closing ']'", path, line_number)};
      }
      section = trim(text.substr(1, text.size() - 2));
      nested.clear();
      continue;
    }
    const auto equals = text.find('=');
    if (equals == std::string::npos) {
      return Error{ErrorCode::kParse,
                   fmt::format("{}:{}: expected 'name = value', found \"{}\"", path, line_number, text)};
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

std::optional<std::string> ini_value(const IniSection* section, const std::string& key) {
  if (section == nullptr) return std::nullopt;
  const auto it = section->find(key);
  if (it == section->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<AwsFiles> AwsFiles::read(const EnvLookup& env) {
  AwsFiles files;
  files.credentials_path = home_file(env, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  files.config_path = home_file(env, "AWS_CONFIG_FILE", ".aws/config");
  auto credentials = read_ini(files.credentials_path);
  if (!credentials) return credentials.error();
  auto config = read_ini(files.config_path);
  if (!config) return config.error();
  files.credentials = std::move(*credentials);
  files.config = std::move(*config);
  return files;
}

const IniSection* AwsFiles::credentials_section(const std::string& profile) const {
  return find_section(credentials, profile);
}

const IniSection* AwsFiles::config_section(const std::string& profile) const {
  if (profile == "default") {
    if (const auto* plain = find_section(config, "default")) return plain;
  }
  return find_section(config, "profile " + profile);
}

const IniSection* AwsFiles::sso_session_section(const std::string& name) const {
  return find_section(config, "sso-session " + name);
}

// ------------------------------------------------------------------ chain

Result<CredentialChain> resolve_credential_chain(const EnvLookup& env, const AwsFiles& files,
                                                 const std::string& profile, const std::string& region) {
  CredentialChain chain;
  chain.searched = fmt::format(
      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE, profile \"{}\" in {} and in "
      "{}, "
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI",
      profile, files.credentials_path, files.config_path);
  const ChainContext context{env, files, region};

  // The environment's keys come first, except for a profile chosen by AWS_PROFILE that assumes
  // a role with them (credential_source = Environment): the AWS CLI honours that with --profile,
  // which AWS_PROFILE stands for here.
  const bool profile_uses_environment =
      env("AWS_PROFILE") &&
      ini_value(files.credentials_section(profile), "credential_source")
              .value_or(ini_value(files.config_section(profile), "credential_source").value_or("")) ==
          "Environment";
  if (auto keys = environment_keys(env); keys && !profile_uses_environment) {
    chain.credentials = std::move(keys);
    return chain;
  }
  const auto token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
  const auto role_arn = env("AWS_ROLE_ARN");
  if (token_file && role_arn) {
    auto sts_url = context.sts_url();
    if (!sts_url) return sts_url.error();
    RoleOptions options{*role_arn,
                        env("AWS_ROLE_SESSION_NAME").value_or(context.default_session_name()),
                        "",
                        "",
                        "AWS_ROLE_ARN",
                        *sts_url,
                        region};
    chain.provider =
        std::make_shared<WebIdentityProvider>(std::move(options), *token_file, "AWS_WEB_IDENTITY_TOKEN_FILE");
    return chain;
  }
  auto found = profile_credentials(context, profile, {});
  if (!found) return found.error();
  if (found->any()) {
    chain.credentials = std::move(found->credentials);
    chain.provider = std::move(found->provider);
    return chain;
  }
  auto container = container_provider(env);
  if (!container) return container.error();
  if (*container) {
    chain.provider = std::move(*container);
    return chain;
  }
  if (lower(env("AWS_EC2_METADATA_DISABLED").value_or("")) != "true") {
    auto endpoint = imds_endpoint(env);
    if (!endpoint) return endpoint.error();
    chain.provider = std::make_shared<ImdsProvider>(*endpoint, imds_origin(env), chain.searched);
  }
  return chain;
}

std::string sha1_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

Result<S3Credentials> fetch_credentials(const S3Settings& settings) {
  if (settings.credentials) return *settings.credentials;
  if (settings.credential_provider) return settings.credential_provider->fetch();
  return denied(
      fmt::format("no AWS credentials found (looked at {}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                  "or write them to ~/.aws/credentials",
                  settings.credentials_searched));
}

// ------------------------------------------------------------------ cache

CredentialCache::CredentialCache(const S3Settings& settings, std::function<Clock::time_point()> now)
    : static_(settings.credentials),
      provider_(settings.credential_provider),
      searched_(settings.credentials_searched),
      now_(std::move(now)) {}

Result<S3Credentials> CredentialCache::get() const {
  if (static_ || !provider_) {
    S3Settings settings;
    settings.credentials = static_;
    settings.credentials_searched = searched_;
    return fetch_credentials(settings);
  }
  std::lock_guard lock(mutex_);
  const auto now = now_();
  const auto usable = [&] { return current_ && (!current_->expiration || now < *current_->expiration); };
  if (current_) {
    if (!current_->expiration) return *current_;
    const auto lifetime = *current_->expiration - fetched_at_;
    const auto margin = std::min<Clock::duration>(std::chrono::minutes(5), lifetime / 2);
    if (now < *current_->expiration - margin) return *current_;
  }
  if (failure_ && now - failed_at_ < std::chrono::seconds(30)) {
    if (usable()) return *current_;
    return *failure_;
  }
  auto fresh = provider_->fetch();
  if (fresh) {
    current_ = *fresh;
    fetched_at_ = now;
    failure_.reset();
    return *current_;
  }
  failure_ = fresh.error();
  failed_at_ = now;
  if (usable()) {
    spdlog::warn(
        "refreshing AWS credentials failed: {}; the current ones (from {}) stay in use until they expire at "
        "{}",
        fresh.error().message, current_->source, format_time(*current_->expiration));
    return *current_;
  }
  return fresh.error();
}

}  // namespace logoscope::storage
