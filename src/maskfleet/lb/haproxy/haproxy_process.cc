#include "maskfleet/lb/haproxy/haproxy_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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
                     fmt::format("cannot rename {} to {}: {}", temp.native(), path.native(), ec.message()));
  }
  return {};
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
  if (!child_) return true;
  if (!child_->Poll()) return false;
  child_.reset();
  return true;
}

bool HaproxyProcess::Running() { return !ReapIfExited(); }

bool HaproxyProcess::WaitGone(std::chrono::milliseconds timeout) {
  if (!child_) return true;
  if (!child_->Wait(timeout)) return false;
  child_.reset();
  return true;
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
    return MakeError(ErrorCode::kFailedPrecondition, fmt::format("haproxy already runs (pid {})", pid()));
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
  Result<std::string> program = process::FindProgram(options_.binary);
  if (!program) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("'{}' not found in PATH (is the haproxy package installed?)", options_.binary));
  }
  std::filesystem::create_directories(config_.state_dir / "errors", ec);
  for (const GeneratedFile& file : ErrorMaps(config_)) {
    if (Status written = WriteFile(file.path, file.text); !written) return written;
  }
  if (Status written = WriteFile(ConfigPath(config_), *text); !written) return written;
  // A socket left by an earlier HAProxy would answer nothing (or, worse, another
  // HAProxy's answers); HAProxy replaces it anyway, but only once it has bound.
  std::filesystem::remove(SocketPath(config_), ec);

  // SIGTERM as the parent-death signal, not SIGUSR1: when the manager has died its
  // workers die too, so there is nothing left to finish gracefully.
  const std::string config_path = ConfigPath(config_).native();
  Result<process::Subprocess> child = process::Subprocess::Spawn({
      .argv = {*program, "-f", config_path, "-db"},
      .output = process::Output::kLogFile,
      .log_file = LogPath(config_),
      .truncate_log = true,
      .parent_death_signal = SIGTERM,
  });
  if (!child) return std::unexpected(child.error().WithContext("cannot start haproxy"));
  const pid_t started = child->pid();
  child_.emplace(std::move(*child));

  const RuntimeApi api(SocketPath(config_), std::chrono::milliseconds(500));
  const auto deadline = SteadyClock::now() + options_.start_timeout;
  for (;;) {
    if (ReapIfExited()) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("haproxy -f {} exited at start: {}", config_path, LogTail()));
    }
    if (Result<int> pid = api.ProcessId(); pid && *pid == started) return {};
    if (SteadyClock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (void)child_->Stop({{SIGKILL, std::chrono::seconds(5)}});
  child_.reset();
  return MakeError(ErrorCode::kDeadlineExceeded,
                   fmt::format("haproxy -f {}: runtime API {} did not answer within {} ms: {}", config_path,
                               SocketPath(config_).native(), options_.start_timeout.count(), LogTail()));
}

Status HaproxyProcess::Stop() {
  if (ReapIfExited()) return {};
  const pid_t pid = child_->pid();
  Result<process::ExitStatus> stopped = child_->Stop({{SIGUSR1, options_.grace},
                                                      {SIGTERM, std::chrono::milliseconds(5000)},
                                                      {SIGKILL, std::chrono::milliseconds(5000)}});
  if (!stopped) {
    return std::unexpected(stopped.error().WithContext(fmt::format("haproxy (pid {})", pid)));
  }
  child_.reset();
  return {};
}

}  // namespace maskfleet::lb::haproxy
