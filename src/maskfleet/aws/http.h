// One HTTP exchange with an AWS endpoint (or the instance metadata service), and the
// libcurl transport that performs it, signing with CURLOPT_AWS_SIGV4 when asked.
//
// HttpTransport is the seam the AWS client's tests replace with scripted answers.
// Thread safety: CurlTransport is safe from many threads (one curl handle per call).
#ifndef MASKFLEET_AWS_HTTP_H_
#define MASKFLEET_AWS_HTTP_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "maskfleet/aws/credentials.h"
#include "maskfleet/common/error.h"

namespace maskfleet::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  // Complete URL, query string already in its canonical (sorted, encoded) form.
  std::string url;
  Headers headers;
  // Bytes of the body (binary allowed); sent only for methods that carry one.
  std::string body;
  // Set: the request is signed with SigV4 for this region and service; the session
  // token, when there is one, is sent as x-amz-security-token.
  struct Signing {
    std::string region;
    std::string service;
    Credentials credentials;
  };
  std::optional<Signing> signing;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{5'000};
};

struct HttpResponse {
  long status = 0;
  // Names in lower case, in the order received.
  Headers headers;
  std::string body;

  // The first header called `name` (lower case), or "".
  std::string Header(std::string_view name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Performs the exchange. Any HTTP status is a success here (the caller reads it).
  // Errors: kUnavailable (could not connect, reset, timed out: nothing or not all was
  // answered), kInvalidArgument (a URL curl refuses), kInternal.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// libcurl. No proxy from the environment is used for loopback endpoints only when the
// caller's NO_PROXY says so: curl's usual proxy variables apply, as for the AWS CLI.
class CurlTransport : public HttpTransport {
 public:
  CurlTransport();
  Result<HttpResponse> Send(const HttpRequest& request) override;
};

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_HTTP_H_
