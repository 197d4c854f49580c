#include "maskfleet/modes/shared_parts.h"

#include <filesystem>

#include "maskfleet/mail/outbox/outbox_mailer.h"
#include "maskfleet/mail/smtp/smtp_mailer.h"
#include "maskfleet/schema/schema.h"

namespace maskfleet::modes {

Result<std::unique_ptr<storage::Database>> OpenDatabase(const config::SharedConfig& c, Clock& clock) {
  storage::DatabaseOptions options;
  options.url = c.database_url;
  options.migrations = schema::Maskfleet();
  options.pool_size = static_cast<std::size_t>(c.database_pool);
  Result<std::unique_ptr<storage::Database>> database = storage::Database::Open(options, clock);
  if (!database) return std::unexpected(database.error().WithContext("database"));
  return database;
}

Result<std::unique_ptr<mail::Mailer>> MakeMailer(const config::SharedConfig& c) {
  if (c.mail_kind == "smtp") {
    mail::smtp::SmtpOptions smtp;
    smtp.url = c.smtp_url;
    smtp.from_address = c.mail_from_address;
    smtp.from_name = c.mail_from_name;
    smtp.username = c.smtp_username;
    smtp.password = c.smtp_password;
    smtp.require_starttls = c.smtp_starttls;
    Result<std::unique_ptr<mail::smtp::SmtpMailer>> m = mail::smtp::SmtpMailer::Create(smtp);
    if (!m) return std::unexpected(m.error().WithContext("mail"));
    return std::unique_ptr<mail::Mailer>(std::move(*m));
  }
  Result<std::unique_ptr<mail::outbox::OutboxMailer>> m = mail::outbox::OutboxMailer::Create(
      {c.outbox_dir, c.mail_from_address, c.mail_from_name});
  if (!m) return std::unexpected(m.error().WithContext("mail"));
  return std::unique_ptr<mail::Mailer>(std::move(*m));
}

Status MakeDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cannot create data_dir " + dir.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace maskfleet::modes
