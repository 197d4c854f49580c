#include "maskfleet/objectstore/local/local_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>

#include "maskfleet/objectstore/object_key.h"

namespace maskfleet::objectstore {
namespace {

namespace fs = std::filesystem;

// errno plus what we were doing to which key, as an Error (after LevelDB's PosixError).
Error PosixError(std::string_view context, std::string_view key, int err) {
  ErrorCode code = ErrorCode::kInternal;
  switch (err) {
    case ENOENT:
    case ENOTDIR: code = ErrorCode::kNotFound; break;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
    case EINTR:
    case EAGAIN: code = ErrorCode::kUnavailable; break;
    default: break;
  }
  return Error{code, std::string(context) + " " + std::string(key) + ": " + std::strerror(err)};
}

// Closes a file descriptor whatever happens.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports close's error (which can be a delayed write error).
  int Close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string TempName() {
  static std::atomic<unsigned> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rng() & 0xffffffffu);
}

bool WriteAll(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

int SyncDirectory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(const LocalObjectStoreOptions& options) {
  if (options.root.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "object store: no root folder");
  }
  // One spelling of the root ("/srv/objects", not "objects/" or "/srv/objects/."), so
  // that Delete's walk up the folders recognises it and never removes it.
  LocalObjectStoreOptions normalized = options;
  std::error_code ec;
  normalized.root = fs::absolute(options.root, ec).lexically_normal();
  if (ec) return MakeError(ErrorCode::kInternal, "object store: " + ec.message());
  if (!normalized.root.has_filename()) normalized.root = normalized.root.parent_path();
  fs::create_directories(normalized.root, ec);
  if (ec || !fs::is_directory(normalized.root, ec)) {
    return MakeError(ErrorCode::kInternal, "object store: cannot use folder " + normalized.root.string() +
                                               (ec ? ": " + ec.message() : ": not a folder"));
  }
  return std::unique_ptr<LocalObjectStore>(new LocalObjectStore(std::move(normalized)));
}

Status LocalObjectStore::Put(std::string_view key, std::span<const std::uint8_t> bytes,
                             std::string_view /*content_type*/) {
  if (auto st = ValidateObjectKey(key); !st) return st;
  const fs::path path = options_.root / std::string(key);
  // A concurrent Delete may remove the (then empty) folder between our mkdir and our
  // open; that shows as ENOENT, and trying again recreates it.
  Status st;
  for (int attempt = 0; attempt < 3; ++attempt) {
    st = PutOnce(key, path, bytes);
    if (st || st.error().code != ErrorCode::kNotFound) break;
  }
  if (!st && st.error().code == ErrorCode::kNotFound) st.error().code = ErrorCode::kInternal;
  return st;
}

Status LocalObjectStore::PutOnce(std::string_view key, const fs::path& path,
                                 std::span<const std::uint8_t> bytes) {
  const fs::path dir = path.parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    if (ec == std::errc::not_a_directory || ec == std::errc::file_exists) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "put " + std::string(key) + ": a part of the key is an object");
    }
    return std::unexpected(PosixError("put", key, ec.value()));
  }
  const fs::path temp = dir / TempName();
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (fd.get() < 0) return std::unexpected(PosixError("put", key, errno));
  int err = 0;
  if (!WriteAll(fd.get(), bytes)) err = errno;
  if (err == 0 && options_.sync && ::fsync(fd.get()) != 0) err = errno;
  if (fd.Close() != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    if (err == EISDIR) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "put " + std::string(key) + ": other objects' keys start with it");
    }
    return std::unexpected(PosixError("put", key, err));
  }
  if (options_.sync) {
    if (int sync_err = SyncDirectory(dir); sync_err != 0) {
      return std::unexpected(PosixError("put (sync folder)", key, sync_err));
    }
  }
  return {};
}

Result<std::vector<std::uint8_t>> LocalObjectStore::Get(std::string_view key) {
  if (auto st = ValidateObjectKey(key); !st) return std::unexpected(st.error());
  const fs::path path = options_.root / std::string(key);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ELOOP) err = ENOENT;  // a symbolic link is not an object
    return std::unexpected(PosixError("get", key, err));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return std::unexpected(PosixError("get", key, errno));
  if (!S_ISREG(info.st_mode)) return std::unexpected(PosixError("get", key, ENOENT));
  std::vector<std::uint8_t> bytes;
  bytes.reserve(static_cast<std::size_t>(info.st_size));
  std::uint8_t buffer[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(PosixError("get", key, errno));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buffer, buffer + n);
  }
  return bytes;
}

Status LocalObjectStore::Delete(std::string_view key) {
  if (auto st = ValidateObjectKey(key); !st) return st;
  const fs::path path = options_.root / std::string(key);
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    return {};  // a folder of other objects' keys, not an object
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    return std::unexpected(PosixError("delete", key, errno));
  }
  // Tidy up folders left empty, up to the root; a folder another object still uses (or
  // one a concurrent Put just made) is not empty and stays.
  for (fs::path dir = path.parent_path(); dir != options_.root && dir.has_relative_path();
       dir = dir.parent_path()) {
    if (::rmdir(dir.c_str()) != 0) break;
  }
  return {};
}

Result<KeyPage> LocalObjectStore::ListPage(std::string_view prefix, std::string_view page_token,
                                           int page_size) {
  if (Status st = ValidateListPage(prefix, page_token, page_size); !st) return std::unexpected(st.error());
  Result<std::vector<std::string>> keys = SortedKeys(prefix);
  if (!keys) return std::unexpected(keys.error());
  return PageOfSortedKeys(*keys, page_token, page_size);
}

Result<std::vector<KeyFailure>> LocalObjectStore::DeleteMany(std::span<const std::string> keys) {
  if (Status st = ValidateDeleteMany(keys); !st) return std::unexpected(st.error());
  std::vector<KeyFailure> failures;
  for (const std::string& key : keys) {
    if (Status st = Delete(key); !st) failures.push_back({key, st.error()});
  }
  return failures;
}

Result<std::optional<SignedUrl>> LocalObjectStore::SignedReadUrl(std::string_view key,
                                                                 std::chrono::seconds lifetime) {
  if (Status st = ValidateSignedUrl(key, lifetime); !st) return std::unexpected(st.error());
  return std::optional<SignedUrl>();
}

Result<std::vector<std::string>> LocalObjectStore::SortedKeys(std::string_view prefix) const {
  // Walk only the folder that holds every match: the prefix up to its last '/'.
  const auto slash = prefix.rfind('/');
  const std::string dir_part = slash == std::string_view::npos ? std::string()
                                                               : std::string(prefix.substr(0, slash));
  const fs::path start = dir_part.empty() ? options_.root : options_.root / dir_part;
  std::vector<std::string> keys;
  // A folder that vanishes under the walk (a concurrent Delete) is worth a retry.
  auto walk_error = [&](const std::error_code& error) {
    Error e = PosixError("list", prefix, error.value());
    if (e.code == ErrorCode::kNotFound) e.code = ErrorCode::kUnavailable;
    return std::unexpected(e);
  };
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return keys;
  fs::recursive_directory_iterator it(start, fs::directory_options::skip_permission_denied, ec);
  if (ec) return walk_error(ec);
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return walk_error(ec);
    const fs::directory_entry& entry = *it;
    if (entry.path().filename().string().starts_with('.')) {
      if (entry.is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
    std::string key = entry.path().lexically_relative(options_.root).generic_string();
    if (!key.starts_with(prefix) || !ValidateObjectKey(key)) continue;
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace maskfleet::objectstore
