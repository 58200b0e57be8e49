// The AWS credential chain (storage/aws_credentials.hpp, storage/s3_config.hpp).
//
// CredentialChain.* and CredentialCache.* (unit): resolution from an injected environment and
// temporary AWS files; no network. CredentialEndpoints.* (integration): every network source
// against local stand-ins on 127.0.0.1 (tests/storage/servers/aws_credential_endpoints.py) that
// check what the real services check: the IMDSv2 session token, the ECS authorization token, the
// SSO bearer token and role, STS's SigV4 signature (the stand-in's verifier first replays
// botocore's signatures, tests/server/data/sigv4_vectors.json) and the web identity token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/text.hpp"
#include "storage/aws_credentials.hpp"
#include "storage/http.hpp"
#include "storage/s3_config.hpp"
#include "storage/storage.hpp"
#include "support/scoped_env.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace logoscope::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Clock = std::chrono::system_clock;

// An environment made of a map, with HOME pointing at a temporary folder.
struct FakeEnvironment {
  testing::TempDir home;
  std::map<std::string, std::string> vars{{"HOME", home.path()}, {"AWS_EC2_METADATA_DISABLED", "true"}};
  [[nodiscard]] EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
  [[nodiscard]] Result<S3Settings> resolve() const { return resolve_s3_settings(lookup()); }
};

std::string iso_time(Clock::time_point when) { return utc_time_text(Clock::to_time_t(when)); }

// ------------------------------------------------------------------ resolution (unit)

TEST(CredentialChain, StaticKeysAreUsedAsTheyAreWithoutAProvider) {
  FakeEnvironment env;
  env.vars.erase("AWS_EC2_METADATA_DISABLED");  // even with IMDS allowed, static keys win
  env.home.write(".aws/credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = S\n");
  const auto settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credentials);
  EXPECT_EQ(settings->credentials->access_key_id, "K");
  EXPECT_FALSE(settings->credentials->expiration);
  EXPECT_FALSE(settings->credential_provider);
}

TEST(CredentialChain, FollowsTheAwsCliOrder) {
  FakeEnvironment env;
  env.home.write(".aws/config",
                 "[default]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
                 "[profile base]\naws_access_key_id = B\naws_secret_access_key = BS\n");
  env.home.write("token", "jwt");
  env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = env.home.file("token");
  env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/web";
  env.vars["AWS_ACCESS_KEY_ID"] = "E";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "ES";
  auto settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credentials);  // 1. the environment's keys
  EXPECT_EQ(settings->credentials->access_key_id, "E");

  env.vars.erase("AWS_ACCESS_KEY_ID");
  settings = env.resolve();  // 2. web identity
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("web identity"));
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("role/web"));

  env.vars.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  settings = env.resolve();  // 3. the profile: role_arn with source_profile
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("role/r"));
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("[base]"));

  env.home.write(".aws/config", "");
  env.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  settings = env.resolve();  // 4. the container endpoint
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(),
              HasSubstr("http://169.254.170.2/v2/credentials/abc"));

  env.vars.erase("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  settings = env.resolve();  // 5. IMDS, but it is disabled
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_FALSE(settings->credential_provider);
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("http://169.254.169.254"));
  EXPECT_FALSE(settings->credentials);
}

TEST(CredentialChain, WithinAProfileRoleThenSsoThenKeysThenProcess) {
  FakeEnvironment env;
  env.home.write(
      ".aws/config",
      "[profile p]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = R\n"
      "credential_process = /bin/false\n"
      "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
      "[profile q]\ncredential_process = /bin/false\naws_access_key_id = CK\naws_secret_access_key = CS\n");
  env.home.write(".aws/credentials", "[p]\naws_access_key_id = K\naws_secret_access_key = S\n");
  env.vars["AWS_PROFILE"] = "p";
  auto settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("SSO"));
  env.vars["AWS_PROFILE"] = "q";  // credential_process before keys in the config file
  settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("credential_process of profile \"q\""));
}

TEST(CredentialChain, AProfileThatAssumesARoleWithTheEnvironmentsKeysIsHonoured) {
  FakeEnvironment env;
  env.home.write(
      ".aws/config",
      "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/d\ncredential_source = Environment\n");
  env.vars["AWS_ACCESS_KEY_ID"] = "E";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "ES";
  env.vars["AWS_PROFILE"] = "deploy";
  const auto settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credential_provider);
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("role/d"));
  EXPECT_THAT(settings->credential_provider->describe(), HasSubstr("AWS_ACCESS_KEY_ID"));
}

TEST(CredentialChain, ConfigurationMistakesAreRefusedByProfileAndFile) {
  FakeEnvironment env;
  env.home.write(
      ".aws/config",
      "[profile lonely]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
      "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n"
      "[profile odd]\nrole_arn = arn:aws:iam::123456789012:role/o\ncredential_source = Laptop\n"
      "[profile both]\nrole_arn = arn:aws:iam::123456789012:role/o\ncredential_source = Environment\n"
      "source_profile = a\n"
      "[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/m\nsource_profile = a\n"
      "mfa_serial = arn:aws:iam::123456789012:mfa/me\n"
      "[profile nowhere]\nrole_arn = arn:aws:iam::123456789012:role/n\nsource_profile = ghost\n"
      "[profile nosession]\nsso_session = missing\nsso_account_id = 1\nsso_role_name = R\n"
      "[profile norole]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"
      "sso_account_id = 1\n"
      "[profile ecs]\nrole_arn = arn:aws:iam::123456789012:role/e\ncredential_source = EcsContainer\n");
  const std::string config = env.home.file(".aws/config");
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"lonely", {"source_profile, credential_source or web_identity_token_file"}},
      {"a", {"cycle", "a -> b -> a"}},
      {"odd", {"credential_source \"Laptop\""}},
      {"both", {"both source_profile and credential_source"}},
      {"mfa", {"mfa_serial", "cannot ask for an MFA code"}},
      {"nowhere", {"source_profile \"ghost\" has no credentials"}},
      {"nosession", {"[sso-session missing]"}},
      {"norole", {"sso_role_name"}},
      {"ecs", {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}},
  };
  for (const auto& [profile, expected] : cases) {
    env.vars["AWS_PROFILE"] = profile;
    const auto settings = env.resolve();
    ASSERT_FALSE(settings) << profile;
    EXPECT_EQ(settings.error().code, ErrorCode::kInvalidValue) << profile;
    EXPECT_THAT(settings.error().message, HasSubstr("\"" + profile + "\"")) << settings.error().message;
    EXPECT_THAT(settings.error().message, HasSubstr(config)) << settings.error().message;
    for (const auto& text : expected) EXPECT_THAT(settings.error().message, HasSubstr(text)) << profile;
  }
}

TEST(CredentialChain, ContainerUrlMustBeLoopbackOrHttps) {
  FakeEnvironment env;
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://metadata.example.com/creds";
  auto settings = env.resolve();
  ASSERT_FALSE(settings);
  EXPECT_THAT(settings.error().message, HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
  EXPECT_THAT(settings.error().message, HasSubstr("http://metadata.example.com/creds"));
  for (const char* allowed : {"https://metadata.example.com/creds", "http://127.0.0.1:8080/creds",
                              "http://169.254.170.23/v1/credentials", "http://[::1]:80/x"}) {
    env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = allowed;
    EXPECT_TRUE(env.resolve()) << allowed;
  }
}

TEST(CredentialChain, NamesSsoCacheFilesLikeTheCli) {
  // hashlib.sha1(b"corp").hexdigest() (Python), the name botocore gives the token cache file.
  EXPECT_EQ(sha1_hex("corp"), "ee0bfd2552fbd840c02cc48b6e823320543c450f");
}

// ------------------------------------------------------------------ the cache (unit)

class CountingProvider final : public CredentialProvider {
 public:
  mutable int calls = 0;
  mutable bool fail = false;
  Clock::duration lifetime = std::chrono::hours(1);
  std::function<Clock::time_point()> now;

  [[nodiscard]] Result<S3Credentials> fetch() const override {
    ++calls;
    if (fail) return Error{ErrorCode::kAccessDenied, "the stand-in source is down"};
    return S3Credentials{"K" + std::to_string(calls), "S", "T", "counting", now() + lifetime};
  }
  [[nodiscard]] std::string describe() const override { return "counting"; }
};

TEST(CredentialCache, RefreshesBeforeExpiryAndRidesOutAFailedRefresh) {
  auto now = Clock::from_time_t(1717243200);
  const auto clock = [&now] { return now; };
  auto provider = std::make_shared<CountingProvider>();
  provider->now = clock;
  S3Settings settings;
  settings.credential_provider = provider;
  const CredentialCache cache(settings, clock);

  EXPECT_EQ(cache.get()->access_key_id, "K1");
  now += std::chrono::minutes(50);
  EXPECT_EQ(cache.get()->access_key_id, "K1");  // 10 minutes left: kept
  now += std::chrono::minutes(6);
  EXPECT_EQ(cache.get()->access_key_id, "K2");  // 4 minutes left: refreshed
  EXPECT_EQ(provider->calls, 2);

  now += std::chrono::minutes(56);  // K2 has 4 minutes left and the source is down
  provider->fail = true;
  EXPECT_EQ(cache.get()->access_key_id, "K2");
  EXPECT_EQ(cache.get()->access_key_id, "K2");
  EXPECT_EQ(provider->calls, 3);   // the failure is remembered, not retried at once
  now += std::chrono::minutes(5);  // K2 expired, the source still down
  const auto expired = cache.get();
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(expired.error().message, HasSubstr("stand-in source is down"));
  provider->fail = false;
  now += std::chrono::seconds(31);
  EXPECT_EQ(cache.get()->access_key_id, "K5");
}

TEST(CredentialCache, ShortLivedCredentialsAreKeptForHalfTheirLife) {
  auto now = Clock::from_time_t(1717243200);
  const auto clock = [&now] { return now; };
  auto provider = std::make_shared<CountingProvider>();
  provider->now = clock;
  provider->lifetime = std::chrono::minutes(2);
  S3Settings settings;
  settings.credential_provider = provider;
  const CredentialCache cache(settings, clock);
  EXPECT_TRUE(cache.get());
  now += std::chrono::seconds(59);
  EXPECT_TRUE(cache.get());
  EXPECT_EQ(provider->calls, 1);
  now += std::chrono::seconds(2);
  EXPECT_TRUE(cache.get());
  EXPECT_EQ(provider->calls, 2);
}

TEST(CredentialCache, NoneConfiguredSaysWhereItLooked) {
  FakeEnvironment env;
  const auto settings = env.resolve();
  ASSERT_TRUE(settings);
  const auto got = CredentialCache(*settings).get();
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("no AWS credentials found"));
  EXPECT_THAT(got.error().message, HasSubstr(env.home.file(".aws/credentials")));
}

// ------------------------------------------------------------------ stand-ins (integration)

// The stand-in process: started with a port file, stopped (SIGTERM) on destruction.
class StandIn {
 public:
  explicit StandIn(const std::vector<std::string>& extra) {
    const std::string port_file = dir_.file("port");
    std::vector<std::string> args = {
        "python3",
        std::string(LOGOSCOPE_SOURCE_DIR) + "/tests/storage/servers/aws_credential_endpoints.py",
        "--port-file",
        port_file,
        "--sigv4-vectors",
        std::string(LOGOSCOPE_SOURCE_DIR) + "/tests/server/data/sigv4_vectors.json"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "python3", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      return;
    }
    for (int waited_ms = 0; waited_ms < 15000; waited_ms += 20) {
      std::ifstream in(port_file);
      if (in >> port_) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~StandIn() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  StandIn(const StandIn&) = delete;
  StandIn& operator=(const StandIn&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0 && port_ > 0; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The requests it has seen, "METHOD PATH" per line.
  [[nodiscard]] std::string log() const {
    http::Request request;
    request.url = url() + "/__log";
    return http::perform(request).body;
  }

 private:
  testing::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class CredentialEndpoints : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }
  void TearDown() override { stand_in_.reset(); }
  void start(const std::vector<std::string>& extra) {
    stand_in_.reset();
    stand_in_ = std::make_unique<StandIn>(extra);
    ASSERT_TRUE(stand_in_->running())
        << "the stand-in did not start (python3, or its SigV4 self-test failed)";
  }
  [[nodiscard]] std::string url() const { return stand_in_->url(); }
  [[nodiscard]] std::string log() const { return stand_in_->log(); }

  // Resolves and fetches once, as the first S3 request would.
  static Result<S3Credentials> fetch(const FakeEnvironment& env) {
    auto settings = env.resolve();
    if (!settings) return settings.error();
    return fetch_credentials(*settings);
  }

  std::unique_ptr<StandIn> stand_in_;
};

void expect_temporary(const Result<S3Credentials>& got) {
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_THAT(got->access_key_id, StartsWith("ASIA"));
  EXPECT_FALSE(got->secret_access_key.empty());
  EXPECT_THAT(got->session_token, StartsWith("TOKEN"));
  ASSERT_TRUE(got->expiration);
  EXPECT_GT(*got->expiration, Clock::now() + std::chrono::minutes(50));
}

TEST_F(CredentialEndpoints, TheStandInChecksWhatTheRealServicesCheck) {
  http::Request put;
  put.method = "PUT";
  put.url = url() + "/latest/api/token";
  EXPECT_EQ(http::perform(put).status, 400);  // no TTL header
  http::Request get;
  get.url = url() + "/latest/meta-data/iam/security-credentials/";
  EXPECT_EQ(http::perform(get).status, 401);  // no session token
  get.headers = {"X-aws-ec2-metadata-token: guessed"};
  EXPECT_EQ(http::perform(get).status, 401);
  http::Request ecs;
  ecs.url = url() + "/ecs/credentials";
  EXPECT_EQ(http::perform(ecs).status, 401);
  http::Request sso;
  sso.url = url() + "/federation/credentials?account_id=123456789012&role_name=LogoReader";
  EXPECT_EQ(http::perform(sso).status, 401);
  http::Request sts;
  sts.method = "POST";
  sts.url = url() + "/";
  sts.body =
      "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&"
      "RoleSessionName=s";
  EXPECT_EQ(http::perform(sts).status, 403);  // unsigned
  sts.sigv4 = http::Signing{"us-east-1", "sts", "AKIDSOURCE", "not-the-secret", ""};
  const auto wrong = http::perform(sts);
  EXPECT_EQ(wrong.status, 403);
  EXPECT_THAT(wrong.body, HasSubstr("SignatureDoesNotMatch"));
}

TEST_F(CredentialEndpoints, Ec2InstanceMetadataV2) {
  FakeEnvironment env;
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = url();
  const auto got = fetch(env);
  expect_temporary(got);
  EXPECT_THAT(got->source, HasSubstr("logoscope-instance-role"));
  EXPECT_THAT(got->source, HasSubstr(url()));
  EXPECT_EQ(log(),
            "PUT /latest/api/token\nGET /latest/meta-data/iam/security-credentials/\n"
            "GET /latest/meta-data/iam/security-credentials/logoscope-instance-role\n");
}

TEST_F(CredentialEndpoints, MetadataIsNotAskedWhenSomethingElseIsConfiguredOrItIsDisabled) {
  FakeEnvironment env;
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = url();
  auto got = fetch(env);  // disabled: nothing asked
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().message, HasSubstr("no AWS credentials found"));
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  env.home.write(".aws/credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = S\n");
  got = fetch(env);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->access_key_id, "K");
  EXPECT_EQ(log(), "");
}

TEST_F(CredentialEndpoints, MissingMetadataServiceFailsFastAsNoCredentials) {
  FakeEnvironment env;
  env.vars.erase("AWS_EC2_METADATA_DISABLED");
  env.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9";  // nothing listens there
  const auto started = std::chrono::steady_clock::now();
  const auto got = fetch(env);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("no AWS credentials found"));
  EXPECT_THAT(got.error().message, HasSubstr("http://127.0.0.1:9"));
  EXPECT_THAT(got.error().message, HasSubstr("AWS_ACCESS_KEY_ID"));
}

TEST_F(CredentialEndpoints, EcsContainerEndpointWithItsAuthorizationToken) {
  FakeEnvironment env;
  env.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = url() + "/ecs/credentials";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "ecs-authorization-token";
  expect_temporary(fetch(env));

  env.home.write("ecs-token", "ecs-authorization-token\n");  // the file wins (EKS Pod Identity)
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "stale";
  env.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = env.home.file("ecs-token");
  expect_temporary(fetch(env));

  env.vars.erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const auto refused = fetch(env);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(refused.error().message, HasSubstr(url() + "/ecs/credentials"));
  EXPECT_THAT(refused.error().message, HasSubstr("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
  EXPECT_THAT(refused.error().message, HasSubstr("HTTP 401"));
  EXPECT_THAT(refused.error().message, HasSubstr("check AWS_CONTAINER_AUTHORIZATION_TOKEN"));
}

class SsoEndpoint : public CredentialEndpoints {
 protected:
  void write_profiles(FakeEnvironment& env, const std::string& role = "LogoReader") const {
    env.home.write(
        ".aws/config",
        "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = " + role +
            "\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = "
            "eu-west-1\n"
            "[profile legacy]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
            "sso_account_id = 123456789012\nsso_role_name = LogoReader\n");
    env.vars["AWS_PROFILE"] = "dev";
    env.vars["AWS_ENDPOINT_URL_SSO"] = url();
  }
  static void write_token(FakeEnvironment& env, const std::string& hash, const std::string& token,
                          Clock::time_point expires) {
    env.home.write(
        ".aws/sso/cache/" + hash + ".json",
        R"({"startUrl": "https://example.awsapps.com/start", "region": "eu-west-1", "accessToken": ")" +
            token + R"(", "expiresAt": ")" + iso_time(expires) + "\"}");
  }
};

TEST_F(SsoEndpoint, SessionAndLegacyProfilesUseTheCliTokenCache) {
  FakeEnvironment env;
  write_profiles(env);
  write_token(env, "ee0bfd2552fbd840c02cc48b6e823320543c450f", "sso-access-token",
              Clock::now() + std::chrono::hours(8));
  auto got = fetch(env);
  expect_temporary(got);
  EXPECT_THAT(got->source, HasSubstr("profile \"dev\""));
  EXPECT_THAT(log(), HasSubstr("GET /federation/credentials?account_id=123456789012&role_name=LogoReader"));

  env.vars["AWS_PROFILE"] = "legacy";  // the cache file is named after the start URL
  got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().message, HasSubstr("e8be5486177c5b5392bd9aa76563515b29358e6e.json"));
  EXPECT_THAT(got.error().message, HasSubstr("aws sso login --profile legacy"));
  write_token(env, "e8be5486177c5b5392bd9aa76563515b29358e6e", "sso-access-token",
              Clock::now() + std::chrono::hours(8));
  expect_temporary(fetch(env));
}

TEST_F(SsoEndpoint, ExpiredRevokedOrWrongRoleSayWhatToDo) {
  FakeEnvironment env;
  write_profiles(env);
  const std::string hash = "ee0bfd2552fbd840c02cc48b6e823320543c450f";
  write_token(env, hash, "sso-access-token", Clock::now() - std::chrono::minutes(1));
  auto got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("expired"));
  EXPECT_THAT(got.error().message, HasSubstr("aws sso login --profile dev"));
  EXPECT_EQ(log(), "");  // an expired token is not sent

  write_token(env, hash, "revoked-token", Clock::now() + std::chrono::hours(1));
  got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().message, HasSubstr("HTTP 401"));
  EXPECT_THAT(got.error().message, HasSubstr(url()));
  EXPECT_THAT(got.error().message, HasSubstr("aws sso login --profile dev"));

  write_profiles(env, "Admin");
  write_token(env, hash, "sso-access-token", Clock::now() + std::chrono::hours(1));
  got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().message, HasSubstr("role \"Admin\" in account 123456789012"));
  EXPECT_THAT(got.error().message, HasSubstr("sso_role_name"));
}

TEST_F(CredentialEndpoints, AssumeRoleIsSignedWithTheSourceProfilesKeys) {
  FakeEnvironment env;
  env.home.write(".aws/credentials",
                 "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = source/secret+key\n");
  env.home.write(
      ".aws/config",
      "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\nsource_profile = base\n"
      "role_session_name = logoscope-test\nduration_seconds = 900\n"
      "[profile deeper]\nrole_arn = arn:aws:iam::123456789012:role/deeper\nsource_profile = deploy\n");
  env.vars["AWS_ENDPOINT_URL_STS"] = url();
  env.vars["AWS_PROFILE"] = "deploy";
  auto got = fetch(env);
  expect_temporary(got);
  EXPECT_THAT(got->source, HasSubstr("role/deploy"));

  env.vars["AWS_PROFILE"] = "deeper";  // the second AssumeRole is signed with the first's session
  expect_temporary(fetch(env));
  EXPECT_EQ(log(), "POST /\nPOST /\nPOST /\n");

  env.home.write(".aws/credentials",
                 "[base]\naws_access_key_id = AKIDSOURCE\naws_secret_access_key = wrong\n");
  env.vars["AWS_PROFILE"] = "deploy";
  got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(got.error().message, HasSubstr("profile \"deploy\""));
  EXPECT_THAT(got.error().message, HasSubstr(env.home.file(".aws/config")));
  EXPECT_THAT(got.error().message, HasSubstr("AKIDSOURCE"));
  EXPECT_THAT(got.error().message, HasSubstr(url()));
}

TEST_F(CredentialEndpoints, AssumeRoleSendsTheExternalIdAndUsesTheEnvironmentAsSource) {
  start({"--external-id", "ext-42"});
  FakeEnvironment env;
  env.home.write(
      ".aws/config",
      "[profile partner]\nrole_arn = arn:aws:iam::123456789012:role/partner\ncredential_source = "
      "Environment\n"
      "external_id = ext-42\n[profile careless]\nrole_arn = arn:aws:iam::123456789012:role/partner\n"
      "credential_source = Environment\n");
  env.vars["AWS_ACCESS_KEY_ID"] = "AKIDSOURCE";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "source/secret+key";
  env.vars["AWS_ENDPOINT_URL"] = url();  // STS falls back on the all-services variable
  env.vars["AWS_PROFILE"] = "partner";
  expect_temporary(fetch(env));
  env.vars["AWS_PROFILE"] = "careless";
  const auto got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_THAT(got.error().message, HasSubstr("AccessDenied"));
}

TEST_F(CredentialEndpoints, WebIdentityFromTheEnvironmentOrAProfile) {
  FakeEnvironment env;
  env.home.write("token", "web-identity-token\n");
  env.vars["AWS_WEB_IDENTITY_TOKEN_FILE"] = env.home.file("token");
  env.vars["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/pod";
  env.vars["AWS_ROLE_SESSION_NAME"] = "pod-session";
  env.vars["AWS_ENDPOINT_URL_STS"] = url();
  auto got = fetch(env);
  expect_temporary(got);
  EXPECT_THAT(got->source, HasSubstr(env.home.file("token")));

  env.home.write("token", "an-old-token");  // read again on each fetch
  got = fetch(env);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("InvalidIdentityToken"));
  EXPECT_THAT(got.error().message, HasSubstr(env.home.file("token")));

  env.vars.erase("AWS_WEB_IDENTITY_TOKEN_FILE");
  env.vars.erase("AWS_ROLE_ARN");
  env.home.write("profile-token", "web-identity-token");
  env.home.write(".aws/config",
                 "[default]\nrole_arn = arn:aws:iam::123456789012:role/ci\nweb_identity_token_file = " +
                     env.home.file("profile-token") + "\n");
  expect_temporary(fetch(env));
}

TEST(CredentialProcess, RunsTheCommandAndReadsVersion1) {
  FakeEnvironment env;
  const auto expires = Clock::now() + std::chrono::hours(1);
  const std::string good = env.home.write(
      "good.sh",
      "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"PROCKEY\", \"SecretAccessKey\": \"PS\", "
      "\"SessionToken\": \"PT\", \"Expiration\": \"" +
          iso_time(expires) + "\"}'\n");
  const std::string failing = env.home.write("failing.sh", "#!/bin/sh\necho 'no such vault' >&2\nexit 3\n");
  const std::string garbled = env.home.write("garbled.sh", "#!/bin/sh\necho 'AccessKeyId=PROCKEY'\n");
  const std::string future =
      env.home.write("future.sh", "#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"K\"}'\n");
  for (const auto& script : {good, failing, garbled, future})
    fs::permissions(script, fs::perms::owner_exec, fs::perm_options::add);
  env.home.write(".aws/config", "[profile ok]\ncredential_process = " + good +
                                    " --profile ok\n[profile failing]\ncredential_process = " + failing +
                                    "\n[profile garbled]\ncredential_process = " + garbled +
                                    "\n[profile future]\ncredential_process = " + future + "\n");
  env.vars["AWS_PROFILE"] = "ok";
  auto settings = env.resolve();
  ASSERT_TRUE(settings) << settings.error().message;
  auto got = fetch_credentials(*settings);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->access_key_id, "PROCKEY");
  EXPECT_EQ(got->session_token, "PT");
  ASSERT_TRUE(got->expiration);
  EXPECT_EQ(Clock::to_time_t(*got->expiration), Clock::to_time_t(expires));

  for (const auto& [profile, expected] : std::vector<std::pair<std::string, std::string>>{
           {"failing", "exit status 3"}, {"garbled", "not a JSON object"}, {"future", "Version"}}) {
    env.vars["AWS_PROFILE"] = profile;
    settings = env.resolve();
    ASSERT_TRUE(settings) << settings.error().message;
    got = fetch_credentials(*settings);
    ASSERT_FALSE(got) << profile;
    EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
    EXPECT_THAT(got.error().message, HasSubstr("profile \"" + profile + "\""));
    EXPECT_THAT(got.error().message, HasSubstr(env.home.file(".aws/config")));
    EXPECT_THAT(got.error().message, HasSubstr(env.home.file(profile + ".sh")));
    EXPECT_THAT(got.error().message, HasSubstr(expected));
  }
}

// The check the CLI makes before the work (storage::check_s3_access), against the stand-in
// acting as an S3 endpoint that refuses every key outside /public-bucket/.
TEST_F(CredentialEndpoints, RefusedCredentialsEndTheWorkBeforeItStarts) {
  testing::ScopedEnv key("AWS_ACCESS_KEY_ID", "AKIDREFUSED");
  testing::ScopedEnv secret("AWS_SECRET_ACCESS_KEY", "refused");
  testing::ScopedEnv endpoint("AWS_ENDPOINT_URL", url());
  testing::ScopedEnv attempts("AWS_MAX_ATTEMPTS", "1");
  testing::ScopedEnv no_cache("LOGOSCOPE_CACHE_MAX", "0");
  set_s3_endpoint("");
  EXPECT_TRUE(check_s3_access({"local/a.jpg", "local/b.jpg"}));
  EXPECT_EQ(log(), "");  // nothing remote, nothing asked
  EXPECT_TRUE(check_s3_access({"local/a.jpg", "s3://public-bucket/a.jpg"}));
  const auto refused = check_s3_access({"s3://private-bucket/a.jpg", "s3://private-bucket/b.jpg"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(refused.error().message, StartsWith("AWS credentials problem: "));
  EXPECT_THAT(refused.error().message, HasSubstr("s3://private-bucket/a.jpg"));
  EXPECT_THAT(refused.error().message, HasSubstr("AKIDREFUSED"));
  EXPECT_THAT(refused.error().message, HasSubstr("AWS_ACCESS_KEY_ID"));
  EXPECT_THAT(refused.error().message, Not(HasSubstr("b.jpg")));
}

}  // namespace
}  // namespace logoscope::storage
