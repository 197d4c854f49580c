#include "maskfleet/config/shared_config.h"

#include <optional>
#include <type_traits>

namespace maskfleet::config {

Result<SharedConfig> SharedConfig::Read(ConfigSource& source) {
  SharedConfig c;
  // Reads every setting, keeping the first error: a field stays at its default when
  // its setting is absent.
  SettingsReader reader;
  reader.Take(c.mode, source.String("deployment", "mode", c.mode));
  reader.Take(c.data_dir, source.String("worker", "data_dir", c.data_dir.string()));
  reader.Take(c.web_dir, source.String("worker", "web_dir", ""));
  reader.Take(c.secure_cookies, source.Bool("worker", "secure_cookies", c.secure_cookies));
  reader.Take(c.public_url, source.String("worker", "public_url", c.public_url));
  reader.Take(c.session_days, source.Int("worker", "session_days", c.session_days, 1, 365));
  reader.Take(c.database_url, source.String("database", "url", ""));
  reader.Take(c.database_pool, source.Int("database", "pool_size", c.database_pool, 1, 256));
  reader.Take(c.objects_root, source.String("objects", "root", ""));
  reader.Take(c.mail_kind, source.String("mail", "kind", c.mail_kind));
  reader.Take(c.outbox_dir, source.String("mail", "outbox_dir", ""));
  reader.Take(c.mail_from_address, source.String("mail", "from_address", c.mail_from_address));
  reader.Take(c.mail_from_name, source.String("mail", "from_name", c.mail_from_name));
  reader.Take(c.smtp_url, source.String("mail", "smtp_url", ""));
  reader.Take(c.smtp_username, source.String("mail", "smtp_username", ""));
  reader.Take(c.smtp_password, source.String("mail", "smtp_password", ""));
  reader.Take(c.smtp_starttls, source.Bool("mail", "smtp_starttls", c.smtp_starttls));
  reader.Take(c.password_hashing, source.String("auth", "password_hashing", c.password_hashing));
  reader.Take(c.password_min_length,
              source.Int("auth", "password_min_length", c.password_min_length, 1, 256));
  reader.Take(c.hash_concurrency, source.Int("auth", "hash_concurrency", c.hash_concurrency, 1, 64));
  reader.Take(c.hash_queue, source.Int("auth", "hash_queue", c.hash_queue, 0, 1024));
  reader.Take(c.admin_username, source.String("admin", "username", ""));
  reader.Take(c.admin_password, source.String("admin", "password", ""));
  reader.Take(c.database_password, source.String("database", "password", ""));
  AwsSettings& a = c.aws;
  reader.Take(a.region, source.String("aws", "region", a.region));
  reader.Take(a.launch_template, source.String("aws", "launch_template", a.launch_template));
  reader.Take(a.image_id, source.String("aws", "image_id", a.image_id));
  reader.Take(a.instance_type, source.String("aws", "instance_type", a.instance_type));
  reader.Take(a.subnets, source.StringList("aws", "subnets", a.subnets));
  reader.Take(a.security_group, source.String("aws", "security_group", a.security_group));
  reader.Take(a.instance_profile, source.String("aws", "instance_profile", a.instance_profile));
  reader.Take(a.target_group_arn, source.String("aws", "target_group_arn", a.target_group_arn));
  reader.Take(a.load_balancer_arn, source.String("aws", "load_balancer_arn", a.load_balancer_arn));
  reader.Take(a.bucket, source.String("aws", "bucket", a.bucket));
  reader.Take(a.prefix, source.String("aws", "prefix", a.prefix));
  reader.Take(a.metric_namespace, source.String("aws", "metric_namespace", a.metric_namespace));
  reader.Take(a.pool_name, source.String("aws", "pool_name", a.pool_name));
  reader.Take(a.max_instances, source.Int("aws", "max_instances", a.max_instances, 1, 100));
  reader.Take(a.database_secret_arn, source.String("aws", "database_secret_arn", a.database_secret_arn));
  reader.Take(a.instance_id, source.String("aws", "instance_id", a.instance_id));
  reader.Take(a.deregistration_delay_seconds,
              source.Int("aws", "deregistration_delay_seconds", a.deregistration_delay_seconds, 0, 3600));
  reader.Take(a.metrics_delay_seconds,
              source.Int("aws", "metrics_delay_seconds", a.metrics_delay_seconds, 0, 3600));

  if (Status read = reader.status(); !read) return std::unexpected(read.error());
  bool known_mode = false;
  for (const char* mode : kModes) known_mode = known_mode || c.mode == mode;
  if (!known_mode) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "deployment.mode must be local or aws, not '" + c.mode + "'");
  }
  if (c.mail_kind != "outbox" && c.mail_kind != "smtp") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "mail.kind must be outbox or smtp, not '" + c.mail_kind + "'");
  }
  if (c.mail_kind == "smtp" && c.smtp_url.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "mail.kind is smtp but mail.smtp_url is not set");
  }
  if (c.password_hashing != "interactive" && c.password_hashing != "moderate" &&
      c.password_hashing != "minimum") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "auth.password_hashing must be interactive, moderate or minimum");
  }
  return c;
}

void SharedConfig::FillDefaults() {
  while (!public_url.empty() && public_url.back() == '/') public_url.pop_back();
  if (database_url.empty()) database_url = "sqlite:" + (data_dir / "maskfleet.db").string();
  if (objects_root.empty()) objects_root = data_dir / "objects";
  if (outbox_dir.empty()) outbox_dir = data_dir / "outbox";
  if (web_dir.empty()) {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    web_dir = ec ? std::filesystem::path("web") : self.parent_path() / "web";
  }
}

}  // namespace maskfleet::config
