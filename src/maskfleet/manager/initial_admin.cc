#include "maskfleet/manager/initial_admin.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "maskfleet/auth/token.h"

namespace maskfleet::manager {
namespace {

constexpr char kMustChangeSetting[] = "initial_admin_must_change";

// Writes `text` to a new file of mode 600 (replacing an old one).
Status WriteOwnerOnly(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorCode::kUnavailable, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = ::close(fd) == 0;
  if (!ok || !closed) {
    std::filesystem::remove(path, ec);
    return MakeError(ErrorCode::kUnavailable, "cannot write " + path.string());
  }
  return {};
}

}  // namespace

InitialAdmin::InitialAdmin(accounts::UserStore& users, SettingsStore& settings,
                           accounts::AccountService& accounts, std::filesystem::path password_file)
    : users_(users), settings_(settings), accounts_(accounts), password_file_(std::move(password_file)) {}

Result<std::optional<std::string>> InitialAdmin::EnsureExists() {
  Result<std::optional<std::string>> mark = settings_.Get(kMustChangeSetting);
  if (!mark) return std::unexpected(mark.error());
  if (*mark) {
    std::int64_t id = 0;
    std::from_chars((*mark)->data(), (*mark)->data() + (*mark)->size(), id);
    pending_ = id;
  }

  Result<std::int64_t> admins = users_.CountAdmins();
  if (!admins) return std::unexpected(admins.error());
  if (*admins > 0) return std::optional<std::string>();

  // A long random token: 256 bits, URL-safe characters, nothing to escape in a shell.
  const std::string password = auth::NewToken();
  Result<accounts::User> admin = accounts_.CreateUser(kInitialAdminName, password, std::nullopt, true);
  if (!admin) return std::unexpected(admin.error().WithContext("initial administrator"));
  if (Status written = WriteOwnerOnly(password_file_, password + "\n"); !written) {
    (void)users_.Delete(admin->id);
    return std::unexpected(written.error());
  }
  if (Status s = settings_.Set(kMustChangeSetting, std::to_string(admin->id)); !s) {
    (void)users_.Delete(admin->id);
    std::error_code ec;
    std::filesystem::remove(password_file_, ec);
    return std::unexpected(s.error());
  }
  pending_ = admin->id;
  return std::optional<std::string>(password);
}

Status InitialAdmin::PasswordChanged(std::int64_t user_id) {
  if (pending_ == 0 || pending_ != user_id) return {};
  if (Status s = settings_.Erase(kMustChangeSetting); !s) return s;
  pending_ = 0;
  std::error_code ec;
  std::filesystem::remove(password_file_, ec);
  return {};
}

}  // namespace maskfleet::manager
