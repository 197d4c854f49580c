// LocalWorkerPool: the WorkerPool of the local mode. Each worker is a child process
// `maskfleet worker --host 127.0.0.1 --port 0 --data-dir DATA --name ID`; all share one
// data folder (one SQLite database in WAL mode, one object folder), as the worker
// supports. The worker prints `listening on HOST:PORT` once it serves; its stdout and
// stderr go to STATE/logs/ID.log, where the pool reads that line for the port.
//
// CPU allotment ("instance size", default 0.25 CPU, so that 8 workers fit on 2 cores
// beside the manager and HAProxy): each worker gets a cgroup with a CPU quota when this
// process can make one (see cgroup.h: v2 cpu.max, or v1 cpu.cfs_quota_us), and the child
// moves itself into it before it executes the worker. Otherwise the worker is told its
// allotment in MASKFLEET_WORKER_CPU_ALLOTMENT and limits itself with the governor of
// pool/governor/. details["cpu_limit"] says which is in force for each worker. Its
// thread counts fit the allotment too: HTTP, detection and OpenCV threads are set
// through the environment (MASKFLEET_WORKER_*; see LocalPoolOptions).
//
// Workers outlive a crashed manager: a manager killed outright (SIGKILL, a crash, the
// OOM killer) leaves its workers serving, and the next pool on the same state folder
// adopts them (below), so that a restarted manager (systemd's Restart=,
// docs/operations.md) takes over a warm pool instead of booting a new one. A manager
// that stops normally stops its workers itself (StopAll). With `stop_with_manager`, each
// child instead asks the kernel for SIGTERM when its parent dies (PR_SET_PDEATHSIG),
// which the kernel sends when the *thread* that forked the child ends: Launch() must
// then be called from a thread that lives as long as the manager (its controller
// thread or the main thread), never from a short-lived task. Children are reaped by
// pid; nobody else in the process may reap with waitpid(-1) or ignore SIGCHLD.
//
// Launch keys: a worker remembers the idempotency key it was launched with while List()
// shows it (an adopted worker too: the key is in its pid file); a Launch() with that
// key returns it. A key of a worker forgotten (beyond keep_finished) launches anew.
//
// State that survives the pool object: STATE/workers/ID.pid (pid, its start time from
// /proc/PID/stat so a reused pid is never mistaken for the worker, port, launch time,
// cgroup, launch key), STATE/next_id (ids are never reused) and the logs. Destroying the pool
// leaves running workers running (the owner calls StopAll() to stop them; the
// parent-death signal stops them when the process ends). Create() on the same state
// folder then deals with each leftover: it ADOPTS a worker that still runs (same pid
// and start time) and whose /healthz answers 200 now, as kInService with
// details["adopted"] = "yes"; it STOPS every other one still running (booting,
// unhealthy: SIGTERM, then SIGKILL after stop_timeout), and forgets those already
// gone, removing their pid files and cgroups.
//
// Thread safety: as WorkerPool says. Changing calls are serialised by one mutex and may
// block: Launch for a fork, Refresh for one health check per starting worker (up to
// health_timeout each), Stop and StopAll for up to stop_timeout plus 5 s. List() takes
// only a short lock of its own.
#ifndef MASKFLEET_POOL_LOCAL_LOCAL_WORKER_POOL_H_
#define MASKFLEET_POOL_LOCAL_LOCAL_WORKER_POOL_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/pool/local/cgroup.h"
#include "maskfleet/pool/local/cpu_meter.h"
#include "maskfleet/pool/worker_pool.h"

namespace maskfleet::pool::local {

enum class CpuLimitMode {
  // A cgroup where one can be made, else the governor. The default.
  kAuto,
  // A cgroup or nothing: Create() fails when none can be made.
  kCgroup,
  // The governor, even where a cgroup could be made (for tests of the fallback).
  kGovernor,
  // No limit at all (benchmarks of a single worker).
  kNone,
};

struct LocalPoolOptions {
  // The maskfleet program. Required.
  std::filesystem::path binary;
  // The workers' shared data folder (--data-dir). Required.
  std::filesystem::path data_dir;
  // Pid files, logs, the id counter. Required; made (mode 700) if missing.
  std::filesystem::path state_dir;
  // Extra environment for every worker, on top of this process's own and winning over
  // the thread settings below (MASKFLEET_MODEL_DIR, MASKFLEET_DATABASE_URL, ...).
  // Default none.
  std::map<std::string, std::string> environment;
  // A configuration file every worker reads (--config), e.g. the manager's own; its
  // [worker] host and port are overridden by the pool. Default none.
  std::filesystem::path config_file;
  // Address the workers listen on (--host); numeric. Default "127.0.0.1".
  std::string host = "127.0.0.1";

  // CPUs per worker, > 0. Default 0.25.
  double cpu_allotment = 0.25;
  // How the allotment is enforced. Default kAuto.
  CpuLimitMode cpu_limit = CpuLimitMode::kAuto;
  // Where the cgroups go (a delegated group); default empty: our own group.
  std::filesystem::path cgroup_parent;

  // The worker's threads, passed as MASKFLEET_WORKER_HTTP_THREADS,
  // _DETECTION_THREADS, _DETECTION_QUEUE, _OPENCV_THREADS. Defaults 8, 1, 3, 1: one
  // detection at a time fits a quarter of a core, and more HTTP threads than
  // detections admitted (1 + 3) keep the answer to overload a quick 503.
  int http_threads = 8;
  int detection_threads = 1;
  int detection_queue = 3;
  int opencv_threads = 1;

  // Whether a worker is stopped (SIGTERM) when the manager dies without stopping it.
  // Default false: it keeps serving, and the next pool adopts it.
  bool stop_with_manager = false;
  // Live workers (not final) at most; Launch() beyond is kResourceExhausted.
  // Default 16.
  int max_workers = 16;
  // How long a worker may take from launch to its first healthy /healthz before it is
  // stopped and kFailed. Default 60 s (loading the model takes a few seconds).
  std::chrono::milliseconds start_timeout{60000};
  // Time limit of one /healthz check. Default 1 s.
  std::chrono::milliseconds health_timeout{1000};
  // How long a drained worker keeps running for requests in flight before SIGTERM
  // (after which it still finishes what it has). Measured on `clock`. Default 10 s.
  std::chrono::milliseconds drain_grace{10000};
  // How long a worker has after SIGTERM before SIGKILL. Default 15 s.
  std::chrono::milliseconds stop_timeout{15000};
  // Finished workers (stopped, failed) List() keeps, the most recent. Default 32.
  std::size_t keep_finished = 32;
  // What RefreshInterval() answers: how often a caller's Refresh() is worth making.
  // Default 500 ms (a health check of each starting worker, a look at each process).
  std::chrono::milliseconds refresh_interval{500};
  // Launch times, state times and the drain grace. Must outlive the pool. Default the
  // real clock.
  const Clock* clock = &RealClock();
};

// What Create() did with the workers of an earlier pool.
struct AdoptionReport {
  std::vector<std::string> adopted;  // ids now kInService in this pool
  std::vector<std::string> stopped;  // ids found running and stopped
  std::vector<std::string> gone;     // ids whose process had already ended
};

class LocalWorkerPool : public WorkerPool {
 public:
  // Checks the options, makes the state folder, finds the CPU limit mechanism (see
  // cpu_limit_mechanism()), and adopts or stops the workers of an earlier pool on the
  // same state folder. Errors: kInvalidArgument (a required option missing, the binary
  // not executable, allotment not > 0), kUnavailable (the state folder cannot be
  // written; kCgroup mode and no cgroup can be made: the reasons).
  static Result<std::unique_ptr<LocalWorkerPool>> Create(LocalPoolOptions options);

  // Leaves running workers running (see above); removes the pool's cgroup folder if
  // no worker's group is left in it.
  ~LocalWorkerPool() override;

  std::vector<WorkerInfo> List() const override;
  Result<WorkerInfo> Launch(std::string_view idempotency_key) override;
  Status Drain(std::string_view id) override;
  Status Stop(std::string_view id) override;
  Status StopAll() override;
  Result<std::vector<WorkerChange>> Refresh() override;
  std::chrono::milliseconds RefreshInterval() const override { return options_.refresh_interval; }

  // "cgroup v2 cpu.max", "cgroup v1 cpu.cfs_quota_us", "governor" or "none": what new
  // workers get.
  std::string cpu_limit_mechanism() const;
  // Why no cgroup is used (the probe's reasons), or empty when one is.
  const std::string& cgroup_unavailable_reason() const { return cgroup_reason_; }
  // What Create() did with an earlier pool's workers.
  const AdoptionReport& adoption() const { return adoption_; }

  // A live worker's cumulative CPU counter now, with its allotment: the cgroup's usage
  // when a cgroup that counts usage holds it (since the group was made, which is just
  // before the worker started), else its process's from /proc. What the local
  // MetricsSource's CpuSampler reads. Errors: kNotFound (no such live worker, or its
  // process has just gone), kUnavailable (the counter cannot be read).
  Result<CpuReading> ReadCpu(std::string_view id) const;

  // A CpuMeter over the same counter, for callers that want percentages directly.
  // Errors: kNotFound (no such live worker).
  Result<CpuMeter> MakeCpuMeter(std::string_view id, const Clock& clock = RealClock()) const;

 private:
  struct Worker;
  struct Exit;

  // The reader and allotment of a live worker. Takes mu_.
  Result<std::pair<CpuUsageReader, double>> CpuSource(std::string_view id) const;

  explicit LocalWorkerPool(LocalPoolOptions options);

  Status Init();
  void Adopt();
  Result<std::uint64_t> NextSequence();
  std::vector<std::string> ChildEnvironment(bool governed) const;
  // The worker's exit if it has ended (reaping it when it is our child).
  std::optional<Exit> CheckExit(Worker& worker) const;
  // SIGTERM to each, SIGKILL after stop_timeout, until all are gone; their exits.
  std::vector<Exit> Terminate(const std::vector<Worker*>& workers) const;
  bool Healthy(const Worker& worker) const;
  std::uint16_t ReadPort(const Worker& worker) const;
  Status WritePidFile(const Worker& worker) const;
  // Moves `worker` to a new state (under mu_), recording the change.
  void SetState(Worker& worker, WorkerState to, std::string reason, std::vector<WorkerChange>* changes);
  // Releases what a finished worker held: its pid file, its cgroup.
  void Release(Worker& worker);
  // Forgets the oldest finished workers beyond keep_finished.
  void Trim();
  Worker* Find(std::string_view id);

  const LocalPoolOptions options_;
  std::optional<CgroupSupport> cgroups_;  // written by Init only
  std::string cgroup_reason_;             // written by Init only
  bool governed_ = false;                 // new workers get the governor; Init only
  AdoptionReport adoption_;               // written by Init only

  // Serialises Launch, Drain, Stop, StopAll, Refresh. Held while they block; they may
  // read workers_ under it alone, and change it under mu_ as well.
  mutable std::mutex control_mu_;
  // Guards workers_ against List() while a changing call writes it. Never held while
  // blocking.
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Worker>> workers_;  // by launch; guarded as above
};

}  // namespace maskfleet::pool::local

#endif  // MASKFLEET_POOL_LOCAL_LOCAL_WORKER_POOL_H_
