// Storage against real S3-protocol servers, started by tests/storage/servers/test_servers.sh (the
// CTest fixture s3_servers). CTest runs this program once per server, with the server in
// AWS_ENDPOINT_URL and its keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY:
//   - the shared storage suite (the same tests the local backend passes);
//   - LOGOSCOPE_TEST_FAULT_PROXY set (s3rver): injected 503s, stalls, truncated bodies and
//     dropped connections: retried, or a clear error, and no partial object left;
//   - LOGOSCOPE_TEST_VERIFYING set (radosgw): wrong keys are refused with messages that say so;
//   - the CLI journey: train, evaluate and detect with the dataset, images and every output in
//     the bucket give the same detections as the same work on local files.
#include <gmock/gmock.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "storage/s3_client.hpp"
#include "storage/storage_suite.hpp"
#include "support/cli_runner.hpp"

namespace fs = std::filesystem;

namespace logoscope::storage {
namespace {

using ::testing::HasSubstr;

std::string env_or_fail(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set: run this test through ctest (fixture s3_servers)";
    return "";
  }
  return value;
}

std::string test_root() {
  return "s3://logoscope-test/run-" + std::to_string(::getpid());
}

INSTANTIATE_TEST_SUITE_P(S3, StorageSuite, ::testing::Values(test_root()));

// A client of the server in the environment, with quick retries for the fault tests.
S3Settings settings_for(const std::string& endpoint) {
  auto settings = resolve_s3_settings(process_environment(), endpoint);
  EXPECT_TRUE(settings) << settings.error().message;
  settings->backoff_base_s = 0.01;
  settings->max_attempts = 4;
  settings->stall_timeout_s = 1;
  return *settings;
}

// GET on the proxy's control URL.
void arm(const std::string& proxy, const std::string& query) {
  CURL* curl = curl_easy_init();
  const std::string url = proxy + "/__faults__?" + query;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char*, std::size_t size, std::size_t count, void*) { return size * count; });
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK) << "fault proxy at " << proxy;
  curl_easy_cleanup(curl);
}

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* proxy = std::getenv("LOGOSCOPE_TEST_FAULT_PROXY");
    if (proxy == nullptr) GTEST_SKIP() << "this server run has no fault proxy (the s3rver run has)";
    proxy_ = proxy;
    client_ = std::make_unique<S3Client>(settings_for(proxy_));
    arm(proxy_, "mode=none");
  }
  void TearDown() override {
    if (!proxy_.empty()) arm(proxy_, "mode=none");
  }
  S3Location object(const std::string& name) {
    return {"logoscope-test", "faults-" + std::to_string(::getpid()) + "/" + name};
  }
  std::string proxy_;
  std::unique_ptr<S3Client> client_;
};

TEST_F(Faults, ThrottlingIsRetried) {
  ASSERT_TRUE(client_->put(object("a.bin"), "hello"));
  const auto before = s3_counters().retries;
  arm(proxy_, "mode=503&count=2");
  const auto got = client_->get(object("a.bin"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "hello");
  EXPECT_EQ(s3_counters().retries - before, 2U);
}

TEST_F(Faults, ATruncatedBodyIsFetchedAgain) {
  const std::string bytes = binary_bytes(300000, 7);
  ASSERT_TRUE(client_->put(object("t.bin"), bytes));
  arm(proxy_, "mode=truncate&count=1&method=GET");
  const auto got = client_->get(object("t.bin"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(*got == bytes);
}

TEST_F(Faults, AStalledServerIsRetried) {
  ASSERT_TRUE(client_->put(object("s.bin"), "slow"));
  arm(proxy_, "mode=slow&count=1&method=GET");
  const auto got = client_->get(object("s.bin"));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, "slow");
}

TEST_F(Faults, AServerThatKeepsDroppingGivesAClearError) {
  ASSERT_TRUE(client_->put(object("d.bin"), "x"));
  arm(proxy_, "mode=drop&count=100&method=GET");
  const auto got = client_->get(object("d.bin"));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kIo);
  EXPECT_THAT(got.error().message, HasSubstr("s3://logoscope-test/" + object("d.bin").key));
  EXPECT_THAT(got.error().message, HasSubstr("after 4 attempts"));
}

TEST_F(Faults, AFailedUploadLeavesTheOldObjectWhole) {
  ASSERT_TRUE(client_->put(object("m.bin"), "version one"));
  // A multipart upload whose second part never gets through.
  const std::string big = binary_bytes((std::size_t{17} << 20), 8);
  arm(proxy_, "mode=drop&count=100&after=1&method=PUT");
  const auto put = client_->put(object("m.bin"), big);
  ASSERT_FALSE(put);
  EXPECT_THAT(put.error().message, HasSubstr(object("m.bin").key));
  arm(proxy_, "mode=none");
  EXPECT_EQ(*client_->get(object("m.bin")), "version one");
  // A single upload that never gets through leaves no object at all.
  arm(proxy_, "mode=503&count=100&method=PUT");
  EXPECT_FALSE(client_->put(object("new.bin"), "never"));
  arm(proxy_, "mode=none");
  EXPECT_FALSE(*client_->head(object("new.bin")));
}

class Signatures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("LOGOSCOPE_TEST_VERIFYING") == nullptr) GTEST_SKIP() << "this server does not check signatures";
  }
};

TEST_F(Signatures, AWrongSecretIsRefusedAndSaidSo) {
  auto settings = settings_for(env_or_fail("AWS_ENDPOINT_URL"));
  settings.credentials->secret_access_key = "not-the-secret";
  const S3Client client(settings);
  const auto got = client.list("logoscope-test", "");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(got.error().message, HasSubstr(settings.credentials->access_key_id));
}

TEST_F(Signatures, AnUnknownKeyIsRefusedAndSaidSo) {
  auto settings = settings_for(env_or_fail("AWS_ENDPOINT_URL"));
  settings.credentials->access_key_id = "NOBODY";
  const S3Client client(settings);
  const auto got = client.get({"logoscope-test", "x"});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(got.error().message, HasSubstr("does not know access key NOBODY"));
}

TEST(S3Errors, AMissingBucketIsNamed) {
  const auto got = read_file("s3://no-such-bucket-here/a.jpg");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(got.error().message, HasSubstr("no-such-bucket-here"));
}

// Uploads a local folder's files under `prefix`.
void upload_folder(const std::string& folder, const std::string& prefix) {
  const auto files = list_files(folder);
  ASSERT_TRUE(files) << files.error().message;
  for (const auto& entry : *files) {
    const std::string relative = fs::path(entry.uri).lexically_relative(folder).generic_string();
    ASSERT_TRUE(storage_for(prefix).upload(entry.uri, join(prefix, relative)));
  }
}

TEST(S3Journey, TrainEvaluateAndDetectInABucketMatchTheLocalRun) {
  using testing::run_logoscope;
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.path(), "--images", "12", "--no-train"}).exit_code, 0);
  const std::string bucket = test_root() + "/journey";
  upload_folder(dir.path(), bucket + "/data");
  const std::vector<std::string> quick = {"--steps", "3", "--batch-size", "4", "--input-size", "128",
                                          "--infer-size", "160", "--seed", "1"};
  auto train = std::vector<std::string>{"train", "--train", bucket + "/data/dataset.manifest", "--out", bucket + "/model"};
  train.insert(train.end(), quick.begin(), quick.end());
  const auto trained = run_logoscope(train);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_TRUE(*stat_file(bucket + "/model/model.json"));
  EXPECT_TRUE(*stat_file(bucket + "/model/weights.pt"));
  // Writing over it again needs --overwrite, as a local folder does.
  EXPECT_EQ(run_logoscope(train).exit_code, 2);

  const auto evaluated = run_logoscope({"evaluate", "--model", bucket + "/model", "--test",
                                        bucket + "/data/dataset.manifest", "--out", bucket + "/eval", "--json"});
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.err;
  EXPECT_TRUE(*stat_file(bucket + "/eval/report.html"));
  EXPECT_TRUE(*stat_file(bucket + "/eval/summary.json"));

  const auto detected = run_logoscope({"detect", "--model", bucket + "/model", bucket + "/data/images", "--out",
                                       bucket + "/detections.jsonl", "--min-confidence", "1"});
  ASSERT_EQ(detected.exit_code, 0) << detected.err;
  const std::string remote = *read_text(bucket + "/detections.jsonl");

  // The same model, downloaded, on the local copies of the same images.
  const auto model_dir = local_folder(bucket + "/model");
  ASSERT_TRUE(model_dir) << model_dir.error().message;
  const auto local = run_logoscope({"detect", "--model", *model_dir, dir.file("images"), "--min-confidence", "1"});
  ASSERT_EQ(local.exit_code, 0) << local.err;
  std::vector<std::string> remote_lines;
  std::vector<std::string> local_lines;
  std::istringstream remote_in(remote);
  std::istringstream local_in(local.out);
  for (std::string line; std::getline(remote_in, line);) remote_lines.push_back(nlohmann::json::parse(line)["CustomLabels"].dump());
  for (std::string line; std::getline(local_in, line);) local_lines.push_back(nlohmann::json::parse(line)["CustomLabels"].dump());
  EXPECT_EQ(remote_lines.size(), 12U);
  EXPECT_EQ(remote_lines, local_lines);
}

TEST(S3Journey, ABucketDatasetBecomesALocalOneWithCopyImages) {
  // Rekognition's datasets live in S3: one command makes a local copy to train on offline.
  using testing::run_logoscope;
  testing::TempDir dir;
  ASSERT_EQ(run_logoscope({"demo", "--out", dir.file("data"), "--images", "8", "--no-train"}).exit_code, 0);
  const std::string bucket = test_root() + "/copy";
  upload_folder(dir.file("data"), bucket + "/data");
  const std::string local = dir.file("offline/train.manifest");
  const auto copied = run_logoscope({"dataset", "convert", bucket + "/data/dataset.manifest", local, "--copy-images"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  const std::string text = testing::read_text(local);
  EXPECT_EQ(text.find("s3://"), std::string::npos) << "references point at the copies";
  EXPECT_NE(text.find("\"images/synth_0000.jpg\""), std::string::npos) << text.substr(0, 300);
  for (int i = 0; i < 8; ++i) {
    const std::string name = fmt::format("images/synth_{:04d}.jpg", i);
    EXPECT_EQ(testing::read_text(dir.file("offline/" + name)), testing::read_text(dir.file("data/" + name))) << name;
  }
  const auto validated = run_logoscope({"dataset", "validate", local});
  EXPECT_EQ(validated.exit_code, 0) << validated.out << validated.err;
  // Copying again over the copies needs --overwrite, like any output.
  EXPECT_EQ(run_logoscope({"dataset", "convert", bucket + "/data/dataset.manifest", local, "--copy-images"}).exit_code, 2);
}

}  // namespace
}  // namespace logoscope::storage
