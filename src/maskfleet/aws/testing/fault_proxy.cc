#include "maskfleet/aws/testing/fault_proxy.h"

#include <nlohmann/json.hpp>

#include "maskfleet/aws/http.h"

namespace maskfleet::aws::testing {

Result<std::unique_ptr<FaultProxy>> FaultProxy::Start(const std::string& target) {
  auto helper = HelperScript::Start(MASKFLEET_PYTHON, MASKFLEET_FAULT_PROXY, {"--target", target},
                                    std::chrono::seconds(30));
  if (!helper) return std::unexpected(helper.error());
  const nlohmann::json& announced = (*helper)->announced();
  if (!announced.contains("endpoint") || !announced.contains("control")) {
    return MakeError(ErrorCode::kUnavailable, "the fault proxy named no endpoint");
  }
  std::unique_ptr<FaultProxy> proxy(new FaultProxy());
  proxy->endpoint_ = announced["endpoint"];
  proxy->control_ = announced["control"];
  proxy->helper_ = std::move(*helper);
  return proxy;
}

ClientOptions FaultProxy::Route(ClientOptions options) const {
  for (const Service* service : {&kEc2, &kElbv2, &kCloudWatch, &kS3, &kSecretsManager}) {
    options.endpoints[std::string(service->signing_name)] = endpoint_;
  }
  return options;
}

Result<std::string> FaultProxy::Control(const std::string& method, const std::string& path,
                                        const std::string& body) {
  CurlTransport transport;
  auto answer = transport.Send({.method = method,
                                .url = control_ + path,
                                .headers = {{"Content-Type", "text/plain"}},
                                .body = body,
                                .timeout = std::chrono::milliseconds(10'000)});
  if (!answer) return std::unexpected(answer.error().WithContext("fault proxy"));
  if (answer->status != 200) {
    return MakeError(answer->status == 400 ? ErrorCode::kInvalidArgument : ErrorCode::kInternal,
                     "fault proxy: " + answer->body);
  }
  return answer->body;
}

Status FaultProxy::AddFault(const std::string& spec) {
  auto answer = Control("POST", "/faults", spec);
  if (!answer) return std::unexpected(answer.error());
  return {};
}

Status FaultProxy::Reset() {
  if (auto answer = Control("DELETE", "/faults", ""); !answer) return std::unexpected(answer.error());
  if (auto answer = Control("DELETE", "/log", ""); !answer) return std::unexpected(answer.error());
  return {};
}

Result<std::vector<ProxiedRequest>> FaultProxy::Log(const std::string& operation) {
  auto answer = Control("GET", "/log", "");
  if (!answer) return std::unexpected(answer.error());
  const auto json = nlohmann::json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) return MakeError(ErrorCode::kInternal, "fault proxy: unreadable log");
  std::vector<ProxiedRequest> requests;
  for (const auto& entry : json) {
    if (!operation.empty() && entry.value("operation", "") != operation) continue;
    requests.push_back({.service = entry.value("service", ""),
                        .operation = entry.value("operation", ""),
                        .fault = entry["fault"].is_string() ? entry["fault"].get<std::string>() : "",
                        .status = entry["status"].is_number() ? entry["status"].get<int>() : 0,
                        .request_id = entry.value("request_id", ""),
                        .client_token = entry.value("client_token", "")});
  }
  return requests;
}

}  // namespace maskfleet::aws::testing
