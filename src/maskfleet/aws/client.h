// The AWS client: signed calls in the three wire protocols maskfleet needs, with
// retries, over an HttpTransport (libcurl's CURLOPT_AWS_SIGV4 in production).
//
//   Query     (EC2, ELBv2, CloudWatch): POST of a form "Action=...&Version=...&...",
//             XML answer.
//   REST-XML  (S3): the verb and path name the operation, XML or raw bytes answer.
//   JSON      (Secrets Manager): POST of a JSON document, X-Amz-Target names the
//             operation, JSON answer.
//
// Retries: a call is sent again, after a capped exponential back-off with jitter,
// when it was throttled (the service did nothing), or when it is idempotent and the
// answer was a 5xx or the connection was lost. A call that is not idempotent (a
// RunInstances without a client token) is not repeated after an answer that may hide
// a completed action.
//
// Errors come back as AwsError (the service's code, message and request id); the
// adapters convert them into maskfleet's Error once, with ToError (aws_error.h).
//
// Thread safety: a Client is safe to use from many threads at once.
#ifndef MASKFLEET_AWS_CLIENT_H_
#define MASKFLEET_AWS_CLIENT_H_

#include <chrono>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "maskfleet/aws/aws_error.h"
#include "maskfleet/aws/credentials.h"
#include "maskfleet/aws/http.h"
#include "maskfleet/aws/retry.h"
#include "maskfleet/aws/service.h"
#include "maskfleet/aws/sigv4.h"

namespace maskfleet::aws {

template <typename T>
using AwsResult = std::expected<T, AwsError>;

// A parsed XML answer.
struct XmlAnswer {
  std::shared_ptr<pugi::xml_document> document;
  std::string request_id;
  // The document element (<DescribeInstancesResponse>, <ListBucketResult> ...).
  pugi::xml_node root() const { return document->document_element(); }
};

struct ClientOptions {
  // "eu-west-1". Required.
  std::string region;
  // Required.
  std::shared_ptr<CredentialsProvider> credentials;
  // Default: a CurlTransport.
  std::shared_ptr<HttpTransport> transport;
  // Read for AWS_ENDPOINT_URL*; default: the process's environment.
  Environment env;
  // Endpoints from maskfleet's configuration, by Service::signing_name; they win over
  // the environment (service.h).
  std::map<std::string, std::string, std::less<>> endpoints;
  // The profile's endpoint_url, if any.
  std::string profile_endpoint;
  RetryOptions retry;
  // Default: a SystemRandomSource.
  std::shared_ptr<RandomSource> random;
  // How the client waits between attempts. Default: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Whole-request timeout of one attempt.
  std::chrono::milliseconds timeout{30'000};
};

class Client {
 public:
  explicit Client(ClientOptions options);

  const std::string& region() const { return options_.region; }
  // The endpoint the client sends `service`'s calls to (service.h).
  std::string Endpoint(const Service& service) const;
  // The credentials calls are signed with now (for presigning). Errors: as the provider.
  Result<Credentials> CurrentCredentials() const { return options_.credentials->Get(); }

  // A Query-protocol call: Action=`action`, Version=service.api_version, `params`.
  AwsResult<XmlAnswer> Query(const Service& service, std::string_view action, const Parameters& params,
                             Idempotency idempotency);

  struct RestRequest {
    // Origin to send to instead of Endpoint(service) ("https://bucket.s3.eu-west-1.
    // amazonaws.com" for S3's virtual-hosted style); empty for the service's.
    std::string origin;
    std::string method = "GET";
    // Already encoded: "/bucket/images/1/a.jpg" (UriEncode(..., keep_slash)).
    std::string path = "/";
    Parameters query;
    Headers headers;
    std::string body;
  };
  // A REST call. S3's payload hash header (x-amz-content-sha256) is added. A success
  // is any 2xx (and 3xx, which S3 does not send unasked).
  AwsResult<HttpResponse> Rest(const Service& service, std::string_view operation, const RestRequest& request,
                               Idempotency idempotency);

  // A JSON-protocol call: X-Amz-Target `target_prefix`.`operation`.
  AwsResult<nlohmann::json> Json(const Service& service, std::string_view target_prefix,
                                 std::string_view operation, const nlohmann::json& body,
                                 Idempotency idempotency);

 private:
  AwsResult<HttpResponse> Send(const Service& service, std::string_view operation, HttpRequest request,
                               Idempotency idempotency);

  ClientOptions options_;
};

// Helpers for reading XML answers.
// The text of the first child element `name` of `node`, or "".
std::string ChildText(pugi::xml_node node, const char* name);

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_CLIENT_H_
