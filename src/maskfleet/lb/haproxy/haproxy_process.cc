#include "maskfleet/lb/haproxy/haproxy_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <system_error>
#include <thread>
#include <vector>

#include "maskfleet/lb/haproxy/runtime_api.h"

namespace maskfleet::lb::haproxy {
namespace {

using SteadyClock = std::chrono::steady_clock;

Error OsError(std::string_view what, int err) {
  return Error{ErrorCode::kUnavailable, fmt::format("{}: {}", what, std::strerror(err))};
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temp = path.native() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return std::unexpected(OsError("cannot write " + temp.native(), errno));
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot rename {} to {}: {}", temp.native(), path.native(),
                                 ec.message()));
  }
  return {};
}

// The program execv() should run: `binary` itself if it names a path, else the first
// executable of that name in PATH (execvp would search after fork, where it may
// allocate, which a child of a multi-threaded process must not).
Result<std::string> FindProgram(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return binary;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + binary;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("'{}' not found in PATH (is the haproxy package installed?)",
                               binary));
}

}  // namespace

HaproxyProcess::HaproxyProcess(HaproxyConfig config, ProcessOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

HaproxyProcess::~HaproxyProcess() {
  // Nothing to report to in a destructor; Stop() only fails if the kernel refuses to
  // signal our own child, and then it SIGKILLs.
  (void)Stop();
}

bool HaproxyProcess::ReapIfExited() {
  if (pid_ < 0) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    // ECHILD: someone else reaped it (see the header); it is gone all the same.
    pid_ = -1;
    return true;
  }
  return false;
}

bool HaproxyProcess::Running() { return !ReapIfExited(); }

bool HaproxyProcess::WaitGone(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (ReapIfExited()) return true;
    if (SteadyClock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string HaproxyProcess::LogTail() const {
  std::ifstream in(LogPath(config_));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  std::string tail;
  const size_t from = lines.size() > 5 ? lines.size() - 5 : 0;
  for (size_t i = from; i < lines.size(); ++i) {
    if (!tail.empty()) tail += " | ";
    tail += lines[i];
  }
  return tail.empty() ? "(haproxy.log is empty)" : tail;
}

Status HaproxyProcess::Start() {
  if (Running()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("haproxy already runs (pid {})", pid_));
  }
  Result<std::string> text = RenderConfig(config_);
  if (!text) return std::unexpected(text.error());

  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", config_.state_dir.native(), ec.message()));
  }
  std::filesystem::permissions(config_.state_dir, std::filesystem::perms::owner_all, ec);
  Result<std::string> program = FindProgram(options_.binary);
  if (!program) return std::unexpected(program.error());
  if (Status written = WriteFile(ConfigPath(config_), *text); !written) return written;
  // A socket left by an earlier HAProxy would answer nothing (or, worse, another
  // HAProxy's answers); HAProxy replaces it anyway, but only once it has bound.
  std::filesystem::remove(SocketPath(config_), ec);

  const int log_fd = ::open(LogPath(config_).c_str(),
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) return std::unexpected(OsError("cannot open " + LogPath(config_).native(), errno));
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd < 0) {
    ::close(log_fd);
    return std::unexpected(OsError("cannot open /dev/null", errno));
  }

  // Everything the child needs is prepared before fork(): between fork and exec a
  // multi-threaded parent's child may only make async-signal-safe calls.
  const std::string config_path = ConfigPath(config_).native();
  std::vector<std::string> args = {*program, "-f", config_path, "-db"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t child = ::fork();
  if (child < 0) {
    const int err = errno;
    ::close(log_fd);
    ::close(null_fd);
    return std::unexpected(OsError("cannot fork to start haproxy", err));
  }
  if (child == 0) {
    // SIGTERM, not SIGUSR1: when the manager has died its workers die too, so there is
    // nothing left to finish gracefully.
    // A process group of its own: a Ctrl-C in the terminal, or `timeout`, signals the
    // manager's group, and the manager then stops its children in order (drain
    // first); they must not get the signal directly and quit under it.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    // Signal handling is inherited through exec: undo the manager's (blocked SIGTERM
    // for a signal-waiting thread, ignored SIGPIPE) so HAProxy sees the defaults.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD}) {
      ::sigaction(sig, &dfl, nullptr);
    }
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // Descriptors the manager opened without O_CLOEXEC (listening sockets, the
    // database) must not leak into HAProxy.
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    static constexpr char kMessage[] = "maskfleet: cannot execute haproxy\n";
    (void)!::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  pid_ = child;

  const RuntimeApi api(SocketPath(config_), std::chrono::milliseconds(500));
  const auto deadline = SteadyClock::now() + options_.start_timeout;
  for (;;) {
    if (ReapIfExited()) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("haproxy -f {} exited at start: {}", config_path, LogTail()));
    }
    if (Result<int> pid = api.ProcessId(); pid && *pid == child) return {};
    if (SteadyClock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(child, SIGKILL);
  WaitGone(std::chrono::seconds(5));
  return MakeError(ErrorCode::kDeadlineExceeded,
                   fmt::format("haproxy -f {}: runtime API {} did not answer within {} ms: {}",
                               config_path, SocketPath(config_).native(),
                               options_.start_timeout.count(), LogTail()));
}

Status HaproxyProcess::Stop() {
  if (ReapIfExited()) return {};
  const pid_t pid = pid_;
  for (auto [sig, wait] : {std::pair{SIGUSR1, options_.grace},
                           {SIGTERM, std::chrono::milliseconds(5000)},
                           {SIGKILL, std::chrono::milliseconds(5000)}}) {
    if (::kill(pid, sig) != 0 && errno != ESRCH) {
      const int err = errno;
      ::kill(pid, SIGKILL);
      WaitGone(std::chrono::seconds(5));
      return MakeError(ErrorCode::kInternal,
                       fmt::format("cannot signal haproxy (pid {}): {}", pid, std::strerror(err)));
    }
    if (WaitGone(wait)) return {};
  }
  return MakeError(ErrorCode::kInternal,
                   fmt::format("haproxy (pid {}) survived SIGKILL", pid));
}

}  // namespace maskfleet::lb::haproxy
