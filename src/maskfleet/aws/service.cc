#include "maskfleet/aws/service.h"

#include <cctype>

namespace maskfleet::aws {
namespace {

std::string WithoutTrailingSlash(std::string url) {
  while (url.ends_with('/')) url.pop_back();
  return url;
}

}  // namespace

std::string ResolveEndpoint(const Service& service, std::string_view region, const Environment& env,
                            std::string_view configured, std::string_view profile_endpoint) {
  if (!configured.empty()) return WithoutTrailingSlash(std::string(configured));
  if (!IsTrueSetting(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
    if (auto url = env("AWS_ENDPOINT_URL_" + std::string(service.env_suffix))) {
      return WithoutTrailingSlash(*url);
    }
    if (auto url = env("AWS_ENDPOINT_URL")) return WithoutTrailingSlash(*url);
    if (!profile_endpoint.empty()) return WithoutTrailingSlash(std::string(profile_endpoint));
  }
  return "https://" + std::string(service.endpoint_prefix) + "." + std::string(region) + ".amazonaws.com";
}

}  // namespace maskfleet::aws
