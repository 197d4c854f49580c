// The AWS mode, put together: the one place that names its implementations.
//
//   AWS client    aws::Client: the region of [aws] region or the credential chain's, the
//                 standard credential chain (environment, profile, instance role),
//                 endpoints from AWS_ENDPOINT_URL* or AWS's
//   database      storage::Database at [database] url (RDS: PostgreSQL or MySQL), the
//                 password from the secret [aws] database_secret_arn (Secrets Manager,
//                 GetSecretValue), else from [database] password (MASKFLEET_DATABASE_PASSWORD)
//   objects       objectstore::S3ObjectStore: [aws] bucket, under [aws] prefix
//   mail          as in every mode: an outbox folder or SMTP (Amazon SES's SMTP endpoint)
//   requests      the worker's counts go to CloudWatch (CloudWatchRequestCountPublisher,
//                 dimension InstanceId: [aws] instance_id, else the instance metadata's)
//   pool          pool::ec2::Ec2WorkerPool: instances tagged maskfleet:pool=[aws] pool_name,
//                 from [aws] launch_template (whose user data configures the worker) or
//                 [aws] image_id + instance_type (user data: this manager's configuration
//                 file, written to /etc/maskfleet/worker.toml), at most [aws] max_instances
//   balancer      lb::elbv2::Elbv2LoadBalancer: the target group [aws] target_group_arn;
//                 nothing to start or supervise (the ALB is a service); people's entry is
//                 [manager] lb_public_url
//   metrics       metrics::cloudwatch::CloudWatchMetricsSource: EC2's CPUUtilization,
//                 the workers' request counts and the ALB's (AWS/ApplicationELB, the load
//                 balancer [aws] load_balancer_arn, else the one that forwards to the
//                 target group), kept in the database
//
// Draining: the ALB cannot say how many requests a target still serves, so a drained
// worker is kept for the target group's deregistration delay ([aws]
// deregistration_delay_seconds) and then terminated.
//
// One test hook, for running the whole mode on one machine against an AWS emulator,
// whose instances run nothing: MASKFLEET_AWS_TEST_WORKER_ADDRESSES names a file of lines
// "INSTANCE_ID HOST:PORT"; when set, a starting instance is in service once the worker
// at that address answers /healthz, instead of the instance's private address. The file
// is read again at every check. Nothing else changes.
#include "maskfleet/modes/aws/aws_mode.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "maskfleet/aws/client.h"
#include "maskfleet/aws/credentials.h"
#include "maskfleet/aws/http.h"
#include "maskfleet/aws/service.h"
#include "maskfleet/aws/sigv4.h"
#include "maskfleet/config/config_source.h"
#include "maskfleet/lb/elbv2/elbv2_load_balancer.h"
#include "maskfleet/metrics/cloudwatch/cloudwatch_metrics_source.h"
#include "maskfleet/metrics/cloudwatch/cloudwatch_request_count_publisher.h"
#include "maskfleet/metrics/metric_store.h"
#include "maskfleet/modes/shared_parts.h"
#include "maskfleet/objectstore/s3/s3_object_store.h"
#include "maskfleet/pool/ec2/ec2_worker_pool.h"

namespace maskfleet::modes::aws {
namespace awsapi = ::maskfleet::aws;
namespace {

constexpr char kTestAddressesVariable[] = "MASKFLEET_AWS_TEST_WORKER_ADDRESSES";

std::unexpected<Error> Missing(const std::string& key, const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "deployment.mode is aws but aws." + key + " is not set (" + what + "; docs/aws.md)");
}

// The client every part shares, and its transport (the worker's instance metadata and
// the test hook's health checks use it too).
struct AwsAccess {
  std::shared_ptr<awsapi::Client> client;
  std::shared_ptr<awsapi::HttpTransport> transport;
};

Result<AwsAccess> Connect(const config::AwsSettings& settings, Clock& clock) {
  const awsapi::Environment env = awsapi::ProcessEnvironment();
  auto transport = std::make_shared<awsapi::CurlTransport>();
  Result<std::unique_ptr<awsapi::DefaultCredentialsChain>> chain = awsapi::DefaultCredentialsChain::Create(
      env, *transport, clock);
  if (!chain) return std::unexpected(chain.error().WithContext("AWS credentials"));
  std::string region = settings.region;
  if (region.empty()) {
    Result<std::string> found = (*chain)->Region();
    if (!found) return std::unexpected(found.error().WithContext("aws.region is not set, and"));
    region = *found;
  }
  awsapi::ClientOptions options;
  options.region = region;
  options.profile_endpoint = (*chain)->ProfileEndpoint();
  options.credentials = std::shared_ptr<awsapi::CredentialsProvider>(std::move(*chain));
  options.transport = transport;
  options.env = env;
  return AwsAccess{std::make_shared<awsapi::Client>(std::move(options)), transport};
}

// The database URL with the password from the secret or the settings.
Result<std::string> ResolveDatabaseUrl(const config::SharedConfig& c, awsapi::Client& client) {
  if (!c.aws.database_secret_arn.empty()) {
    auto answer = client.Json(awsapi::kSecretsManager, "secretsmanager", "GetSecretValue",
                              {{"SecretId", c.aws.database_secret_arn}}, awsapi::Idempotency::kIdempotent);
    if (!answer) {
      return std::unexpected(
          awsapi::ToError(answer.error()).WithContext("database secret " + c.aws.database_secret_arn));
    }
    if (!answer->contains("SecretString") || !(*answer)["SecretString"].is_string()) {
      return MakeError(ErrorCode::kInvalidArgument, "database secret " + c.aws.database_secret_arn +
                                                        ": no SecretString (a binary secret?)");
    }
    Result<DatabaseCredentials> credentials = ParseDatabaseSecret(
        (*answer)["SecretString"].get<std::string>());
    if (!credentials) {
      return std::unexpected(credentials.error().WithContext("database secret " + c.aws.database_secret_arn));
    }
    return DatabaseUrlWithCredentials(c.database_url, *credentials);
  }
  if (!c.database_password.empty())
    return DatabaseUrlWithCredentials(c.database_url, {"", c.database_password});
  return c.database_url;
}

Result<std::unique_ptr<storage::Database>> OpenAwsDatabase(const config::SharedConfig& c,
                                                           awsapi::Client& client, Clock& clock) {
  Result<std::string> url = ResolveDatabaseUrl(c, client);
  if (!url) return std::unexpected(url.error().WithContext("database"));
  config::SharedConfig with_password = c;
  with_password.database_url = *url;
  return OpenDatabase(with_password, clock);
}

Result<std::unique_ptr<objectstore::ObjectStore>> OpenBucket(const config::AwsSettings& a,
                                                             std::shared_ptr<awsapi::Client> client) {
  if (a.bucket.empty()) return Missing("bucket", "the photos' S3 bucket");
  objectstore::S3ObjectStoreOptions options;
  options.bucket = a.bucket;
  options.key_prefix = a.prefix;
  Result<std::unique_ptr<objectstore::S3ObjectStore>> store = objectstore::S3ObjectStore::Open(client,
                                                                                               options);
  if (!store) return std::unexpected(store.error().WithContext("object store"));
  return std::unique_ptr<objectstore::ObjectStore>(std::move(*store));
}

// The worker's own instance id: configured, else asked from the instance metadata.
Result<std::string> InstanceId(const config::AwsSettings& a, awsapi::HttpTransport& transport, Clock& clock) {
  if (!a.instance_id.empty()) return a.instance_id;
  awsapi::InstanceRoleCredentialsProvider::Options options;
  if (auto endpoint = awsapi::ProcessEnvironment()("AWS_EC2_METADATA_SERVICE_ENDPOINT"))
    options.endpoint = *endpoint;
  while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
  awsapi::InstanceRoleCredentialsProvider metadata(options, transport, clock);
  Result<std::string> id = metadata.Metadata("instance-id");
  if (!id)
    return std::unexpected(id.error().WithContext("aws.instance_id is not set, and the instance metadata"));
  return id;
}

// MASKFLEET_AWS_TEST_WORKER_ADDRESSES (see the top): the address of `instance_id`.
std::optional<std::pair<std::string, std::uint16_t>> TestAddress(const std::string& file,
                                                                 const std::string& instance_id) {
  std::ifstream in(file);
  std::string id, address;
  while (in >> id >> address) {
    if (id != instance_id) continue;
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    return std::make_pair(address.substr(0, colon),
                          static_cast<std::uint16_t>(std::strtoul(address.c_str() + colon + 1, nullptr, 10)));
  }
  return std::nullopt;
}

bool AnswersHealthz(awsapi::HttpTransport& transport, const std::string& host, std::uint16_t port) {
  auto answer = transport.Send({.method = "GET",
                                .url = "http://" + host + ":" + std::to_string(port) + "/healthz",
                                .timeout = std::chrono::milliseconds(2000),
                                .connect_timeout = std::chrono::milliseconds(1000)});
  return answer && answer->status == 200;
}

// The configuration file as the workers' user data, refused when it holds a secret:
// anyone who may describe the instance reads user data.
Result<std::string> UserDataFromConfigFile(const std::filesystem::path& file) {
  if (file.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "aws.image_id without aws.launch_template: the manager needs a configuration file "
                     "(--config) to hand its workers");
  }
  Result<config::ConfigSource> source = config::ConfigSource::FromFile(file,
                                                                       [](const char*) { return nullptr; });
  if (!source) return std::unexpected(source.error());
  for (const auto& [section, key] : {std::pair{"database", "password"}, std::pair{"admin", "password"},
                                     std::pair{"mail", "smtp_password"}}) {
    Result<std::string> value = source->String(section, key, "");
    if (value && !value->empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       file.string() + " holds " + section + "." + key +
                           ", and it would go into the workers' user data, which anyone who may describe "
                           "an instance reads: give it in the environment or in Secrets Manager instead");
    }
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return WorkerUserData(text.str());
}

// The ALB is a service: nothing to start, supervise or stop.
class ServiceBalancerHost : public manager::BalancerHost {
 public:
  Status Start() override { return {}; }
  Result<bool> Supervise() override { return false; }
  Status Stop() override { return {}; }
};

}  // namespace

Result<DatabaseCredentials> ParseDatabaseSecret(std::string_view secret_string) {
  const std::string_view trimmed = secret_string.substr(
      std::min(secret_string.find_first_not_of(" \t\r\n"), secret_string.size()));
  if (!trimmed.starts_with("{")) return DatabaseCredentials{"", std::string(secret_string)};
  const nlohmann::json document = nlohmann::json::parse(secret_string, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("password") || !document["password"].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument, "the secret is JSON without a \"password\" string");
  }
  DatabaseCredentials credentials;
  credentials.password = document["password"].get<std::string>();
  if (document.contains("username") && document["username"].is_string()) {
    credentials.username = document["username"].get<std::string>();
  }
  return credentials;
}

Result<std::string> DatabaseUrlWithCredentials(std::string_view url, const DatabaseCredentials& credentials) {
  if (url.starts_with("sqlite:")) return std::string(url);
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "database.url is not scheme://host/database");
  }
  const std::size_t authority = scheme_end + 3;
  const std::size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  const std::string_view host_part = url.substr(authority, authority_end - authority);
  const std::size_t at = host_part.rfind('@');
  const std::string_view host = at == std::string_view::npos ? host_part : host_part.substr(at + 1);
  // The URL's user stays as written (already encoded) unless the secret names one.
  std::string user = awsapi::UriEncode(credentials.username, /*keep_slash=*/false);
  if (user.empty() && at != std::string_view::npos) {
    const std::string_view userinfo = host_part.substr(0, at);
    user = std::string(userinfo.substr(0, userinfo.find(':')));
  }
  if (host.empty()) return MakeError(ErrorCode::kInvalidArgument, "database.url has no host");
  std::string out(url.substr(0, authority));
  out += user;
  out += ":" + awsapi::UriEncode(credentials.password, /*keep_slash=*/false) + "@";
  out += host;
  out += url.substr(authority_end);
  return out;
}

std::string WorkerUserData(std::string_view config_text) {
  std::string out =
      "#cloud-config\n"
      "write_files:\n"
      "  - path: /etc/maskfleet/worker.toml\n"
      "    permissions: \"0644\"\n"
      "    content: |\n";
  std::size_t start = 0;
  while (start < config_text.size()) {
    std::size_t end = config_text.find('\n', start);
    if (end == std::string_view::npos) end = config_text.size();
    out += "      ";
    out += config_text.substr(start, end - start);
    out += "\n";
    start = end + 1;
  }
  return out;
}

Result<worker::WorkerBackends> MakeWorkerBackends(const worker::WorkerConfig& config, Clock& clock) {
  worker::WorkerConfig c = config;
  c.FillDefaults();
  if (Status made = MakeDataDir(c.data_dir); !made) return std::unexpected(made.error());
  Result<AwsAccess> access = Connect(c.aws, clock);
  if (!access) return std::unexpected(access.error());
  worker::WorkerBackends b;
  Result<std::unique_ptr<storage::Database>> database = OpenAwsDatabase(c, *access->client, clock);
  if (!database) return std::unexpected(database.error());
  b.database = std::move(*database);
  Result<std::unique_ptr<objectstore::ObjectStore>> objects = OpenBucket(c.aws, access->client);
  if (!objects) return std::unexpected(objects.error());
  b.objects = std::move(*objects);
  Result<std::unique_ptr<mail::Mailer>> mailer = MakeMailer(c);
  if (!mailer) return std::unexpected(mailer.error());
  b.mailer = std::move(*mailer);
  Result<std::string> instance_id = InstanceId(c.aws, *access->transport, clock);
  if (!instance_id) return std::unexpected(instance_id.error().WithContext("request counts"));
  metrics::cloudwatch::CloudWatchRequestCountPublisherOptions publisher;
  publisher.instance_id = *instance_id;
  publisher.metric_namespace = c.aws.metric_namespace;
  b.request_counts = std::make_unique<metrics::cloudwatch::CloudWatchRequestCountPublisher>(
      access->client, std::move(publisher));
  return b;
}

Result<CountingBalancer> ChooseCountingBalancer(const std::string& configured,
                                                const std::vector<std::string>& forwarding) {
  if (!configured.empty()) {
    if (Result<std::string> dimension = metrics::cloudwatch::LoadBalancerDimension(configured); !dimension) {
      return std::unexpected(dimension.error().WithContext("aws.load_balancer_arn"));
    }
    if (!forwarding.empty() &&
        std::find(forwarding.begin(), forwarding.end(), configured) == forwarding.end()) {
      std::string listed;
      for (const std::string& arn : forwarding) listed += (listed.empty() ? "" : ", ") + arn;
      return MakeError(ErrorCode::kInvalidArgument, "aws.load_balancer_arn: " + configured +
                                                        " does not forward to aws.target_group_arn; " +
                                                        "these do: " + listed);
    }
    return CountingBalancer{configured, ""};
  }
  if (forwarding.size() == 1) return CountingBalancer{forwarding[0], ""};
  if (forwarding.empty()) {
    return CountingBalancer{"", "no load balancer forwards to the target group yet"};
  }
  return CountingBalancer{"", std::to_string(forwarding.size()) +
                                  " load balancers forward to the target group; set aws.load_balancer_arn "
                                  "to the one whose requests count"};
}

Result<manager::ManagerBackends> MakeManagerBackends(const manager::ManagerConfig& config,
                                                     const std::filesystem::path& /*binary*/, Clock& clock) {
  const config::SharedConfig& shared = config.shared;
  const config::AwsSettings& a = shared.aws;
  if (a.target_group_arn.empty()) return Missing("target_group_arn", "where workers are registered");
  if (a.launch_template.empty() && (a.image_id.empty() || a.instance_type.empty())) {
    return Missing("launch_template",
                   "or aws.image_id and aws.instance_type: what workers are launched from");
  }
  if (config.lb_public_url.empty()) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        "deployment.mode is aws but manager.lb_public_url is not set (the load balancer's address, "
        "the entry people use; docs/aws.md)");
  }
  std::string user_data;
  if (a.launch_template.empty()) {
    Result<std::string> made = UserDataFromConfigFile(config.config_file);
    if (!made) return std::unexpected(made.error().WithContext("worker pool"));
    user_data = std::move(*made);
  }
  Result<AwsAccess> access = Connect(a, clock);
  if (!access) return std::unexpected(access.error());

  manager::ManagerBackends b;
  Result<std::unique_ptr<storage::Database>> database = OpenAwsDatabase(shared, *access->client, clock);
  if (!database) return std::unexpected(database.error());
  b.database = std::move(*database);
  auto metric_store = std::make_shared<metrics::MetricStore>(*b.database);
  b.keep_alive = metric_store;
  Result<std::unique_ptr<objectstore::ObjectStore>> objects = OpenBucket(a, access->client);
  if (!objects) return std::unexpected(objects.error());
  b.objects = std::move(*objects);
  Result<std::unique_ptr<mail::Mailer>> mailer = MakeMailer(shared);
  if (!mailer) return std::unexpected(mailer.error());
  b.mailer = std::move(*mailer);

  lb::elbv2::Elbv2LoadBalancerOptions balancer;
  balancer.target_group_arn = a.target_group_arn;
  balancer.entry_url = config.lb_public_url;
  Result<std::unique_ptr<lb::elbv2::Elbv2LoadBalancer>> alb = lb::elbv2::Elbv2LoadBalancer::Open(
      access->client, balancer);
  if (!alb) return std::unexpected(alb.error().WithContext("load balancer"));
  Result<CountingBalancer> counting = ChooseCountingBalancer(a.load_balancer_arn,
                                                             (*alb)->load_balancer_arns());
  if (!counting) return std::unexpected(counting.error());
  b.facts.balancer_kind = "application load balancer";
  b.facts.entry_url = (*alb)->EntryUrl();
  b.balancer = std::move(*alb);
  b.balancer_host = std::make_unique<ServiceBalancerHost>();
  b.drain_timeout = std::chrono::seconds(a.deregistration_delay_seconds);

  pool::ec2::Ec2PoolOptions pool;
  pool.pool_name = a.pool_name;
  pool.launch_template_id = a.launch_template;
  pool.image_id = a.image_id;
  pool.instance_type = a.instance_type;
  pool.subnet_ids = a.subnets;
  if (!a.security_group.empty()) pool.security_group_ids = {a.security_group};
  pool.instance_profile = a.instance_profile;
  pool.user_data = std::move(user_data);
  pool.worker_port = static_cast<std::uint16_t>(config.worker_port);
  pool.max_workers = a.max_instances;
  // The controller has already waited the deregistration delay when it drains here.
  pool.drain_grace = std::chrono::seconds(0);
  if (auto file = awsapi::ProcessEnvironment()(kTestAddressesVariable)) {
    spdlog::warn("{} is set: instances are health-checked at the addresses in {}", kTestAddressesVariable,
                 *file);
    pool.health_check = [file = *file, transport = access->transport](const std::string& id,
                                                                      const std::string&, std::uint16_t) {
      const auto address = TestAddress(file, id);
      return address && AnswersHealthz(*transport, address->first, address->second);
    };
  }
  Result<std::unique_ptr<pool::ec2::Ec2WorkerPool>> made = pool::ec2::Ec2WorkerPool::Create(access->client,
                                                                                            pool, clock);
  if (!made) return std::unexpected(made.error().WithContext("worker pool"));
  const std::size_t adopted = (*made)->List().size();
  if (adopted > 0) spdlog::info("{} instances of the pool '{}' adopted", adopted, a.pool_name);
  b.pool = std::move(*made);
  b.facts.cpu_limit = a.instance_type.empty() ? "the launch template's instance type"
                                              : "instance type " + a.instance_type;
  b.facts.cpu_limit_note = "each worker is an EC2 instance; CPU is CloudWatch's CPUUtilization";

  metrics::cloudwatch::CloudWatchMetricsSourceOptions metrics;
  metrics.request_namespace = a.metric_namespace;
  metrics.publication_delay = std::chrono::seconds(a.metrics_delay_seconds);
  // An auto-scaler asked for CPU samples shorter than a minute (tests) reads CloudWatch
  // at that resolution: only high-resolution CPU data has it.
  if (config.scaler_sample_seconds < 60 && 60 % config.scaler_sample_seconds == 0) {
    metrics.resolution = std::chrono::seconds(config.scaler_sample_seconds);
  }
  if (!counting->arn.empty()) {
    // A balancer or target group whose ARN has another form (a network load balancer's)
    // leaves the counts off, said once.
    Result<std::string> load_balancer = metrics::cloudwatch::LoadBalancerDimension(counting->arn);
    Result<std::string> target_group = metrics::cloudwatch::TargetGroupDimension(a.target_group_arn);
    if (load_balancer && target_group) {
      metrics.load_balancer = *load_balancer;
      metrics.target_group = *target_group;
      spdlog::info("the auto-scaler reads the request counts of {} from CloudWatch", counting->arn);
    } else {
      spdlog::warn("the auto-scaler reads no request counts of the load balancer: {}",
                   (load_balancer ? target_group.error() : load_balancer.error()).message);
    }
  } else {
    spdlog::warn("the auto-scaler reads no request counts of the load balancer: {}", counting->note);
  }
  b.metrics = std::make_unique<metrics::cloudwatch::CloudWatchMetricsSource>(*metric_store, access->client,
                                                                             metrics);
  return b;
}

}  // namespace maskfleet::modes::aws
