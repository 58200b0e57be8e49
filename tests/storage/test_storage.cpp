// Storage without a server: S3 URIs and encoding, the AWS settings chain, the object cache,
// output folders, and the shared storage suite on local files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/paths.hpp"
#include "storage/object_cache.hpp"
#include "storage/output_folder.hpp"
#include "storage/s3_config.hpp"
#include "storage/s3_uri.hpp"
#include "storage/storage_suite.hpp"
#include "support/scoped_env.hpp"

namespace fs = std::filesystem;

namespace logoscope::storage {
namespace {

using ::testing::HasSubstr;

const testing::TempDir& local_root() {
  static testing::TempDir dir;
  return dir;
}

INSTANTIATE_TEST_SUITE_P(Local, StorageSuite, ::testing::Values(local_root().path()));

TEST(S3Uri, SplitsBucketAndKey) {
  const auto location = parse_s3_uri("s3://my-bucket/photos/2024/a b.jpg");
  ASSERT_TRUE(location);
  EXPECT_EQ(location->bucket, "my-bucket");
  EXPECT_EQ(location->key, "photos/2024/a b.jpg");
  EXPECT_EQ(to_s3_uri(*location), "s3://my-bucket/photos/2024/a b.jpg");
  EXPECT_EQ(parse_s3_uri("s3://bucket")->key, "");
}

TEST(S3Uri, RefusesMalformedOnesByName) {
  for (const char* bad : {"s3://", "s3:///key", "s3://UPPER/key", "s3://ab/key", "s3://-dash/key", "http://x/y"}) {
    const auto parsed = parse_s3_uri(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(parsed.error().message, HasSubstr(bad));
  }
}

TEST(S3Uri, EncodesAsS3Signs) {
  EXPECT_EQ(s3_uri_encode("a b/c+d~e_f.g-h", true), "a%20b/c%2Bd~e_f.g-h");
  EXPECT_EQ(s3_uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(s3_uri_encode("\xC3\xA9", false), "%C3%A9");
  EXPECT_TRUE(bucket_is_dns_safe("logos"));
  EXPECT_FALSE(bucket_is_dns_safe("my.logos"));
}

TEST(Paths, ResolvesReferencesBesideAnS3Manifest) {
  EXPECT_EQ(resolve_ref("images/a.jpg", "s3://b/data"), "s3://b/data/images/a.jpg");
  EXPECT_EQ(resolve_ref("../images/a.jpg", "s3://b/data/train"), "s3://b/data/images/a.jpg");
  EXPECT_EQ(resolve_ref("../../../a.jpg", "s3://b/data"), "s3://b/a.jpg");  // never above the bucket
  EXPECT_EQ(resolve_ref("s3://other/x.jpg", "s3://b/data"), "s3://other/x.jpg");
  EXPECT_EQ(parent_dir("s3://b/data/train.manifest"), "s3://b/data");
}

// An environment made of a map, with HOME pointing at a temporary folder.
struct FakeEnvironment {
  testing::TempDir home;
  std::map<std::string, std::string> vars{{"HOME", home.path()}};
  [[nodiscard]] EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      const auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

TEST(S3Settings, EnvironmentCredentialsWinAndAwsIsTheDefault) {
  FakeEnvironment env;
  env.vars["AWS_ACCESS_KEY_ID"] = "AKID";
  env.vars["AWS_SECRET_ACCESS_KEY"] = "SECRET";
  env.vars["AWS_SESSION_TOKEN"] = "TOKEN";
  env.home.write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  const auto settings = resolve_s3_settings(env.lookup());
  ASSERT_TRUE(settings) << settings.error().message;
  ASSERT_TRUE(settings->credentials);
  EXPECT_EQ(settings->credentials->access_key_id, "AKID");
  EXPECT_EQ(settings->credentials->session_token, "TOKEN");
  EXPECT_EQ(settings->region, "us-east-1");
  EXPECT_EQ(settings->endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(settings->custom_endpoint);
}

TEST(S3Settings, ProfilesFromTheSharedFiles) {
  FakeEnvironment env;
  env.vars["AWS_PROFILE"] = "work";
  env.home.write(".aws/credentials",
                 "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[work]\n"
                 "aws_access_key_id = W\naws_secret_access_key = WS\n");
  env.home.write(".aws/config",
                 "[profile work]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n  endpoint_url = "
                 "http://127.0.0.1:9000/\n");
  const auto settings = resolve_s3_settings(env.lookup());
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->credentials->access_key_id, "W");
  EXPECT_THAT(settings->credentials->source, HasSubstr("[work]"));
  EXPECT_EQ(settings->region, "eu-west-1");
  EXPECT_EQ(settings->addressing, AddressingStyle::kPath);
  EXPECT_EQ(settings->endpoint, "http://127.0.0.1:9000");
  EXPECT_TRUE(settings->custom_endpoint);
  // --endpoint-url wins over everything; AWS_ENDPOINT_URL over the profile.
  env.vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9001";
  EXPECT_EQ(resolve_s3_settings(env.lookup())->endpoint, "http://127.0.0.1:9001");
  EXPECT_EQ(resolve_s3_settings(env.lookup(), "https://s3.example.com")->endpoint, "https://s3.example.com");
}

TEST(S3Settings, MultipartSizesAsTheAwsCliReadsThem) {
  FakeEnvironment env;
  EXPECT_EQ(resolve_s3_settings(env.lookup())->multipart_threshold, std::size_t{16} << 20);
  env.home.write(".aws/config", "[default]\ns3 =\n  multipart_threshold = 64MB\n  multipart_chunksize = 16 MiB\n");
  auto settings = resolve_s3_settings(env.lookup());
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->multipart_threshold, std::size_t{64} << 20);
  EXPECT_EQ(settings->part_size, std::size_t{16} << 20);
  env.home.write(".aws/config", "[default]\ns3 =\n  multipart_threshold = 1024\n  multipart_chunksize = 5GB\n");
  settings = resolve_s3_settings(env.lookup());
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->multipart_threshold, 1024U);
  EXPECT_EQ(settings->part_size, std::size_t{5} << 30);
  // Sizes S3 does not take are brought inside its limits, as the AWS CLI does.
  env.home.write(".aws/config", "[default]\ns3 =\n  multipart_chunksize = 1MB\n");
  settings = resolve_s3_settings(env.lookup());
  ASSERT_TRUE(settings) << settings.error().message;
  EXPECT_EQ(settings->part_size, std::size_t{5} << 20);
  env.home.write(".aws/config", "[default]\ns3 =\n  multipart_chunksize = 6GB\n");
  EXPECT_EQ(resolve_s3_settings(env.lookup())->part_size, std::size_t{5} << 30);
  env.home.write(".aws/config", "[default]\ns3 =\n  multipart_threshold = 0\n");
  EXPECT_EQ(resolve_s3_settings(env.lookup())->multipart_threshold, 1U);
  // Text that is no size is refused by name.
  for (const char* bad : {"multipart_threshold = lots", "multipart_threshold = 8 parsecs",
                          "multipart_threshold = 99999999999999TB", "multipart_chunksize = MB"}) {
    env.home.write(".aws/config", std::string("[default]\ns3 =\n  ") + bad + "\n");
    settings = resolve_s3_settings(env.lookup());
    ASSERT_FALSE(settings) << bad;
    EXPECT_THAT(settings.error().message, HasSubstr(std::string(bad).substr(0, std::string(bad).find(' ')))) << bad;
    EXPECT_THAT(settings.error().message, HasSubstr(".aws/config")) << bad;
  }
}

TEST(S3Settings, NoCredentialsSaysWhereItLooked) {
  FakeEnvironment env;
  const auto settings = resolve_s3_settings(env.lookup());
  ASSERT_TRUE(settings);
  EXPECT_FALSE(settings->credentials);
  EXPECT_THAT(settings->credentials_searched, HasSubstr(".aws/credentials"));
}

TEST(S3Settings, BadSettingsAreRefusedByName) {
  FakeEnvironment env;
  env.vars["AWS_ENDPOINT_URL"] = "127.0.0.1:9000";
  auto settings = resolve_s3_settings(env.lookup());
  ASSERT_FALSE(settings);
  EXPECT_THAT(settings.error().message, HasSubstr("AWS_ENDPOINT_URL"));
  env.vars.erase("AWS_ENDPOINT_URL");
  env.vars["AWS_MAX_ATTEMPTS"] = "lots";
  settings = resolve_s3_settings(env.lookup());
  ASSERT_FALSE(settings);
  EXPECT_THAT(settings.error().message, HasSubstr("AWS_MAX_ATTEMPTS"));
  env.vars.erase("AWS_MAX_ATTEMPTS");
  env.home.write(".aws/config", "[default]\nthis line has no equals sign\n");
  settings = resolve_s3_settings(env.lookup());
  ASSERT_FALSE(settings);
  EXPECT_THAT(settings.error().message, HasSubstr(".aws/config:2"));
}

TEST(ObjectCache, StoresFindsAndKeepsUnderItsCap) {
  testing::TempDir dir;
  ObjectCache cache(dir.path(), 10000);
  EXPECT_FALSE(cache.read("s3://b/a\netag1"));
  ASSERT_TRUE(cache.store("s3://b/a\netag1", std::string(3000, 'a')));
  EXPECT_EQ(*cache.read("s3://b/a\netag1"), std::string(3000, 'a'));
  EXPECT_FALSE(cache.read("s3://b/a\netag2")) << "a changed object is a new entry";
  for (int i = 0; i < 10; ++i) cache.store("s3://b/x" + std::to_string(i) + "\ne", std::string(3000, 'x'));
  EXPECT_LE(cache.size_on_disk(), 10000U);
  EXPECT_FALSE(cache.store("s3://b/huge\ne", std::string(20000, 'h'))) << "larger than the cap: not stored";
  ObjectCache off(dir.path(), 0);
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.store("s3://b/a\ne", "x"));
}

TEST(ObjectCache, ConcurrentWritersLeaveWholeEntries) {
  testing::TempDir dir;
  ObjectCache cache(dir.path(), 1 << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 50; ++i) cache.store("s3://b/same\ne", std::string(5000, static_cast<char>('a' + (i + t) % 2)));
    });
  }
  for (auto& thread : threads) thread.join();
  const auto entry = cache.read("s3://b/same\ne");
  ASSERT_TRUE(entry);
  ASSERT_EQ(entry->size(), 5000U);
  EXPECT_TRUE(*entry == std::string(5000, 'a') || *entry == std::string(5000, 'b'));
}

TEST(ObjectCache, SizesParse) {
  EXPECT_EQ(parse_byte_size("512"), 512U);
  EXPECT_EQ(parse_byte_size("10G"), std::uint64_t{10} << 30);
  EXPECT_EQ(parse_byte_size("500MB"), std::uint64_t{500} << 20);
  EXPECT_FALSE(parse_byte_size("ten"));
  EXPECT_FALSE(parse_byte_size("5Q"));
}

TEST(OutputFolder, LocalIsTheFolderItself) {
  testing::TempDir dir;
  auto folder = OutputFolder::open(dir.file("out"));
  ASSERT_TRUE(folder);
  EXPECT_FALSE(folder->staged());
  EXPECT_EQ(folder->path(), dir.file("out"));
  EXPECT_TRUE(folder->publish());
}

TEST(OutputFolder, AnS3DestinationStagesAndNothingIsLeftWhenTheWorkFails) {
  std::string staging;
  {
    auto folder = OutputFolder::open("s3://logoscope-test/out");
    ASSERT_TRUE(folder);
    EXPECT_TRUE(folder->staged());
    staging = folder->path();
    EXPECT_TRUE(fs::is_directory(staging));
    std::ofstream(staging + "/model.json") << "{}";
  }  // never published: the work failed
  EXPECT_FALSE(fs::exists(staging));
  EXPECT_FALSE(OutputFolder::open("s3://BAD/out"));
}

TEST(S3Requests, WithoutCredentialsFailClearlyBeforeAnyRequest) {
  testing::ScopedEnv no_key("AWS_ACCESS_KEY_ID", "");
  testing::ScopedEnv home("HOME", local_root().path());
  testing::ScopedEnv endpoint("AWS_ENDPOINT_URL", "http://127.0.0.1:9");  // nothing listens there
  testing::ScopedEnv metadata("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");  // nor there
  set_s3_endpoint("");
  const auto read = read_file("s3://logoscope-test/a.jpg");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kAccessDenied);
  EXPECT_THAT(read.error().message, HasSubstr("no AWS credentials"));
}

}  // namespace
}  // namespace logoscope::storage
