// The parts of AWS Signature Version 4 that libcurl's CURLOPT_AWS_SIGV4 leaves to
// the caller (curl 7.88 signs headers, but neither sorts nor normalises a query
// string, and does not re-encode a form body), and the query-string signing of S3
// presigned URLs, which curl does not do at all.
//
// Encoding rules (checked against AWS and moto):
//   - form bodies of the Query protocol (EC2, ELBv2, CloudWatch): letters, digits and
//     "-_.~" stay, space becomes "+", every other byte "%XX" (upper-case hex);
//   - query strings and paths (RFC 3986 "unreserved" as SigV4 wants it): letters,
//     digits and "-_.~" stay, every other byte "%XX"; a path keeps its "/".
//   - a canonical query string lists its parameters sorted by encoded name, then by
//     value, each as "name=value" (also "delete=" for a parameter without a value).
//
// Pure functions, safe from any thread.
#ifndef MASKFLEET_AWS_SIGV4_H_
#define MASKFLEET_AWS_SIGV4_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "maskfleet/aws/credentials.h"
#include "maskfleet/aws/crypto.h"

namespace maskfleet::aws {

using Parameters = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded as AWS verifies it ("a b/c" -> "a+b%2Fc").
std::string FormEncode(std::string_view text);
// "name=value&..." of `params` in the order given, form-encoded.
std::string FormBody(const Parameters& params);

// SigV4's URI encoding ("a b/c" -> "a%20b%2Fc"; with keep_slash, "a%20b/c").
std::string UriEncode(std::string_view text, bool keep_slash = false);

// The canonical query string of `params`: each name and value UriEncode'd, sorted,
// joined "a=1&b=&c=3". Also the form every request's query string is sent in, so that
// what curl signs and what the service recomputes agree.
std::string CanonicalQueryString(const Parameters& params);

// "20130524T000000Z" and "20130524".
std::string AmzDate(std::chrono::system_clock::time_point t);
std::string AmzDateStamp(std::chrono::system_clock::time_point t);

// The signing key: HMAC chain over date stamp, region, service and "aws4_request".
Digest256 SigningKey(std::string_view secret_access_key, std::string_view date_stamp, std::string_view region,
                     std::string_view service);

struct PresignRequest {
  std::string method = "GET";
  // "https://examplebucket.s3.amazonaws.com" (scheme, host and optional port).
  std::string origin;
  // The object's path, not yet encoded: "/test.txt", "/bucket/images/1/a.jpg".
  std::string path;
  // Extra query parameters signed with the URL (response-content-type ...).
  Parameters query;
  std::string region;
  std::string service = "s3";
  std::chrono::system_clock::time_point signed_at;
  // How long the URL is valid; AWS allows 1 s to 7 days.
  std::chrono::seconds expires{3600};
};

// A URL that performs `request` with `credentials` until it expires, signing only
// the host header and an unsigned payload (what a browser's plain GET sends). With
// temporary credentials the session token travels in X-Amz-Security-Token.
std::string PresignUrl(const PresignRequest& request, const Credentials& credentials);

// The canonical request PresignUrl signs (exposed for tests against published vectors).
std::string PresignCanonicalRequest(const PresignRequest& request, const Credentials& credentials);

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_SIGV4_H_
