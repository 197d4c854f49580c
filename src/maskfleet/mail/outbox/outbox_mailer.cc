#include "maskfleet/mail/outbox/outbox_mailer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <system_error>

#include "maskfleet/mail/message.h"

namespace maskfleet::mail::outbox {
namespace {

// errno to Error, once, with the file it concerns (after LevelDB's PosixError).
Error FileError(const std::string& what, const std::filesystem::path& path, int error_number) {
  return Error{ErrorCode::kUnavailable, what + " " + path.string() + ": " + std::strerror(error_number)};
}

std::string FileName(Clock::TimePoint now) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(stamp) + "-" + RandomHex128().substr(0, 16) + ".eml";
}

Status WriteAll(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(FileError("writing", path, errno));
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// Writes `data` to `path` so that the file appears complete or not at all.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view data) {
  const std::filesystem::path temp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(FileError("creating", temp, errno));
  Status status = WriteAll(fd, data, temp);
  if (status && fsync(fd) != 0) status = std::unexpected(FileError("flushing", temp, errno));
  if (close(fd) != 0 && status) status = std::unexpected(FileError("closing", temp, errno));
  if (status && rename(temp.c_str(), path.c_str()) != 0) {
    status = std::unexpected(FileError("renaming to", path, errno));
  }
  if (!status) {
    unlink(temp.c_str());
    return status;
  }
  // Make the rename itself durable.
  const int dir = open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<OutboxMailer>> OutboxMailer::Create(OutboxOptions options, const Clock& clock) {
  if (options.directory.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "mail outbox: no directory configured");
  }
  if (Status ok = ValidateMailAddress(options.from_address, "mail outbox sender address"); !ok) {
    return std::unexpected(ok.error());
  }
  std::error_code ec;
  if (!std::filesystem::exists(options.directory, ec)) {
    std::filesystem::create_directories(options.directory, ec);
    if (ec) {
      return MakeError(ErrorCode::kUnavailable,
                       "creating mail outbox " + options.directory.string() + ": " + ec.message());
    }
    std::filesystem::permissions(options.directory, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  if (!std::filesystem::is_directory(options.directory, ec)) {
    return MakeError(ErrorCode::kUnavailable,
                     "mail outbox " + options.directory.string() + " is not a directory");
  }
  return std::unique_ptr<OutboxMailer>(new OutboxMailer(std::move(options), clock));
}

Status OutboxMailer::Send(const Message& message) {
  const Clock::TimePoint now = clock_.Now();
  Result<std::string> text = BuildMessage(message,
                                          Envelope{options_.from_address, options_.from_name, now, ""});
  if (!text) return std::unexpected(text.error());
  const std::string name = FileName(now);
  if (Status ok = WriteFileAtomically(options_.directory / name, *text); !ok) {
    return std::unexpected(ok.error().WithContext("mail outbox"));
  }
  spdlog::info("mail: message to {} written to outbox file {}", message.to, name);
  return {};
}

}  // namespace maskfleet::mail::outbox
