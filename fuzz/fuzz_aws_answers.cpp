// What S3, STS and the credential sources answer (storage/aws_answers.hpp). The first byte picks
// the reader; the rest is the answer's body.
#include <cstdint>
#include <string_view>

#include "storage/aws_answers.hpp"

namespace storage = logoscope::storage;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 10) {
    case 0: (void)storage::parse_s3_error(body); break;
    case 1: (void)storage::parse_s3_list_page(body); break;
    case 2: (void)storage::parse_s3_upload_id(body); break;
    case 3: (void)storage::parse_sts_error(body); break;
    case 4: (void)storage::parse_sts_credentials(body, "AssumeRole"); break;
    case 5: (void)storage::parse_sts_credentials(body, "AssumeRoleWithWebIdentity"); break;
    case 6: (void)storage::parse_credentials_answer(body, storage::CredentialAnswer::kContainer, "fuzz"); break;
    case 7: (void)storage::parse_credentials_answer(body, storage::CredentialAnswer::kInstanceMetadata, "fuzz"); break;
    case 8: (void)storage::parse_credentials_answer(body, storage::CredentialAnswer::kProcess, "fuzz"); break;
    default:
      (void)storage::parse_credentials_answer(body, storage::CredentialAnswer::kSsoPortal, "fuzz");
      (void)storage::parse_aws_time(body);
      break;
  }
  return 0;
}
