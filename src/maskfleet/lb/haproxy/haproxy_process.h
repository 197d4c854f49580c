// HaproxyProcess: runs HAProxy as a child process of the manager, for as long as the
// object lives.
//
// HAProxy runs in the foreground (`haproxy -f haproxy.cfg -db`), not daemonised (`-D`
// with a pid file): the child is then HAProxy itself, so its pid is known without a
// pid file, waitpid() tells when it exits and why, and the kernel's parent-death
// signal (PR_SET_PDEATHSIG, set in the child before exec) kills it if the manager dies
// without stopping it (process::Subprocess does the fork and exec). A daemon would
// fork away from us, be reparented to init and escape both. HAProxy's stdout and stderr go to haproxy.log in
// the state folder; start-up failures quote its last lines.
//
// Stop() is graceful: SIGUSR1 (HAProxy's soft stop: it closes its listening socket and
// exits once the requests in flight are answered), then SIGTERM after `grace`, then
// SIGKILL. The destructor stops too, so no HAProxy outlives its owner.
//
// Caveats of a child process, which the rest of the manager must respect:
// - PR_SET_PDEATHSIG fires when the *thread* that started the child ends, not only the
//   process: call Start() from a thread that lives as long as the manager (the main
//   thread), never from a short-lived task thread.
// - The child is reaped by its pid here; nobody else may reap with waitpid(-1) or set
//   SIGCHLD to SIG_IGN, or the exit status is lost (Stop() then still returns once the
//   process is gone).
//
// Thread safety: not safe across threads; the owner serialises Start, Stop and
// Running (the manager calls them from its start-up and shutdown path only).
#ifndef MASKFLEET_LB_HAPROXY_HAPROXY_PROCESS_H_
#define MASKFLEET_LB_HAPROXY_HAPROXY_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "maskfleet/common/error.h"
#include "maskfleet/lb/haproxy/haproxy_config.h"
#include "maskfleet/process/subprocess.h"

namespace maskfleet::lb::haproxy {

struct ProcessOptions {
  // The haproxy program: a path, or a name looked up in PATH. Default "haproxy".
  std::string binary = "haproxy";
  // How long Start() waits for the runtime API to answer. Default 10 s.
  std::chrono::milliseconds start_timeout{10000};
  // How long Stop() lets requests in flight finish after the soft stop, before
  // SIGTERM. Default 30 s.
  std::chrono::milliseconds grace{30000};
};

class HaproxyProcess {
 public:
  HaproxyProcess(HaproxyConfig config, ProcessOptions options = {});
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;
  // Stops HAProxy if it runs (see Stop()).
  ~HaproxyProcess();

  // Creates the state folder (mode 700), writes haproxy.cfg, starts HAProxy and returns
  // once its runtime API answers with HAProxy's own pid (not some other HAProxy's on a
  // stale socket). Errors: kInvalidArgument (the configuration, see ValidateConfig),
  // kFailedPrecondition (already running), kUnavailable (the state folder cannot be
  // written, HAProxy cannot be started or exited at start, for example because the
  // frontend port is taken: the message quotes its log), kDeadlineExceeded (no answer
  // within start_timeout; HAProxy is then killed).
  Status Start();

  // Soft stop, then SIGTERM after `grace`, then SIGKILL after 5 s more; returns once
  // the process is gone and reaped. Stopping a stopped process succeeds. Errors:
  // kInternal (the process could not be signalled or waited for).
  Status Stop();

  // Whether the child still runs (reaps it if it has exited).
  bool Running();

  // The child's pid, or -1 when not running.
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  const HaproxyConfig& config() const { return config_; }

 private:
  // Reaps the child if it has exited; true if it is gone.
  bool ReapIfExited();
  // Waits until the child is gone or `timeout` passes; true if it is gone.
  bool WaitGone(std::chrono::milliseconds timeout);
  std::string LogTail() const;

  HaproxyConfig config_;
  ProcessOptions options_;
  std::optional<process::Subprocess> child_;  // from Start until reaped
};

}  // namespace maskfleet::lb::haproxy

#endif  // MASKFLEET_LB_HAPROXY_HAPROXY_PROCESS_H_
