// The AWS mode: workers are EC2 instances behind an Application Load Balancer. See
// aws_mode.cc, the one file where it is put together, and docs/aws.md ("The AWS mode").
#ifndef MASKFLEET_MODES_AWS_AWS_MODE_H_
#define MASKFLEET_MODES_AWS_AWS_MODE_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/manager/manager_backends.h"
#include "maskfleet/manager/manager_config.h"
#include "maskfleet/worker/worker_backends.h"
#include "maskfleet/worker/worker_config.h"

namespace maskfleet::modes::aws {

// As modes::MakeWorkerBackends (backends.h), for the AWS mode.
Result<worker::WorkerBackends> MakeWorkerBackends(const worker::WorkerConfig& config, Clock& clock);

// As modes::MakeManagerBackends (backends.h), for the AWS mode. `binary` is unused:
// the workers run on their own instances.
Result<manager::ManagerBackends> MakeManagerBackends(const manager::ManagerConfig& config,
                                                     const std::filesystem::path& binary, Clock& clock);

// The database password and user name a secret holds: the JSON document RDS and
// CloudFormation write ({"username": ..., "password": ..., "host": ...}), or the
// password alone as plain text. Errors: kInvalidArgument (JSON without a "password"
// string).
struct DatabaseCredentials {
  std::string username;  // empty when the secret has none
  std::string password;
};
Result<DatabaseCredentials> ParseDatabaseSecret(std::string_view secret_string);

// `url` with the user info set to `username` (kept from the URL when empty) and
// `password`, both percent-encoded. A sqlite: URL is returned as it is. Errors:
// kInvalidArgument (not scheme://host... for a server database).
Result<std::string> DatabaseUrlWithCredentials(std::string_view url, const DatabaseCredentials& credentials);

// The load balancer whose request counts the auto-scaler reads (CloudWatch's
// AWS/ApplicationELB): `configured` ([aws] load_balancer_arn) when set, else the one of
// `forwarding` (the load balancers that forward to the target group, as
// DescribeTargetGroups lists them) when there is exactly one.
struct CountingBalancer {
  // Its ARN; empty when there is none to read (no counts then).
  std::string arn;
  // Why there is none, for the log; empty when there is one.
  std::string note;
};
// Errors: kInvalidArgument naming aws.load_balancer_arn: `configured` is not an
// Application Load Balancer's ARN, or is not among `forwarding` (when that is known,
// i.e. not empty).
Result<CountingBalancer> ChooseCountingBalancer(const std::string& configured,
                                                const std::vector<std::string>& forwarding);

// The user data that makes an instance of the maskfleet image a worker: cloud-init
// writing `config_text` to /etc/maskfleet/worker.toml, which the image's path unit
// waits for (deploy/aws/systemd).
std::string WorkerUserData(std::string_view config_text);

}  // namespace maskfleet::modes::aws

#endif  // MASKFLEET_MODES_AWS_AWS_MODE_H_
