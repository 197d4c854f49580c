// The AWS services maskfleet calls, and where each one's endpoint is.
//
// Endpoint resolution, first match wins:
//   1. the endpoint maskfleet's configuration gives for the service (ClientOptions);
//   2. AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_EC2, _ELASTIC_LOAD_BALANCING_V2,
//      _CLOUDWATCH, _S3, _SECRETS_MANAGER);
//   3. AWS_ENDPOINT_URL;
//   4. the profile's endpoint_url (~/.aws/config);
//   5. AWS's public endpoint for the region, https://PREFIX.REGION.amazonaws.com.
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips 2 to 4, as the AWS SDKs do.
#ifndef MASKFLEET_AWS_SERVICE_H_
#define MASKFLEET_AWS_SERVICE_H_

#include <string>
#include <string_view>

#include "maskfleet/aws/credentials.h"

namespace maskfleet::aws {

struct Service {
  // The name SigV4 signs with, also the key of ClientOptions::endpoints: "ec2",
  // "elasticloadbalancing", "monitoring", "s3", "secretsmanager".
  std::string_view signing_name;
  // Host name prefix of the public endpoint.
  std::string_view endpoint_prefix;
  // Suffix of AWS_ENDPOINT_URL_<SERVICE>.
  std::string_view env_suffix;
  // Version parameter of the Query protocol; empty for the others.
  std::string_view api_version;
};

inline constexpr Service kEc2{"ec2", "ec2", "EC2", "2016-11-15"};
inline constexpr Service kElbv2{"elasticloadbalancing", "elasticloadbalancing", "ELASTIC_LOAD_BALANCING_V2",
                                "2015-12-01"};
inline constexpr Service kCloudWatch{"monitoring", "monitoring", "CLOUDWATCH", "2010-08-01"};
inline constexpr Service kS3{"s3", "s3", "S3", ""};
inline constexpr Service kSecretsManager{"secretsmanager", "secretsmanager", "SECRETS_MANAGER", ""};

// The endpoint (scheme, host, optional port; no trailing slash) by the rules above.
std::string ResolveEndpoint(const Service& service, std::string_view region, const Environment& env,
                            std::string_view configured, std::string_view profile_endpoint);

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_SERVICE_H_
