// HaproxyProcess: runs HAProxy for the manager: starts it as a child process, or adopts
// the one an earlier manager on the same state folder left running.
//
// HAProxy runs in the foreground (`haproxy -f haproxy.cfg -db`), not daemonised (`-D`
// with a pid file): the child is then HAProxy itself, so its pid is known without a
// pid file and waitpid() tells when it exits and why. HaProxy's stdout and stderr go
// to haproxy.log in the state folder; start-up failures quote its last lines.
//
// Outliving the manager: by default (stop_with_owner false) HAProxy gets no
// parent-death signal, so a manager that is killed leaves it serving, with the workers
// (which outlive the manager the same way, pool/local): uploads go on while the
// manager is away. The next Start() on the same state folder adopts it instead of
// starting another: when the runtime socket in the state folder answers (so it is the
// HAProxy of this folder, whose socket only its owner can reach) and the configuration
// it runs is the one this object would write, Start() takes its pid and starts
// nothing. One that runs another configuration (another port, say) is stopped first.
// WasAdopted() tells which happened: the balancer must then take over the server
// slots as HAProxy has them (HaproxyLoadBalancer::AdoptSlots) rather than start empty.
//
// Stop() is graceful: SIGUSR1 (HAProxy's soft stop: it closes its listening socket and
// exits once the requests in flight are answered), then SIGTERM after `grace`, then
// SIGKILL. The destructor stops too, so a clean exit of the owner leaves no HAProxy.
//
// Caveats:
// - With stop_with_owner, PR_SET_PDEATHSIG fires when the *thread* that started the
//   child ends, not only the process: call Start() from a thread that lives as long as
//   the manager (the main thread), never from a short-lived task thread.
// - A child is reaped by its pid here; nobody else may reap with waitpid(-1) or set
//   SIGCHLD to SIG_IGN, or the exit status is lost (Stop() then still returns once the
//   process is gone). An adopted HAProxy is not our child: it is watched through
//   /proc by its pid and start time.
//
// Thread safety: not safe across threads; the owner serialises Start, Stop and
// Running (the manager calls them from its start-up and shutdown path only).
#ifndef MASKFLEET_LB_HAPROXY_HAPROXY_PROCESS_H_
#define MASKFLEET_LB_HAPROXY_HAPROXY_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
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
  // Stop HAProxy (SIGTERM) when the thread that started it ends (the owner dies),
  // rather than leave it serving for the next Start() to adopt. Default false.
  bool stop_with_owner = false;
};

class HaproxyProcess {
 public:
  HaproxyProcess(HaproxyConfig config, ProcessOptions options = {});
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;
  // Stops HAProxy if it runs (see Stop()).
  ~HaproxyProcess();

  // Adopts the HAProxy that runs this configuration from the state folder (above), or
  // creates the state folder (mode 700), writes haproxy.cfg, starts HAProxy and returns
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

  // Whether HAProxy still runs (reaps our child if it has exited).
  bool Running();

  // Whether the running HAProxy was adopted by the last Start() rather than started.
  bool WasAdopted() const { return adopted_.has_value(); }

  // HAProxy's pid, or -1 when not running.
  pid_t pid() const { return child_ ? child_->pid() : adopted_ ? adopted_->pid : -1; }
  const HaproxyConfig& config() const { return config_; }

 private:
  // Reaps the child if it has exited; true if it is gone.
  bool ReapIfExited();
  // Waits until the child is gone or `timeout` passes; true if it is gone.
  bool WaitGone(std::chrono::milliseconds timeout);
  std::string LogTail() const;
  // The HAProxy an earlier owner left on this state folder, if its runtime API answers;
  // adopted when it runs `config_text`, else stopped. Success: whether one was adopted.
  Result<bool> AdoptOrStopEarlier(const std::string& config_text);

  // An HAProxy that is not our child: its pid and its start time (/proc), so that a
  // reused pid is not taken for it.
  struct Adopted {
    pid_t pid = -1;
    std::uint64_t start_ticks = 0;
  };

  HaproxyConfig config_;
  ProcessOptions options_;
  std::optional<process::Subprocess> child_;  // from Start until reaped
  std::optional<Adopted> adopted_;            // from an adopting Start until it is gone
};

}  // namespace maskfleet::lb::haproxy

#endif  // MASKFLEET_LB_HAPROXY_HAPROXY_PROCESS_H_
