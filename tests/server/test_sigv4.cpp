// The SigV4 verifier (server/sigv4.hpp) against requests signed by an independent implementation:
// botocore's SigV4Auth, through tools/reference/sigv4/make_vectors.py → tests/server/data/
// sigv4_vectors.json. Every vector verifies; tampering with anything signed is refused with
// AWS's exception names and wording; malformed Authorization headers are refused, never a crash.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/sigv4.hpp"

#ifndef LOGOSCOPE_SOURCE_DIR
#error "LOGOSCOPE_SOURCE_DIR (the project root) must be defined to find tests/server/data"
#endif

namespace fs = std::filesystem;

namespace logoscope::server {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using std::chrono::system_clock;

struct Vector {
  std::string name;
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string timestamp;
  SigV4Key key;
  std::string authorization;
  std::string canonical_request;
  std::string string_to_sign;

  SigV4Request request() const { return SigV4Request{method, path, query, headers, body}; }
};

const std::vector<Vector>& vectors() {
  static const std::vector<Vector> loaded = [] {
    std::ifstream in(fs::path(LOGOSCOPE_SOURCE_DIR) / "tests/server/data/sigv4_vectors.json");
    const auto json = nlohmann::json::parse(in);
    std::vector<Vector> out;
    for (const auto& item : json.at("vectors")) {
      Vector v;
      v.name = item.at("name");
      v.method = item.at("method");
      v.path = item.at("path");
      v.query = item.at("query");
      for (const auto& header : item.at("headers")) v.headers.emplace_back(header.at(0), header.at(1));
      v.body = item.at("body");
      v.timestamp = item.at("timestamp");
      v.key = {item.at("access_key_id"), item.at("secret_access_key")};
      v.authorization = item.at("authorization");
      v.canonical_request = item.at("canonical_request");
      v.string_to_sign = item.at("string_to_sign");
      out.push_back(std::move(v));
    }
    return out;
  }();
  return loaded;
}

const Vector& vector_named(const std::string& name) {
  for (const auto& v : vectors()) {
    if (v.name == name) return v;
  }
  throw std::runtime_error("no vector " + name);
}

// "YYYYMMDDTHHMMSSZ" → time point.
system_clock::time_point at(const std::string& iso) {
  const auto number = [&](std::size_t from, std::size_t count) { return std::stoi(iso.substr(from, count)); };
  const std::chrono::year_month_day date{std::chrono::year{number(0, 4)},
                                         std::chrono::month{static_cast<unsigned>(number(4, 2))},
                                         std::chrono::day{static_cast<unsigned>(number(6, 2))}};
  return std::chrono::sys_days{date} + std::chrono::hours{number(9, 2)} + minutes{number(11, 2)} +
         seconds{number(13, 2)};
}

// The keys a test server holds: the vector's, among others.
std::vector<SigV4Key> keys_for(const Vector& v) {
  return {{"AKIDSOMEONEELSE00000", "unrelated secret"}, v.key, {"AKIDYETANOTHER000000", "x"}};
}

std::string& header(SigV4Request& request, const std::string& name) {
  for (auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  throw std::runtime_error("no header " + name);
}

void set_authorization(SigV4Request& request, const std::string& value) {
  header(request, "Authorization") = value;
}

std::optional<SigV4Rejection> verify(const Vector& v, const SigV4Request& request) {
  return verify_sigv4(request, keys_for(v), at(v.timestamp));
}

void expect_refused(const std::optional<SigV4Rejection>& got, std::string_view type,
                    const std::string& name) {
  ASSERT_TRUE(got.has_value()) << name << ": accepted";
  EXPECT_EQ(got->aws_type, type) << name << ": " << got->message;
  EXPECT_EQ(got->http_status, 400) << name;
}

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access "
    "Key and signing method. Consult the service documentation for details.";

TEST(SigV4, HelpersMatchKnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  const std::string mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  ASSERT_EQ(mac.size(), 32U);
  std::string hex;
  for (const char c : mac) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    hex.push_back(kDigits[static_cast<unsigned char>(c) & 0x0F]);
  }
  EXPECT_EQ(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SigV4, CanonicalUriIsTheWirePathNormalisedAndEncodedOnceMore) {
  EXPECT_EQ(sigv4_canonical_uri(""), "/");
  EXPECT_EQ(sigv4_canonical_uri("/"), "/");
  EXPECT_EQ(sigv4_canonical_uri("/a-b_c.d~e/F9"), "/a-b_c.d~e/F9");
  EXPECT_EQ(sigv4_canonical_uri("/a%20b/./c//d/../e/"), "/a%2520b/c/e/");
  EXPECT_EQ(sigv4_canonical_uri("/../.."), "/");
  EXPECT_EQ(sigv4_canonical_uri("/caf\xC3\xA9 x"), "/caf%C3%A9%20x");
  EXPECT_EQ(sigv4_canonical_uri("/a+b=c:d"), "/a%2Bb%3Dc%3Ad");
}

TEST(SigV4, CanonicalQueryIsDecodedReencodedAndSorted) {
  EXPECT_EQ(sigv4_canonical_query(""), "");
  EXPECT_EQ(sigv4_canonical_query("b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(sigv4_canonical_query("a=2&a=10&A=3"), "A=3&a=10&a=2");
  EXPECT_EQ(sigv4_canonical_query("x&&y="), "x=&y=");
  EXPECT_EQ(sigv4_canonical_query("k=%7e%2a%2F"), "k=~%2A%2F");
  EXPECT_EQ(sigv4_canonical_query("k=a+b c"), "k=a%2Bb%20c");
  EXPECT_EQ(sigv4_canonical_query("k=%zz%4"), "k=%25zz%254");
  EXPECT_EQ(sigv4_canonical_query("k=a=b"), "k=a%3Db");
}

TEST(SigV4, EveryBotocoreVectorVerifies) {
  ASSERT_GE(vectors().size(), 8U);
  for (const auto& v : vectors()) {
    const auto got = verify(v, v.request());
    EXPECT_FALSE(got.has_value()) << v.name << ": " << got->aws_type << ": " << got->message;
  }
}

TEST(SigV4, AcceptedWithinTheSkewOnEitherSide) {
  for (const auto& v : vectors()) {
    EXPECT_FALSE(verify_sigv4(v.request(), keys_for(v), at(v.timestamp) + minutes(5)).has_value()) << v.name;
    EXPECT_FALSE(verify_sigv4(v.request(), keys_for(v), at(v.timestamp) - minutes(5)).has_value()) << v.name;
    EXPECT_FALSE(
        verify_sigv4(v.request(), {v.key}, at(v.timestamp) + std::chrono::milliseconds(999)).has_value())
        << v.name;
  }
}

TEST(SigV4, TheMismatchMessageCarriesBotocoresCanonicalRequest) {
  for (const auto& v : vectors()) {
    auto request = v.request();
    std::string authorization = v.authorization;
    authorization.back() = authorization.back() == '0' ? '1' : '0';
    set_authorization(request, authorization);
    const auto got = verify(v, request);
    expect_refused(got, kInvalidSignature, v.name);
    const std::string expected =
        std::string(kMismatch) + "\n\nThe Canonical String for this request should have been\n'" +
        v.canonical_request + "'\n\nThe String-to-Sign should have been\n'" + v.string_to_sign + "'\n";
    EXPECT_EQ(got->message, expected) << v.name;
  }
}

TEST(SigV4, AChangedBodyByteIsRefused) {
  for (const auto& v : vectors()) {
    if (v.body.empty() || v.name == "unsigned_payload") continue;
    std::string body = v.body;
    for (const std::size_t at_index : {std::size_t{0}, body.size() / 2, body.size() - 1}) {
      std::string changed = body;
      changed[at_index] = static_cast<char>(changed[at_index] ^ 0x01);
      auto request = v.request();
      request.body = changed;
      const auto got = verify(v, request);
      expect_refused(got, kInvalidSignature, v.name);
      if (v.name == "content_sha256_header") {
        EXPECT_EQ(got->message,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.");
      } else {
        EXPECT_EQ(got->message.substr(0, kMismatch.size()), kMismatch) << v.name;
      }
    }
    auto shorter = v.request();
    shorter.body = std::string_view(v.body).substr(0, v.body.size() - 1);
    expect_refused(verify(v, shorter), kInvalidSignature, v.name + " (shorter)");
  }
}

TEST(SigV4, UnsignedPayloadLeavesTheBodyOutOfTheSignature) {
  const auto& v = vector_named("unsigned_payload");
  auto request = v.request();
  const std::string other = "{\"something\": \"else entirely\"}";
  request.body = other;
  EXPECT_FALSE(verify(v, request).has_value());
  // …but the x-amz-content-sha256 header itself is signed.
  header(request, "X-Amz-Content-SHA256") = sha256_hex(other);
  expect_refused(verify(v, request), kInvalidSignature, "content hash swapped in");
}

TEST(SigV4, AChangedSignatureByteIsRefused) {
  const auto& v = vector_named("detect_custom_labels");
  const std::size_t signature_at = v.authorization.find("Signature=") + 10;
  for (std::size_t i = signature_at; i < v.authorization.size(); ++i) {
    std::string authorization = v.authorization;
    authorization[i] = authorization[i] == 'a' ? 'b' : 'a';
    auto request = v.request();
    set_authorization(request, authorization);
    expect_refused(verify(v, request), kInvalidSignature,
                   "signature byte " + std::to_string(i - signature_at));
  }
  for (const std::string& signature :
       {std::string(), std::string("00"), v.authorization.substr(signature_at) + "0",
        v.authorization.substr(signature_at, 63)}) {
    auto request = v.request();
    set_authorization(request, v.authorization.substr(0, signature_at) + signature);
    const auto got = verify(v, request);
    ASSERT_TRUE(got.has_value()) << "signature '" << signature << "'";
    EXPECT_NE(got->aws_type, "") << signature;
  }
}

TEST(SigV4, AChangedSignedHeaderValueIsRefused) {
  for (const auto& v : vectors()) {
    const std::size_t list_at = v.authorization.find("SignedHeaders=") + 14;
    const std::string list = v.authorization.substr(list_at, v.authorization.find(',', list_at) - list_at);
    for (std::size_t i = 0; i < v.headers.size(); ++i) {
      std::string lower_name;
      for (const char c : v.headers[i].first) lower_name.push_back(static_cast<char>(std::tolower(c)));
      if (lower_name == "authorization" ||
          (";" + list + ";").find(";" + lower_name + ";") == std::string::npos) {
        continue;
      }
      auto request = v.request();
      request.headers[i].second += "x";
      const auto got = verify(v, request);
      ASSERT_TRUE(got.has_value()) << v.name << ": " << lower_name << " changed yet accepted";
      // A changed date fails its own checks first; everything else is a signature mismatch.
      EXPECT_TRUE(got->aws_type == kInvalidSignature || got->aws_type == kIncompleteSignature)
          << v.name << ": " << lower_name << ": " << got->aws_type;
    }
  }
  const auto& v = vector_named("detect_custom_labels");
  auto request = v.request();
  header(request, "X-Amz-Target") = "RekognitionService.DetectLabels";
  expect_refused(verify(v, request), kInvalidSignature, "target changed");
  request = v.request();
  header(request, "Host") = "localhost:8081";
  expect_refused(verify(v, request), kInvalidSignature, "host changed");
  request = v.request();
  request.method = "PUT";
  expect_refused(verify(v, request), kInvalidSignature, "method changed");
  request = v.request();
  request.path = "/other";
  expect_refused(verify(v, request), kInvalidSignature, "path changed");
  request = v.request();
  request.query = "a=1";
  expect_refused(verify(v, request), kInvalidSignature, "query added");
  request = v.request();
  request.headers.emplace_back("X-Amz-Target", "RekognitionService.DetectLabels");
  expect_refused(verify(v, request), kInvalidSignature, "signed header repeated");
}

TEST(SigV4, SignedHeaderWhitespaceAndCaseDoNotMatter) {
  const auto& v = vector_named("header_whitespace");
  auto request = v.request();
  for (auto& [name, value] : request.headers) {
    if (name == "Authorization") continue;
    std::string upper;
    for (const char c : name) upper.push_back(static_cast<char>(std::toupper(c)));
    name = upper;
    value.insert(0, " \t");
    value += "  ";
  }
  EXPECT_FALSE(verify(v, request).has_value());
  header(request, "X-LOGOSCOPE-NOTE") = "several spaces and tabs";
  EXPECT_FALSE(verify(v, request).has_value());
  header(request, "X-LOGOSCOPE-NOTE") = "several spacesand tabs";
  expect_refused(verify(v, request), kInvalidSignature, "whitespace removed between words");
}

TEST(SigV4, UnsignedHeadersMayChange) {
  for (const auto& v : vectors()) {
    auto request = v.request();
    header(request, "User-Agent") = "curl/8.0";
    request.headers.emplace_back("X-Forwarded-For", "10.0.0.1");
    request.headers.emplace_back("Accept-Encoding", "identity");
    for (auto& [name, value] : request.headers) {
      if (name == "Content-Length") value = "999";
    }
    const auto got = verify(v, request);
    EXPECT_FALSE(got.has_value()) << v.name << ": " << got->message;
  }
}

TEST(SigV4, AnUnknownAccessKeyIsAnUnrecognizedClient) {
  const auto& v = vector_named("detect_custom_labels");
  const auto got =
      verify_sigv4(v.request(), {{"AKIDSOMEONEELSE00000", v.key.secret_access_key}}, at(v.timestamp));
  expect_refused(got, kUnrecognizedClient, v.name);
  EXPECT_EQ(got->message, "The security token included in the request is invalid.");
  expect_refused(verify_sigv4(v.request(), {}, at(v.timestamp)), kUnrecognizedClient, "no keys");
  // The key id is case-sensitive.
  SigV4Key lower = v.key;
  for (auto& c : lower.access_key_id) c = static_cast<char>(std::tolower(c));
  expect_refused(verify_sigv4(v.request(), {lower}, at(v.timestamp)), kUnrecognizedClient,
                 "lowercase key id");
}

TEST(SigV4, AWrongSecretIsASignatureMismatch) {
  const auto& v = vector_named("detect_custom_labels");
  const auto got =
      verify_sigv4(v.request(), {{v.key.access_key_id, v.key.secret_access_key + "x"}}, at(v.timestamp));
  expect_refused(got, kInvalidSignature, v.name);
  EXPECT_EQ(got->message.substr(0, kMismatch.size()), kMismatch);
}

TEST(SigV4, AnOldOrFutureRequestHasExpired) {
  const auto& v = vector_named("detect_custom_labels");  // signed at 20240517T123456Z
  auto got = verify_sigv4(v.request(), {v.key}, at(v.timestamp) + minutes(6));
  expect_refused(got, kInvalidSignature, "6 minutes later");
  EXPECT_EQ(
      got->message,
      "Signature expired: 20240517T123456Z is now earlier than 20240517T123556Z (20240517T124056Z - 5 min.)");
  got = verify_sigv4(v.request(), {v.key}, at(v.timestamp) + minutes(5) + seconds(1));
  expect_refused(got, kInvalidSignature, "5 minutes 1 second later");
  got = verify_sigv4(v.request(), {v.key}, at(v.timestamp) - minutes(6));
  expect_refused(got, kInvalidSignature, "6 minutes earlier");
  EXPECT_EQ(got->message,
            "Signature not yet current: 20240517T123456Z is still later than 20240517T123356Z "
            "(20240517T122856Z + 5 min.)");
  got = verify_sigv4(v.request(), {v.key}, at(v.timestamp) + minutes(20), minutes(15));
  EXPECT_EQ(got->message,
            "Signature expired: 20240517T123456Z is now earlier than 20240517T123956Z (20240517T125456Z - 15 "
            "min.)");
  EXPECT_FALSE(verify_sigv4(v.request(), {v.key}, at(v.timestamp) + minutes(14), minutes(15)).has_value());
  // The Date header is held to the same clock.
  const auto& dated = vector_named("date_header");
  got = verify_sigv4(dated.request(), {dated.key}, at(dated.timestamp) + minutes(6));
  expect_refused(got, kInvalidSignature, "Date header, 6 minutes later");
  EXPECT_EQ(got->message.substr(0, 37), "Signature expired: 20240102T030405Z i");
}

TEST(SigV4, NoAuthorizationIsAMissingAuthenticationToken) {
  const auto& v = vector_named("detect_custom_labels");
  auto request = v.request();
  std::erase_if(request.headers, [](const auto& h) { return h.first == "Authorization"; });
  auto got = verify(v, request);
  expect_refused(got, kMissingAuthenticationToken, "no Authorization");
  EXPECT_EQ(got->message, "Request is missing Authentication Token");
  for (const std::string& value :
       std::vector<std::string>{"", "   ", "Bearer abc.def.ghi", "Basic dXNlcjpwYXNz", "AWS AKID:signature",
                                "aws4-hmac-sha256 Credential=x"}) {
    request = v.request();
    set_authorization(request, value);
    expect_refused(verify(v, request), kMissingAuthenticationToken, "Authorization: " + value);
  }
}

TEST(SigV4, MalformedAuthorizationIsAnIncompleteSignature) {
  const auto& v = vector_named("detect_custom_labels");
  const std::string credential =
      "Credential=AKIDLOGOSCOPEEXAMPLE/20240517/us-east-1/rekognition/aws4_request";
  const std::string signed_headers = "SignedHeaders=content-type;host;x-amz-date;x-amz-target";
  const std::string signature = "Signature=963b5a764b609b8a77aec7b4272aadc2bd16ed23cf6e5a0da2c2a953e79376d9";
  struct Case {
    std::string authorization;
    std::string message_start;
  };
  const std::vector<Case> cases = {
      {"AWS4-HMAC-SHA256",
       "Authorization header requires 'Credential' parameter. Authorization header requires "
       "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
       "Authorization=AWS4-HMAC-SHA256"},
      {"AWS4-HMAC-SHA256 " + credential + ", " + signed_headers,
       "Authorization header requires 'Signature' parameter. Authorization="},
      {"AWS4-HMAC-SHA256 " + signed_headers + ", " + signature,
       "Authorization header requires 'Credential' parameter. Authorization="},
      {"AWS4-HMAC-SHA256 " + credential + ", " + signature,
       "Authorization header requires 'SignedHeaders' parameter. Authorization="},
      {"AWS4-HMAC-SHA256 Credential=, " + signed_headers + ", Signature=",
       "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
       "parameter."},
      {"AWS4-HMAC-SHA256 " + credential + " " + signed_headers + " " + signature,
       "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders'"},
      {"AWS4-HMAC-SHA256 Credential, " + signed_headers + ", " + signature,
       "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
       "'AWS4-HMAC-SHA256 "
       "Credential, "},
      {"AWS4-HMAC-SHA256 " + credential + ", " + signed_headers + ", " + signature + ", junk",
       "'junk' not a valid key=value pair (missing equal-sign)"},
      {"AWS4-HMAC-SHA512 " + credential + ", " + signed_headers + ", " + signature,
       "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now)."},
      {"AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/20240517/us-east-1/aws4_request, " + signed_headers +
           ", " + signature,
       "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
       "'AKIDLOGOSCOPEEXAMPLE/20240517/us-east-1/aws4_request'"},
      {"AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE, " + signed_headers + ", " + signature,
       "Credential must have exactly 5 slash-delimited elements"},
      {"AWS4-HMAC-SHA256 Credential=A/20240517/us-east-1/rekognition/aws4_request/extra, " + signed_headers +
           ", " + signature,
       "Credential must have exactly 5 slash-delimited elements"},
      {"AWS4-HMAC-SHA256 " + credential +
           ", SignedHeaders=content-type;host;x-amz-date;x-amz-target;x-absent, " + signature,
       "The signed header 'x-absent' is missing from the request."},
      {"AWS4-HMAC-SHA256 " + credential + ", SignedHeaders=host;;x-amz-date, " + signature,
       "The signed header '' is missing from the request."},
  };
  for (const auto& [authorization, message_start] : cases) {
    auto request = v.request();
    set_authorization(request, authorization);
    const auto got = verify(v, request);
    expect_refused(got, kIncompleteSignature, authorization);
    EXPECT_EQ(got->message.substr(0, message_start.size()), message_start) << authorization;
  }
  // A trailing '/' after the credential's terminator is ignored, as AWS does.
  auto request = v.request();
  std::string authorization = v.authorization;
  authorization.insert(authorization.find("aws4_request") + 12, "/");
  set_authorization(request, authorization);
  EXPECT_FALSE(verify(v, request).has_value());
  // Neither X-Amz-Date nor Date.
  request = v.request();
  std::erase_if(request.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  auto got = verify(v, request);
  expect_refused(got, kIncompleteSignature, "no date");
  EXPECT_EQ(got->message,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
            "Authorization=" +
                v.authorization);
  // A date in another form.
  for (const std::string& date : std::vector<std::string>{
           "2024-05-17T12:34:56Z", "20240517T123456", "20241317T123456Z", "20240230T000000Z",
           "20240517T246000Z", "", "Fri, 17 May 2024 12:34:56 GMT"}) {
    request = v.request();
    header(request, "X-Amz-Date") = date;
    got = verify(v, request);
    expect_refused(got, kIncompleteSignature, "X-Amz-Date: " + date);
    EXPECT_EQ(got->message, "Date must be in ISO-8601 'basic format'. Got '" + date +
                                "'. See http://en.wikipedia.org/wiki/ISO_8601");
  }
  // Two Authorization headers.
  request = v.request();
  request.headers.emplace_back("authorization", v.authorization);
  expect_refused(verify(v, request), kIncompleteSignature, "two Authorization headers");
}

TEST(SigV4, ScopeAndHostProblemsAreInvalidSignatures) {
  const auto& v = vector_named("detect_custom_labels");
  const auto with_authorization = [&](const std::string& authorization) {
    auto request = v.request();
    set_authorization(request, authorization);
    return verify(v, request);
  };
  const std::string rest =
      ", SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
      "Signature=963b5a764b609b8a77aec7b4272aadc2bd16ed23cf6e5a0da2c2a953e79376d9";
  auto got = with_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/20240518/us-east-1/rekognition/"
      "aws4_request" +
      rest);
  expect_refused(got, kInvalidSignature, "scope date");
  EXPECT_EQ(got->message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20240518' != "
            "'20240517', from '20240517T123456Z'.");
  got = with_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/20240517/us-east-1/rekognition/"
      "aws5_request" +
      rest);
  expect_refused(got, kInvalidSignature, "terminator");
  EXPECT_EQ(got->message,
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
  got = with_authorization("AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/x//rekognition/aws4_request" +
                           rest);
  expect_refused(got, kInvalidSignature, "empty region, bad date");
  EXPECT_EQ(got->message,
            "Credential should be scoped to a valid region, not ''. Date in Credential scope does not match "
            "YYYYMMDD "
            "from ISO-8601 version of date from HTTP: 'x' != '20240517', from '20240517T123456Z'.");
  // Another region or service is accepted as a scope, but it is signed: a mismatch.
  got = with_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/20240517/eu-west-1/rekognition/"
      "aws4_request" +
      rest);
  expect_refused(got, kInvalidSignature, "other region");
  EXPECT_EQ(got->message.substr(0, kMismatch.size()), kMismatch);
  // Host not signed.
  got = with_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/20240517/us-east-1/rekognition/aws4_request, "
      "SignedHeaders=content-type;x-amz-date;x-amz-target, Signature=00");
  expect_refused(got, kInvalidSignature, "host unsigned");
  EXPECT_EQ(got->message, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  got = with_authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDLOGOSCOPEEXAMPLE/20240517/us-east-1/rekognition/aws4_request, "
      "SignedHeaders=, Signature=00");
  expect_refused(got, kInvalidSignature, "empty SignedHeaders");
}

TEST(SigV4, NoAuthorizationValueCrashesTheVerifier) {
  const auto& v = vector_named("encoded_path_and_query");
  // Every prefix of a valid header, and every single-byte change to it.
  for (std::size_t length = 0; length < v.authorization.size(); ++length) {
    auto request = v.request();
    set_authorization(request, v.authorization.substr(0, length));
    const auto got = verify(v, request);
    ASSERT_TRUE(got.has_value()) << "prefix of " << length << " bytes accepted";
    EXPECT_FALSE(got->aws_type.empty());
  }
  for (std::size_t i = 0; i < v.authorization.size(); ++i) {
    for (const char replacement : {'\0', ' ', ',', '=', '/', ';', '\t', '\xFF', 'Z'}) {
      if (v.authorization[i] == replacement) continue;
      std::string authorization = v.authorization;
      authorization[i] = replacement;
      auto request = v.request();
      set_authorization(request, authorization);
      const auto got = verify(v, request);
      if (got) {
        EXPECT_EQ(got->http_status, 400);
      }
    }
  }
  // Odd paths, queries and dates.
  for (const std::string& path : std::vector<std::string>{"", "*", "//", "/%", "/%G1", "/..", "http://host/x",
                                                          std::string("/\0/", 3)}) {
    auto request = v.request();
    request.path = path;
    expect_refused(verify(v, request), kInvalidSignature, "path " + path);
  }
  for (const std::string& query : std::vector<std::string>{"&", "=", "==&&==", "%", "a=%", "%%%"}) {
    auto request = v.request();
    request.query = query;
    expect_refused(verify(v, request), kInvalidSignature, "query " + query);
  }
}

TEST(SigV4, TheDateHeaderStandsInForXAmzDate) {
  const auto& v = vector_named("date_header");
  EXPECT_FALSE(verify(v, v.request()).has_value());
  auto request = v.request();
  header(request, "Date") = "Tue, 02 Jan 2024 03:04:05 GMT";  // the same instant, signed as "-0000"
  expect_refused(verify(v, request), kInvalidSignature, "same instant, other spelling");
  header(request, "Date") = "Tue, 02 Jan 2024 03:04:05";
  const auto got = verify(v, request);
  expect_refused(got, kIncompleteSignature, "no zone");
  // X-Amz-Date, when present, wins over Date.
  request = v.request();
  request.headers.emplace_back("X-Amz-Date", "20240102T030405Z");
  EXPECT_FALSE(verify(v, request).has_value());
  header(request, "X-Amz-Date") = "20240102T030406Z";
  expect_refused(verify(v, request), kInvalidSignature, "X-Amz-Date one second off");
}

}  // namespace
}  // namespace logoscope::server
