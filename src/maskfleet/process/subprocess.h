// Subprocess: a child process the way maskfleet runs them (HAProxy, local workers):
// started with fork and exec from a multi-threaded program, in a process group of its
// own, with a parent-death signal, its output in a log file or a pipe, and stopped
// with escalating signals.
//
//   process::SpawnOptions options{.argv = {"/usr/sbin/haproxy", "-f", cfg, "-db"},
//                                 .output = process::Output::kLogFile,
//                                 .log_file = state / "haproxy.log"};
//   Result<process::Subprocess> child = process::Subprocess::Spawn(options);
//   ...
//   Result<process::ExitStatus> exit = child->Stop({{SIGTERM, 15s}, {SIGKILL, 5s}});
//
// What Spawn does in the child, between fork and exec (async-signal-safe calls only;
// everything they need is prepared before fork):
//   - setpgid(0, 0) when own_process_group: a Ctrl-C in the terminal, or `timeout`,
//     signals the parent's group, and the parent then stops its children in order;
//   - prctl(PR_SET_PDEATHSIG, parent_death_signal), then exits 127 if the parent has
//     already died: no child outlives its parent. The kernel sends the signal when
//     the *thread* that called Spawn ends, not only the process: spawn from a thread
//     that lives as long as the children should (the main thread, a controller's
//     long-lived thread), never from a short-lived task;
//   - writes "0" into each of cgroup_procs_fds (cgroup.procs files: it joins those
//     groups), exiting 126 with a message in its output if it cannot;
//   - resets the signal mask and the dispositions the parent may have changed
//     (SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD), since both are
//     inherited through exec;
//   - stdin from /dev/null, stdout and stderr to the log file, the pipe or /dev/null;
//   - closes every other descriptor (those opened without O_CLOEXEC must not leak);
//   - execs argv[0] (a path: no PATH search after fork, which may allocate; see
//     FindProgram), with `environment` or the parent's own; on failure it writes a
//     message to its output and exits 127.
//
// A Subprocess reaps its child by pid; nobody else in the program may reap with
// waitpid(-1) or set SIGCHLD to SIG_IGN, or the exit status is lost (Wait and Stop
// then still return once the process is gone, with an unknown status). Destroying a
// Subprocess leaves the process running and unreaped: whoever keeps its pid() is in
// charge of it (the local pool keeps workers running across its own restarts).
//
// Thread safety: a Subprocess is not safe across threads; its owner serialises the
// calls. Spawn may be called from many threads at once.
#ifndef MASKFLEET_PROCESS_SUBPROCESS_H_
#define MASKFLEET_PROCESS_SUBPROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::process {

// Where the child's stdout and stderr go.
enum class Output {
  kNull,     // /dev/null
  kLogFile,  // log_file, appended to (or truncated first, see truncate_log)
  kPipe,     // a pipe whose read end the parent holds (Subprocess::output_fd)
};

struct SpawnOptions {
  // The program (a path, absolute or relative to the working folder) and its
  // arguments. Required.
  std::vector<std::string> argv;
  // The child's whole environment as KEY=VALUE; nullopt (the default) passes the
  // parent's own.
  std::optional<std::vector<std::string>> environment;
  Output output = Output::kNull;
  // For kLogFile: the file, created (mode 600) if missing.
  std::filesystem::path log_file;
  // For kLogFile: empty the file first, rather than append. Default false.
  bool truncate_log = false;
  // A process group of its own (see above). Default true.
  bool own_process_group = true;
  // The signal the child gets when the spawning thread ends; 0 for none. Default
  // SIGTERM.
  int parent_death_signal = SIGTERM;
  // cgroup.procs files (open for writing) that the child joins before exec. The
  // caller keeps and closes them.
  std::vector<int> cgroup_procs_fds;
};

// How a child ended.
struct ExitStatus {
  // Exited by itself (exit code in `code`), or ended by a signal (`signal`).
  bool exited = false;
  int code = 0;
  int signal = 0;
  // Reaped by someone else: exited and signal say nothing.
  bool unknown = false;

  bool clean() const { return exited && code == 0; }
  // "exited with status 1", "killed by signal 9 (SIGKILL)", "exit status unknown".
  std::string Describe() const;
};

// One step of Stop: send `signal`, then wait up to `wait` for the process to end.
struct StopStep {
  int signal = SIGTERM;
  std::chrono::milliseconds wait{0};
};

class Subprocess {
 public:
  // Starts the child (see above) and returns once it is forked; it may still fail to
  // exec (exit 127) or to join its cgroups (exit 126), which Poll then tells.
  // Errors: kInvalidArgument (no argv), kUnavailable (the log file or /dev/null
  // cannot be opened, a pipe or a process cannot be made: the message says which,
  // with the system's reason).
  static Result<Subprocess> Spawn(const SpawnOptions& options);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Closes the pipe's read end; leaves the process as it is (see above).
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // The read end of the output pipe (Output::kPipe), or -1. Owned by this object.
  int output_fd() const { return output_fd_; }

  // The exit if the child has ended (reaping it), nullopt while it runs. Once ended,
  // returns the same status every time. Never blocks.
  std::optional<ExitStatus> Poll();

  // Waits until the child ends, at most `timeout`; its exit, or nullopt if it still
  // runs. Checks every 10 ms.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);

  // Sends `signal` to the child (not its group). Signalling a child that has ended
  // succeeds. Errors: kInternal (the kernel refused: the message says why).
  Status Signal(int signal);

  // Each step in turn: its signal, then up to its wait for the child to end; returns
  // the exit as soon as it has ended (at once if it already had). Errors: kInternal
  // (a signal was refused: the child is then sent SIGKILL and waited for 5 s; or it
  // survived every step, e.g. in uninterruptible sleep).
  Result<ExitStatus> Stop(std::initializer_list<StopStep> steps);

 private:
  Subprocess(pid_t pid, int output_fd) : pid_(pid), output_fd_(output_fd) {}

  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::optional<ExitStatus> exit_;
};

// The path exec should run for `name`: `name` itself if it holds a '/', else the first
// executable of that name in PATH (searched here, before fork). Errors: kUnavailable
// (not found).
Result<std::string> FindProgram(const std::string& name);

// "SIGKILL" for 9, or the number when the signal has no name.
std::string SignalName(int signal);

}  // namespace maskfleet::process

#endif  // MASKFLEET_PROCESS_SUBPROCESS_H_
