// storage/aws_answers.hpp — what S3, STS and the credential sources answer, read into values
// (internal to src/storage). No I/O: the S3 client and the credential providers fetch, these
// functions read, and fuzz/fuzz_aws_answers.cpp feeds them hostile bytes.
//
// S3 and STS answer XML (tinyxml2 parses it; these functions pick the fields); the container
// endpoint, the instance metadata service, credential_process and the SSO portal answer JSON.
// A reader returns nullopt (or an error naming `what`) for an answer without the fields it needs;
// it never throws.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logoscope/result.hpp"
#include "storage/s3_client.hpp"
#include "storage/s3_config.hpp"

namespace logoscope::storage {

/// An <Error> answer's code and message (either may be empty).
struct AwsErrorAnswer {
  std::string code;
  std::string message;
};

/// S3's <Error><Code/><Message/></Error>; nullopt when `body` is not one (S3 may answer 200 with
/// an error body, e.g. to CompleteMultipartUpload).
std::optional<AwsErrorAnswer> parse_s3_error(std::string_view body);

/// One page of ListObjectsV2.
struct S3ListPage {
  std::vector<S3ObjectInfo> objects;  ///< in the answer's order
  std::string next_token;             ///< empty on the last page
};

/// A <ListBucketResult>; nullopt for anything else. A page that says it is truncated but gives no
/// NextContinuationToken is read as the last page.
std::optional<S3ListPage> parse_s3_list_page(std::string_view body);

/// The UploadId of an <InitiateMultipartUploadResult>; nullopt when there is none.
std::optional<std::string> parse_s3_upload_id(std::string_view body);

/// STS's <ErrorResponse><Error><Code/><Message/></Error></ErrorResponse>; nullopt otherwise.
std::optional<AwsErrorAnswer> parse_sts_error(std::string_view body);

/// The <Credentials> of STS's answer to `action` ("AssumeRole", "AssumeRoleWithWebIdentity");
/// nullopt without AccessKeyId, SecretAccessKey and SessionToken. An Expiration that is not an
/// ISO 8601 time is left unset.
std::optional<S3Credentials> parse_sts_credentials(std::string_view body, const std::string& action);

/// Who answered a credentials JSON: the field names and checks differ.
enum class CredentialAnswer {
  kContainer,         ///< ECS/EKS container endpoint: AccessKeyId, SecretAccessKey, Token, Expiration
  kInstanceMetadata,  ///< EC2 IMDS: the same, and "Code" must be "Success" when present
  kProcess,           ///< credential_process: "Version": 1, AccessKeyId, SecretAccessKey, SessionToken
  kSsoPortal,         ///< GetRoleCredentials: "roleCredentials" {accessKeyId, …, expiration in ms}
};

/// The credentials in a JSON answer; an error (kAccessDenied) that starts with `what` and says
/// which field is missing or wrong. `source` is left empty for the caller.
Result<S3Credentials> parse_credentials_answer(std::string_view text, CredentialAnswer kind, const std::string& what);

/// A time as AWS writes it ("2024-06-01T12:00:00Z", fractions, "+00:00" or "UTC" allowed).
std::optional<std::chrono::system_clock::time_point> parse_aws_time(std::string_view text);

/// An ETag as S3 sends it, without its double quotes.
std::string unquote_etag(std::string text);

/// The first 300 bytes of an answer on one line, for messages.
std::string answer_excerpt(std::string_view body);

}  // namespace logoscope::storage
