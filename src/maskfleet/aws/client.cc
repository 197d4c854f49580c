#include "maskfleet/aws/client.h"

#include <thread>

#include "maskfleet/aws/crypto.h"

namespace maskfleet::aws {

std::string ChildText(pugi::xml_node node, const char* name) { return node.child(name).text().get(); }

Client::Client(ClientOptions options) : options_(std::move(options)) {
  if (!options_.transport) options_.transport = std::make_shared<CurlTransport>();
  if (!options_.env) options_.env = ProcessEnvironment();
  if (!options_.random) options_.random = std::make_shared<SystemRandomSource>();
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (options_.retry.max_attempts < 1) options_.retry.max_attempts = 1;
}

std::string Client::Endpoint(const Service& service) const {
  auto it = options_.endpoints.find(service.signing_name);
  return ResolveEndpoint(service, options_.region, options_.env,
                         it == options_.endpoints.end() ? std::string_view() : it->second,
                         options_.profile_endpoint);
}

AwsResult<HttpResponse> Client::Send(const Service& service, std::string_view operation, HttpRequest request,
                                     Idempotency idempotency) {
  JitteredExponentialBackoff backoff(options_.retry.base_delay, options_.retry.max_delay, *options_.random);
  request.timeout = options_.timeout;
  AwsError error{.service = std::string(service.signing_name), .operation = std::string(operation)};
  for (int attempt = 1;; ++attempt) {
    auto credentials = options_.credentials->Get();
    if (!credentials) {
      error.kind = AwsError::Kind::kLocal;
      error.local_code = credentials.error().code;
      error.message = credentials.error().message;
      return std::unexpected(error);
    }
    request.signing = HttpRequest::Signing{options_.region, std::string(service.signing_name),
                                           std::move(*credentials)};
    auto response = options_.transport->Send(request);
    if (response && response->status < 400) return std::move(*response);
    if (!response) {
      error.kind = AwsError::Kind::kConnection;
      error.local_code = response.error().code;
      error.message = response.error().message;
      error.http_status = 0;
      if (response.error().code != ErrorCode::kUnavailable) {
        error.kind = AwsError::Kind::kLocal;
        return std::unexpected(error);
      }
    } else {
      error.kind = AwsError::Kind::kService;
      error.http_status = response->status;
      error.code.clear();
      error.message.clear();
      error.request_id.clear();
      ParseErrorAnswer(*response, error);
    }
    // A throttled call was not acted on, so even a call that is not idempotent may go
    // again; after a 5xx or a lost connection only an idempotent one may.
    const bool may_retry = error.IsRetryable() &&
                           (idempotency == Idempotency::kIdempotent || error.IsThrottling());
    if (!may_retry || attempt >= options_.retry.max_attempts) {
      if (attempt > 1) error.message += " (after " + std::to_string(attempt) + " attempts)";
      return std::unexpected(error);
    }
    options_.sleep(backoff.NextBackOff());
  }
}

AwsResult<XmlAnswer> Client::Query(const Service& service, std::string_view action, const Parameters& params,
                                   Idempotency idempotency) {
  Parameters all;
  all.reserve(params.size() + 2);
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", std::string(service.api_version));
  all.insert(all.end(), params.begin(), params.end());
  HttpRequest request{.method = "POST",
                      .url = Endpoint(service) + "/",
                      .headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                      .body = FormBody(all)};
  auto response = Send(service, action, std::move(request), idempotency);
  if (!response) return std::unexpected(response.error());
  XmlAnswer answer{.document = std::make_shared<pugi::xml_document>()};
  const auto parsed = answer.document->load_buffer(response->body.data(), response->body.size());
  if (!parsed || !answer.document->document_element()) {
    return std::unexpected(AwsError{.kind = AwsError::Kind::kBadAnswer,
                                    .service = std::string(service.signing_name),
                                    .operation = std::string(action),
                                    .http_status = response->status,
                                    .message = std::string("unreadable XML answer: ") + parsed.description(),
                                    .local_code = ErrorCode::kInternal});
  }
  answer.request_id = ChildText(answer.root().child("ResponseMetadata"), "RequestId");
  if (answer.request_id.empty()) answer.request_id = ChildText(answer.root(), "requestId");
  return answer;
}

AwsResult<HttpResponse> Client::Rest(const Service& service, std::string_view operation,
                                     const RestRequest& rest, Idempotency idempotency) {
  HttpRequest request{.method = rest.method,
                      .url = (rest.origin.empty() ? Endpoint(service) : rest.origin) + rest.path,
                      .headers = rest.headers,
                      .body = rest.body};
  if (!rest.query.empty()) request.url += "?" + CanonicalQueryString(rest.query);
  request.headers.emplace_back("x-amz-content-sha256", Sha256Hex(rest.body));
  return Send(service, operation, std::move(request), idempotency);
}

AwsResult<nlohmann::json> Client::Json(const Service& service, std::string_view target_prefix,
                                       std::string_view operation, const nlohmann::json& body,
                                       Idempotency idempotency) {
  HttpRequest request{
      .method = "POST",
      .url = Endpoint(service) + "/",
      .headers = {{"Content-Type", "application/x-amz-json-1.1"},
                  {"X-Amz-Target", std::string(target_prefix) + "." + std::string(operation)}},
      .body = body.dump()};
  auto response = Send(service, operation, std::move(request), idempotency);
  if (!response) return std::unexpected(response.error());
  auto json = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return std::unexpected(AwsError{.kind = AwsError::Kind::kBadAnswer,
                                    .service = std::string(service.signing_name),
                                    .operation = std::string(operation),
                                    .http_status = response->status,
                                    .message = "unreadable JSON answer",
                                    .request_id = response->Header("x-amzn-requestid"),
                                    .local_code = ErrorCode::kInternal});
  }
  return json;
}

}  // namespace maskfleet::aws
