#include "maskfleet/accounts/setup.h"

#include <spdlog/spdlog.h>

namespace maskfleet::accounts {

auth::PasswordHashOptions HashingByName(const std::string& name) {
  if (name == "minimum") return auth::PasswordHashOptions::Minimum();
  if (name == "moderate") return {3, 256u * 1024 * 1024};
  return {};
}

AccountOptions AccountOptionsFrom(const config::SharedConfig& c, bool register_enabled) {
  AccountOptions options;
  options.hashing = HashingByName(c.password_hashing);
  options.password_checks.concurrency = c.hash_concurrency;
  options.password_checks.queue = c.hash_queue;
  options.password_rules.min_bytes = static_cast<std::size_t>(c.password_min_length);
  options.session_ttl = std::chrono::hours(24 * c.session_days);
  options.public_url = c.public_url;
  options.register_enabled = register_enabled;
  return options;
}

Status EnsureFirstAdmin(const config::SharedConfig& c, UserStore& users, AccountService& accounts) {
  if (c.admin_username.empty()) return {};
  Result<std::int64_t> admins = users.CountAdmins();
  if (!admins) return std::unexpected(admins.error());
  if (*admins > 0) return {};
  if (c.admin_password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "admin.username is set but no password (set MASKFLEET_ADMIN_PASSWORD)");
  }
  Result<User> admin = accounts.CreateUser(c.admin_username, c.admin_password, std::nullopt, true);
  if (!admin && admin.error().code != ErrorCode::kAlreadyExists) return std::unexpected(admin.error());
  if (admin) spdlog::info("first administrator '{}' created from the configuration", c.admin_username);
  return {};
}

Status ReportNameClashes(UserStore& users) {
  Result<std::vector<NameClash>> clashes = users.NameClashes();
  if (!clashes) return std::unexpected(clashes.error());
  for (const NameClash& c : *clashes) {
    spdlog::warn(
        "account '{}' (id {}) differs only in case from the older '{}' (id {}): user names are "
        "compared regardless of case, so '{}' logs in by its exact spelling only; rename or delete "
        "one of them (maskfleet user list shows both)",
        c.username, c.id, c.older_username, c.older_id, c.username);
  }
  return {};
}

}  // namespace maskfleet::accounts
