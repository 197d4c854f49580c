#include "maskfleet/process/subprocess.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

extern char** environ;

namespace maskfleet::process {
namespace {

Error OsError(const std::string& what, int err) {
  return Error{ErrorCode::kUnavailable, what + ": " + std::strerror(err)};
}

// The status of a reaped child.
ExitStatus FromWaitStatus(int status) {
  ExitStatus exit;
  if (WIFEXITED(status)) {
    exit.exited = true;
    exit.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
  } else {
    exit.unknown = true;
  }
  return exit;
}

void CloseIfOpen(int fd) {
  if (fd >= 0) ::close(fd);
}

[[noreturn]] void ChildFails(const char* message, std::size_t length, int code) {
  (void)!::write(STDERR_FILENO, message, length);
  ::_exit(code);
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (unknown) return "exit status unknown";
  if (exited) return "exited with status " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + SignalName(signal) + ")";
}

std::string SignalName(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? "SIG" + std::string(abbrev) : std::to_string(signal);
}

Result<std::string> FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return MakeError(ErrorCode::kUnavailable, "'" + name + "' not found in PATH");
}

Result<Subprocess> Subprocess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no program to start");
  }
  int output = -1;
  int pipe_read = -1;
  if (options.output == Output::kLogFile) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (options.truncate_log ? O_TRUNC : O_APPEND);
    output = ::open(options.log_file.c_str(), flags, 0600);
    if (output < 0) return std::unexpected(OsError("cannot open " + options.log_file.string(), errno));
  } else if (options.output == Output::kPipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(OsError("cannot make a pipe", errno));
    pipe_read = fds[0];
    output = fds[1];
  } else {
    output = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (output < 0) return std::unexpected(OsError("cannot open /dev/null", errno));
  }
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_in < 0) {
    const int err = errno;
    CloseIfOpen(output);
    CloseIfOpen(pipe_read);
    return std::unexpected(OsError("cannot open /dev/null", err));
  }

  // Everything the child needs is made before fork(): between fork and exec the child
  // of a multi-threaded process may only make async-signal-safe calls.
  std::vector<std::string> args = options.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = options.environment.value_or(std::vector<std::string>{});
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  char* const* child_env = options.environment ? envp.data() : environ;
  const pid_t parent = ::getpid();

  const pid_t child = ::fork();
  if (child < 0) {
    const int err = errno;
    CloseIfOpen(output);
    CloseIfOpen(pipe_read);
    ::close(null_in);
    return std::unexpected(OsError("cannot fork to start " + options.argv[0], err));
  }
  if (child == 0) {
    if (options.own_process_group) ::setpgid(0, 0);
    if (options.parent_death_signal != 0) {
      ::prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    }
    ::dup2(null_in, STDIN_FILENO);
    ::dup2(output, STDOUT_FILENO);
    ::dup2(output, STDERR_FILENO);
    for (int fd : options.cgroup_procs_fds) {
      if (::write(fd, "0", 1) != 1) {
        static constexpr char kMessage[] = "maskfleet: the child cannot join its cgroup\n";
        ChildFails(kMessage, sizeof(kMessage) - 1, 126);
      }
    }
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD}) {
      ::sigaction(sig, &dfl, nullptr);
    }
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), child_env);
    static constexpr char kMessage[] = "maskfleet: cannot execute the program\n";
    ChildFails(kMessage, sizeof(kMessage) - 1, 127);
  }
  ::close(output);
  ::close(null_in);
  return Subprocess(child, pipe_read);
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      output_fd_(std::exchange(other.output_fd_, -1)),
      exit_(std::move(other.exit_)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    CloseIfOpen(output_fd_);
    pid_ = std::exchange(other.pid_, -1);
    output_fd_ = std::exchange(other.output_fd_, -1);
    exit_ = std::move(other.exit_);
  }
  return *this;
}

Subprocess::~Subprocess() { CloseIfOpen(output_fd_); }

std::optional<ExitStatus> Subprocess::Poll() {
  if (exit_ || pid_ < 0) return exit_;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_ = FromWaitStatus(status);
  } else if (r < 0 && errno == ECHILD) {
    // Someone else reaped it (see the header): gone all the same.
    exit_ = ExitStatus{.unknown = true};
  }
  return exit_;
}

std::optional<ExitStatus> Subprocess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (std::optional<ExitStatus> exit = Poll()) return exit;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status Subprocess::Signal(int signal) {
  if (Poll()) return {};
  if (::kill(pid_, signal) != 0 && errno != ESRCH) {
    return MakeError(ErrorCode::kInternal, "cannot send " + SignalName(signal) + " to pid " +
                                               std::to_string(pid_) + ": " + std::strerror(errno));
  }
  return {};
}

Result<ExitStatus> Subprocess::Stop(std::initializer_list<StopStep> steps) {
  if (std::optional<ExitStatus> exit = Poll()) return *exit;
  for (const StopStep& step : steps) {
    if (Status sent = Signal(step.signal); !sent) {
      ::kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(5));
      return std::unexpected(sent.error());
    }
    if (std::optional<ExitStatus> exit = Wait(step.wait)) return *exit;
  }
  return MakeError(ErrorCode::kInternal,
                   "pid " + std::to_string(pid_) + " survived every signal sent to stop it");
}

}  // namespace maskfleet::process
