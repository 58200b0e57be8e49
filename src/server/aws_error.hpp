// server/aws_error.hpp — errors as AWS JSON 1.1 services answer them: an HTTP status, a type
// ("__type" in the body and the x-amzn-ErrorType header) and a message.
//
// Thread safety: plain values and pure functions.
#pragma once

#include <string>

#include "logoscope/result.hpp"

namespace logoscope::server {

struct AwsError {
  int http_status = 400;
  std::string type;  ///< e.g. "InvalidImageFormatException"
  std::string message;
};

/// The AWS type for a failure to detect in an image: kUnsupportedFormat, kCorrupt, kTruncated →
/// InvalidImageFormatException; kTooLarge → ImageTooLargeException; kInvalidArgument /
/// kInvalidValue → InvalidParameterException; the rest → InternalServerError (500).
AwsError aws_error_for(const Error& error);

/// {"__type": type, "Message": message} as text.
std::string aws_error_body(const AwsError& error);

/// The REST API's error code for an AWS type, e.g. "invalid_image_format".
std::string rest_error_code(const std::string& aws_type);

}  // namespace logoscope::server
