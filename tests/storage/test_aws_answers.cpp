// What S3, STS and the credential sources answer, read by storage/aws_answers.hpp: the fields
// picked, and the hostile answers (found by reading the readers for fuzz/fuzz_aws_answers.cpp)
// refused instead of misread.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "storage/aws_answers.hpp"
#include "storage/s3_client.hpp"

namespace logoscope::storage {
namespace {

using Clock = std::chrono::system_clock;

TEST(AwsAnswers, ReadsAwsTimesAsTheCliWritesThem) {
  const auto base = parse_aws_time("2024-06-01T12:00:00Z");
  ASSERT_TRUE(base);
  EXPECT_EQ(Clock::to_time_t(*base), 1717243200);
  EXPECT_EQ(parse_aws_time("2024-06-01T12:00:00.123Z"), base);
  EXPECT_EQ(parse_aws_time("2024-06-01T12:00:00UTC"), base);
  EXPECT_EQ(parse_aws_time("2024-06-01T14:00:00+02:00"), base);
  EXPECT_EQ(parse_aws_time("2024-06-01T10:30:00-01:30"), base);
  EXPECT_FALSE(parse_aws_time("June 1st"));
  EXPECT_FALSE(parse_aws_time("2024-06-01T12:00:00 PST"));
  // sscanf's %d reads signs; an offset's digits were read by atoi, which takes "ab" as 0.
  EXPECT_FALSE(parse_aws_time("2024-06-01T-1:00:00Z"));
  EXPECT_FALSE(parse_aws_time("2024-06-01T12:-5:00Z"));
  EXPECT_FALSE(parse_aws_time("2024-06-01T12:00:00+ab:cd"));
  EXPECT_FALSE(parse_aws_time("2024-06-01T12:00:00+99:00"));
  EXPECT_FALSE(parse_aws_time(std::string("2024-06-01T12:00:00Z\0junk", 25)));
  // Found by fuzz_aws_answers: year 4048 overflowed the nanosecond clock. Far-future times read as 2200.
  const auto far = parse_aws_time("4048-06-01T12:00:00Z");
  ASSERT_TRUE(far);
  EXPECT_EQ(far, parse_aws_time("9999-12-31T23:59:59+05:00"));
  EXPECT_EQ(Clock::to_time_t(*far), 7258118400);  // 2200-01-01T00:00:00Z
}

TEST(AwsAnswers, S3ListPagesAndTheirContinuation) {
  const auto page = parse_s3_list_page(
      "<?xml version=\"1.0\"?><ListBucketResult><IsTruncated>true</IsTruncated>"
      "<Contents><Key>a.jpg</Key><Size>12</Size><ETag>\"abc\"</ETag></Contents>"
      "<Contents><Key>b.jpg</Key></Contents><NextContinuationToken>t2</NextContinuationToken></ListBucketResult>");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->objects.size(), 2U);
  EXPECT_EQ(page->objects[0].key, "a.jpg");
  EXPECT_EQ(page->objects[0].size, 12U);
  EXPECT_EQ(page->objects[0].etag, "abc");
  EXPECT_EQ(page->next_token, "t2");
  const auto last = parse_s3_list_page("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->next_token.empty());  // truncated without a token: nothing to continue with
  EXPECT_FALSE(parse_s3_list_page("<Error><Code>AccessDenied</Code></Error>"));
  EXPECT_FALSE(parse_s3_list_page("<ListBucketResult><Contents>"));
}

TEST(AwsAnswers, S3ErrorsAndUploadIds) {
  const auto error = parse_s3_error("<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "NoSuchKey");
  EXPECT_EQ(error->message, "gone");
  EXPECT_FALSE(parse_s3_error("<CompleteMultipartUploadResult/>"));
  EXPECT_EQ(parse_s3_upload_id("<InitiateMultipartUploadResult><UploadId>u-1</UploadId></InitiateMultipartUploadResult>"),
            "u-1");
  EXPECT_FALSE(parse_s3_upload_id("<InitiateMultipartUploadResult><UploadId></UploadId></InitiateMultipartUploadResult>"));
}

TEST(AwsAnswers, StsCredentialsAndErrors) {
  const auto credentials = parse_sts_credentials(
      "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>K</AccessKeyId>"
      "<SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken>"
      "<Expiration>2024-06-01T12:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
      "AssumeRole");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->session_token, "T");
  ASSERT_TRUE(credentials->expiration);
  EXPECT_EQ(Clock::to_time_t(*credentials->expiration), 1717243200);
  EXPECT_FALSE(parse_sts_credentials("<AssumeRoleResponse/>", "AssumeRole"));
  EXPECT_FALSE(parse_sts_credentials("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>K</AccessKeyId>"
                                     "</Credentials></AssumeRoleResult></AssumeRoleResponse>",
                                     "AssumeRole"));
  const auto error = parse_sts_error("<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "AccessDenied");
}

TEST(AwsAnswers, CredentialJsonNamesWhatIsMissing) {
  const auto container = parse_credentials_answer(
      R"({"AccessKeyId": "K", "SecretAccessKey": "S", "Token": "T", "Expiration": "2024-06-01T12:00:00Z"})",
      CredentialAnswer::kContainer, "ecs");
  ASSERT_TRUE(container) << container.error().message;
  EXPECT_EQ(container->session_token, "T");
  const auto no_secret = parse_credentials_answer(R"({"AccessKeyId": "K"})", CredentialAnswer::kContainer, "ecs");
  ASSERT_FALSE(no_secret);
  EXPECT_EQ(no_secret.error().code, ErrorCode::kAccessDenied);
  EXPECT_NE(no_secret.error().message.find("\"SecretAccessKey\""), std::string::npos);
  const auto bad_time = parse_credentials_answer(
      R"({"AccessKeyId": "K", "SecretAccessKey": "S", "Expiration": 17})", CredentialAnswer::kContainer, "ecs");
  ASSERT_FALSE(bad_time);
  EXPECT_NE(bad_time.error().message.find("ISO 8601"), std::string::npos);
  const auto imds = parse_credentials_answer(R"({"Code": "AssumeRoleUnauthorizedAccess", "Message": "no"})",
                                             CredentialAnswer::kInstanceMetadata, "imds");
  ASSERT_FALSE(imds);
  EXPECT_NE(imds.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
  const auto process = parse_credentials_answer(R"({"Version": 2, "AccessKeyId": "K"})", CredentialAnswer::kProcess,
                                                "process");
  ASSERT_FALSE(process);
  EXPECT_NE(process.error().message.find("Version"), std::string::npos);
  EXPECT_FALSE(parse_credentials_answer("[1]", CredentialAnswer::kContainer, "ecs"));
  EXPECT_FALSE(parse_credentials_answer("{\"AccessKeyId\": 1e999}", CredentialAnswer::kContainer, "ecs"));
}

// The SSO portal's expiration is milliseconds; a float beyond int64 (or a value whose nanoseconds
// overflow the clock) was converted unchecked. Beyond 2200 it reads as 2200; negative is an error.
TEST(AwsAnswers, SsoExpirationInMillisecondsWithinRange) {
  const auto good = parse_credentials_answer(
      R"({"roleCredentials": {"accessKeyId": "K", "secretAccessKey": "S", "sessionToken": "T",
          "expiration": 1717243200000}})",
      CredentialAnswer::kSsoPortal, "sso");
  ASSERT_TRUE(good) << good.error().message;
  ASSERT_TRUE(good->expiration);
  EXPECT_EQ(Clock::to_time_t(*good->expiration), 1717243200);
  for (const char* huge : {"1e300", "9223372036854775807", "18446744073709551615"}) {
    const auto far = parse_credentials_answer(
        std::string(R"({"roleCredentials": {"accessKeyId": "K", "secretAccessKey": "S", "expiration": )") + huge + "}}",
        CredentialAnswer::kSsoPortal, "sso");
    ASSERT_TRUE(far) << huge;
    EXPECT_EQ(Clock::to_time_t(*far->expiration), 7258118400) << huge;  // 2200-01-01
  }
  for (const char* expiration : {"-5", "-1e300", "\"soon\"", "true"}) {
    const auto bad = parse_credentials_answer(
        std::string(R"({"roleCredentials": {"accessKeyId": "K", "secretAccessKey": "S", "expiration": )") +
            expiration + "}}",
        CredentialAnswer::kSsoPortal, "sso");
    ASSERT_FALSE(bad) << expiration;
    EXPECT_NE(bad.error().message.find("milliseconds"), std::string::npos) << bad.error().message;
  }
  EXPECT_FALSE(parse_credentials_answer(R"({"accessKeyId": "K"})", CredentialAnswer::kSsoPortal, "sso"));
}

// A listing server that hands back the continuation token it was given would be asked for the same
// page forever; the client stops with an error that says so.
TEST(AwsAnswers, AListingThatRepeatsItsTokenStops) {
  httplib::Server server;
  server.set_keep_alive_max_count(1);  // each page on its own connection: stop() then returns at once
  std::atomic<int> pages{0};
  server.Get("/bucket", [&](const httplib::Request&, httplib::Response& response) {
    ++pages;
    response.set_content(
        "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a.jpg</Key><Size>1</Size></Contents>"
        "<NextContinuationToken>same</NextContinuationToken></ListBucketResult>",
        "application/xml");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { server.listen_after_bind(); });
  S3Settings settings;
  settings.endpoint = fmt::format("http://127.0.0.1:{}", port);
  settings.custom_endpoint = true;
  settings.addressing = AddressingStyle::kPath;
  settings.max_attempts = 1;
  settings.credentials = S3Credentials{"AKID", "SECRET", "", "test", std::nullopt};
  const S3Client client(settings);
  const auto listed = client.list("bucket", "", 1'000'000);
  server.stop();
  serving.join();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, ErrorCode::kParse);
  EXPECT_NE(listed.error().message.find("repeats continuation token"), std::string::npos) << listed.error().message;
  EXPECT_EQ(pages.load(), 2);
}

}  // namespace
}  // namespace logoscope::storage
