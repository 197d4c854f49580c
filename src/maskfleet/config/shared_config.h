// The settings the worker and the manager share: where the data is (folder, database,
// objects), how mail goes out, the pages, cookies and accounts, the first
// administrator, and the deployment mode. Both read them from the same file (the
// manager starts its workers with it); each adds settings of its own
// (worker/worker_config.h, manager/manager_config.h).
//
// TOML names are "[section] key" as noted beside each field, with MASKFLEET_SECTION_KEY
// environment overrides; several live in [worker] because the worker had them first
// (files people wrote keep working). See docs/configuration.md.
#ifndef MASKFLEET_CONFIG_SHARED_CONFIG_H_
#define MASKFLEET_CONFIG_SHARED_CONFIG_H_

#include <filesystem>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/config/config_source.h"

namespace maskfleet::config {

// The deployment modes this program can run.
inline constexpr const char* kModes[] = {"local", "aws"};

// [aws]: where the AWS mode's workers, balancer, metrics, photos and database secret
// are (docs/aws.md, "The AWS mode"). Read in every mode, so that one file can name
// both; used only when mode = "aws", whose factory checks that what it needs is set.
struct AwsSettings {
  std::string region;                          // region; default: AWS_REGION, the profile, the instance's
  std::string launch_template;                 // launch_template: id of what workers are launched from
  std::string image_id;                        // image_id: the workers' image (without a template,
  std::string instance_type;                   // instance_type   with instance_type)
  std::vector<std::string> subnets;            // subnets: workers' subnets, used in turn
  std::string security_group;                  // security_group: the workers' group
  std::string instance_profile;                // instance_profile: the workers' role (name or ARN)
  std::string target_group_arn;                // target_group_arn: where workers are registered
  std::string load_balancer_arn;               // load_balancer_arn: the ALB whose request counts
                                               // the auto-scaler reads; default: the one that
                                               // forwards to the target group
  std::string bucket;                          // bucket: the photos' S3 bucket
  std::string prefix = "images/";              // prefix: key prefix of the photos in it
  std::string metric_namespace = "maskfleet";  // metric_namespace: of the request-rate metric
  std::string pool_name = "maskfleet";         // pool_name: the maskfleet:pool tag
  int max_instances = 8;                       // max_instances: hard cap on live workers, 1..100
  std::string database_secret_arn;             // database_secret_arn: the database password's secret
  std::string instance_id;                     // instance_id: a worker's own; default: instance metadata
  int deregistration_delay_seconds = 30;       // deregistration_delay_seconds: the target
                                               // group's; how long a drained worker may serve
  int metrics_delay_seconds = 180;             // metrics_delay_seconds: how late CloudWatch's data
                                               // may still change
};

struct SharedConfig {
  // [deployment]
  std::string mode = "local";  // mode: where workers, balancer, metrics, objects live

  // [worker]
  std::filesystem::path data_dir = "data";  // data_dir
  std::filesystem::path web_dir;            // web_dir; default "web" beside the binary
  bool secure_cookies = false;              // secure_cookies
  std::string public_url;                   // public_url: base of mailed links (the worker fills
                                            // in its own default, worker_config.h)
  int session_days = 7;                     // session_days

  // [database]
  std::string database_url;       // url; default sqlite:<data_dir>/maskfleet.db
  std::string database_password;  // password: put into url's user info when set (AWS
                                  // mode; better: MASKFLEET_DATABASE_PASSWORD)
  int database_pool = 4;          // pool_size

  // [objects]
  std::filesystem::path objects_root;  // root; default <data_dir>/objects

  // [mail]
  std::string mail_kind = "outbox";                       // kind: outbox or smtp
  std::filesystem::path outbox_dir;                       // outbox_dir; default <data_dir>/outbox
  std::string mail_from_address = "maskfleet@localhost";  // from_address
  std::string mail_from_name = "maskfleet";               // from_name
  std::string smtp_url;                                   // smtp_url: smtp://host:587 or smtps://host:465
  std::string smtp_username;                              // smtp_username
  std::string smtp_password;  // smtp_password (better: MASKFLEET_MAIL_SMTP_PASSWORD)
  bool smtp_starttls = true;  // smtp_starttls

  // [auth]
  std::string password_hashing = "interactive";  // password_hashing: interactive, moderate, minimum
  int password_min_length = 8;                   // password_min_length
  int hash_concurrency = 1;                      // hash_concurrency: Argon2id computations at once
  int hash_queue = 2;                            // hash_queue: computations that may wait (2 s at most)

  // [admin]: the first administrator, created at start when there is none.
  std::string admin_username;  // username
  std::string admin_password;  // password (better: MASKFLEET_ADMIN_PASSWORD)

  AwsSettings aws;

  // Reads these settings (and no others: the caller checks for unknown keys).
  // Errors: kInvalidArgument naming the setting (an unknown mode among them).
  static Result<SharedConfig> Read(ConfigSource& source);
  // Derived defaults (database, objects, outbox and web folders), after flags changed
  // fields.
  void FillDefaults();
};

}  // namespace maskfleet::config

#endif  // MASKFLEET_CONFIG_SHARED_CONFIG_H_
