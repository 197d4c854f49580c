#include "maskfleet/worker/worker_config.h"

#include <optional>
#include <type_traits>

namespace maskfleet::worker {

Result<WorkerConfig> WorkerConfig::Load(config::ConfigSource& source) {
  Result<WorkerConfig> c = Read(source);
  if (!c) return c;
  source.IgnoreSection("manager");
  if (Status s = source.RejectUnknownKeys(); !s) return std::unexpected(s.error());
  return c;
}

Result<WorkerConfig> WorkerConfig::Read(config::ConfigSource& source) {
  WorkerConfig c;
  // Reads every setting, keeping the first error: a field stays at its default
  // when its setting is absent.
  std::optional<Error> first_error;
  const auto take = [&first_error](auto& field, auto result) {
    if (!result) {
      if (!first_error) first_error = result.error();
      return;
    }
    field = static_cast<std::remove_reference_t<decltype(field)>>(*result);
  };
  take(c.name, source.String("worker", "name", c.name));
  take(c.host, source.String("worker", "host", c.host));
  take(c.port, source.Int("worker", "port", c.port, 0, 65535));
  take(c.http_threads, source.Int("worker", "http_threads", c.http_threads, 2, 512));
  take(c.detection_threads, source.Int("worker", "detection_threads", c.detection_threads, 1, 64));
  take(c.detection_queue, source.Int("worker", "detection_queue", c.detection_queue, 0, 4096));
  take(c.opencv_threads, source.Int("worker", "opencv_threads", c.opencv_threads, 1, 64));
  take(c.register_enabled, source.Bool("worker", "register_enabled", c.register_enabled));
  take(c.public_url, source.String("worker", "public_url", c.public_url));
  take(c.secure_cookies, source.Bool("worker", "secure_cookies", c.secure_cookies));
  take(c.trust_forwarded_for, source.Bool("worker", "trust_forwarded_for", c.trust_forwarded_for));
  take(c.data_dir, source.String("worker", "data_dir", c.data_dir.string()));
  take(c.web_dir, source.String("worker", "web_dir", ""));
  take(c.max_upload_bytes, source.Int("worker", "max_upload_bytes", c.max_upload_bytes, 1024,
                 std::int64_t{1} << 30));
  take(c.max_pixels, source.Int("worker", "max_pixels", c.max_pixels, 10'000, 1'000'000'000));
  take(c.allow_private_urls, source.Bool("worker", "allow_private_urls", c.allow_private_urls));
  take(c.session_days, source.Int("worker", "session_days", c.session_days, 1, 365));
  take(c.database_url, source.String("database", "url", ""));
  take(c.database_pool, source.Int("database", "pool_size", c.database_pool, 1, 256));
  take(c.objects_root, source.String("objects", "root", ""));
  take(c.mail_kind, source.String("mail", "kind", c.mail_kind));
  take(c.outbox_dir, source.String("mail", "outbox_dir", ""));
  take(c.mail_from_address, source.String("mail", "from_address", c.mail_from_address));
  take(c.mail_from_name, source.String("mail", "from_name", c.mail_from_name));
  take(c.smtp_url, source.String("mail", "smtp_url", ""));
  take(c.smtp_username, source.String("mail", "smtp_username", ""));
  take(c.smtp_password, source.String("mail", "smtp_password", ""));
  take(c.smtp_starttls, source.Bool("mail", "smtp_starttls", c.smtp_starttls));
  take(c.model_dir, source.String("model", "dir", ""));
  take(c.password_hashing, source.String("auth", "password_hashing", c.password_hashing));
  take(c.password_min_length, source.Int("auth", "password_min_length", c.password_min_length, 1, 256));
  take(c.admin_username, source.String("admin", "username", ""));
  take(c.admin_password, source.String("admin", "password", ""));

  if (first_error) return std::unexpected(*first_error);
  if (c.mail_kind != "outbox" && c.mail_kind != "smtp") {
    return MakeError(ErrorCode::kInvalidArgument, "mail.kind must be outbox or smtp, not '" + c.mail_kind + "'");
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

void WorkerConfig::FillDefaults() {
  if (public_url.empty()) public_url = "http://" + host + ":" + std::to_string(port);
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

}  // namespace maskfleet::worker
