#include "maskfleet/lb/haproxy/haproxy_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "maskfleet/lb/haproxy/runtime_api.h"
#include "maskfleet/process/proc_stat.h"

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

std::optional<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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
  if (adopted_) {
    if (process::ProcessRuns(adopted_->pid, adopted_->start_ticks)) return false;
    adopted_.reset();
    return true;
  }
  if (!child_) return true;
  if (!child_->Poll()) return false;
  child_.reset();
  return true;
}

bool HaproxyProcess::Running() { return !ReapIfExited(); }

bool HaproxyProcess::WaitGone(std::chrono::milliseconds timeout) {
  if (adopted_) {
    const auto deadline = SteadyClock::now() + timeout;
    while (!ReapIfExited()) {
      if (SteadyClock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
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
  Result<bool> adopted = AdoptOrStopEarlier(*text);
  if (!adopted) return std::unexpected(adopted.error());
  if (*adopted) return {};
  std::filesystem::create_directories(config_.state_dir / "errors", ec);
  for (const GeneratedFile& file : ErrorMaps(config_)) {
    if (Status written = WriteFile(file.path, file.text); !written) return written;
  }
  if (Status written = WriteFile(ConfigPath(config_), *text); !written) return written;
  // A socket left by an earlier HAProxy would answer nothing (or, worse, another
  // HAProxy's answers); HAProxy replaces it anyway, but only once it has bound.
  std::filesystem::remove(SocketPath(config_), ec);

  // With stop_with_owner, SIGTERM as the parent-death signal, not SIGUSR1: the owner
  // that asks for it stops its workers with it, so nothing is left to finish.
  const std::string config_path = ConfigPath(config_).native();
  Result<process::Subprocess> child = process::Subprocess::Spawn({
      .argv = {*program, "-f", config_path, "-db"},
      .output = process::Output::kLogFile,
      .log_file = LogPath(config_),
      .truncate_log = true,
      .parent_death_signal = options_.stop_with_owner ? SIGTERM : 0,
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

Result<bool> HaproxyProcess::AdoptOrStopEarlier(const std::string& config_text) {
  const RuntimeApi api(SocketPath(config_), std::chrono::milliseconds(500));
  Result<int> earlier = api.ProcessId();
  if (!earlier) return false;  // nothing answers on this folder's socket
  const Result<process::ProcStat> stat = process::ReadProcStat(*earlier);
  if (!stat || stat->state == 'Z' || stat->state == 'X') return false;
  adopted_ = Adopted{*earlier, stat->start_ticks};
  if (ReadWholeFile(ConfigPath(config_)) == config_text) return true;
  // It runs another configuration: it goes, and a new one starts.
  if (Status stopped = Stop(); !stopped) return std::unexpected(stopped.error());
  return false;
}

Status HaproxyProcess::Stop() {
  if (ReapIfExited()) return {};
  if (adopted_) {
    const pid_t pid = adopted_->pid;
    for (const auto& [signal, wait] :
         {std::pair{SIGUSR1, options_.grace}, std::pair{SIGTERM, std::chrono::milliseconds(5000)},
          std::pair{SIGKILL, std::chrono::milliseconds(5000)}}) {
      if (::kill(pid, signal) != 0 && errno != ESRCH) {
        return std::unexpected(OsError(fmt::format("cannot signal haproxy (pid {})", pid), errno));
      }
      if (WaitGone(wait)) return {};
    }
    return MakeError(ErrorCode::kInternal, fmt::format("haproxy (pid {}) did not end after SIGKILL", pid));
  }
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
