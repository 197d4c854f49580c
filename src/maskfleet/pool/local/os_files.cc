#include "maskfleet/pool/local/os_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace maskfleet::pool::local {

Error OsError(std::string_view what, int err) {
  return Error{ErrorCode::kUnavailable, std::string(what) + ": " + std::strerror(err)};
}

Result<std::string> ReadTextFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    Error e = OsError("cannot open " + path.string(), err);
    if (err == ENOENT) e.code = ErrorCode::kNotFound;
    return std::unexpected(std::move(e));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      Error e = OsError("cannot read " + path.string(), err);
      // A /proc file of a process that has just exited reads as ESRCH.
      if (err == ESRCH) e.code = ErrorCode::kNotFound;
      return std::unexpected(std::move(e));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

Status WriteControlFile(const std::filesystem::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(OsError("cannot open " + path.string(), errno));
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    return std::unexpected(OsError("cannot write '" + std::string(text) + "' to " + path.string(), err));
  }
  return {};
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected(OsError("cannot create " + temp.string(), errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return std::unexpected(OsError("cannot write " + temp.string(), err));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return std::unexpected(OsError("cannot rename " + temp.string() + " to " + path.string(), err));
  }
  return {};
}

}  // namespace maskfleet::pool::local
