#include "maskfleet/pool/local/local_worker_pool.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

#include <httplib.h>

#include "maskfleet/pool/governor/cpu_governor.h"
#include "maskfleet/pool/local/os_files.h"
#include "maskfleet/process/proc_stat.h"
#include "maskfleet/process/subprocess.h"

extern char** environ;

namespace maskfleet::pool::local {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kListeningPrefix[] = "listening on ";

std::string FormatCpus(double cpus) {
  std::ostringstream out;
  out << cpus;
  return out.str();
}

std::int64_t ToMillis(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// A short stable name for the state folder, so that two pools on different state
// folders never share cgroups (FNV-1a; std::hash may change between builds).
std::string Tag(const std::filesystem::path& state_dir) {
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::weakly_canonical(state_dir, ec);
  const std::string text = ec ? state_dir.string() : canonical.string();
  std::uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  char buffer[9];
  std::snprintf(buffer, sizeof(buffer), "%08x", hash);
  return buffer;
}

std::map<std::string, std::string> ParseKeyValues(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

// The last few non-empty lines of a log, joined, for failure reasons.
std::string LogTail(const std::filesystem::path& log) {
  Result<std::string> text = ReadTextFile(log);
  if (!text) return "(no log: " + text.error().message + ")";
  std::vector<std::string> lines;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string tail;
  for (size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i) {
    tail += (tail.empty() ? "" : " | ") + lines[i];
  }
  return tail.empty() ? "(the log is empty)" : tail;
}

}  // namespace

struct LocalWorkerPool::Worker {
  WorkerInfo info;
  pid_t pid = -1;
  std::uint64_t start_ticks = 0;
  std::optional<CpuCgroup> cgroup;
  std::filesystem::path log;
  std::filesystem::path pid_file;
  SteadyClock::time_point started = SteadyClock::now();
  // Draining: when the grace ends (on options_.clock), and when SIGTERM went out.
  Clock::TimePoint drain_until;
  std::optional<SteadyClock::time_point> terminated_at;
  bool killed = false;  // SIGKILL sent by the pool
  // The key it was launched with; empty for a worker of a pool before keys.
  std::string idempotency_key;
};

struct LocalWorkerPool::Exit {
  bool gone = true;    // false: it survived SIGKILL (a process in uninterruptible sleep)
  bool clean = false;  // exit status 0
  int signal = 0;      // the signal that ended it, if one did
  std::string description;
};

LocalWorkerPool::LocalWorkerPool(LocalPoolOptions options) : options_(std::move(options)) {}

LocalWorkerPool::~LocalWorkerPool() {
  // The pool's cgroup folder goes when no worker group is left in it (after StopAll);
  // with workers left running it stays for the next pool on this state folder.
  if (cgroups_) (void)RemovePoolCgroups(*cgroups_);
}

Result<std::unique_ptr<LocalWorkerPool>> LocalWorkerPool::Create(LocalPoolOptions options) {
  if (options.binary.empty() || options.data_dir.empty() || options.state_dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the local pool needs the maskfleet binary, a data folder and a state folder");
  }
  if (::access(options.binary.c_str(), X_OK) != 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     options.binary.string() + " is not an executable program: " + std::strerror(errno));
  }
  if (!(options.cpu_allotment > 0) || !std::isfinite(options.cpu_allotment)) {
    return MakeError(ErrorCode::kInvalidArgument, "the CPU allotment must be above 0");
  }
  // Numeric, because the load balancer is given this address and must not resolve names.
  in6_addr any{};
  if (::inet_pton(AF_INET, options.host.c_str(), &any) != 1 &&
      ::inet_pton(AF_INET6, options.host.c_str(), &any) != 1) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the workers' host must be a numeric address, not '" + options.host + "'");
  }
  if (options.clock == nullptr) options.clock = &RealClock();
  std::unique_ptr<LocalWorkerPool> pool(new LocalWorkerPool(std::move(options)));
  if (Status s = pool->Init(); !s) return std::unexpected(s.error());
  return pool;
}

Status LocalWorkerPool::Init() {
  for (const std::filesystem::path& dir :
       {options_.state_dir, options_.state_dir / "workers", options_.state_dir / "logs"}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return std::unexpected(OsError("cannot create " + dir.string(), errno));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot create " + options_.data_dir.string() + ": " + ec.message());
  }

  if (options_.cpu_limit == CpuLimitMode::kAuto || options_.cpu_limit == CpuLimitMode::kCgroup) {
    Result<CgroupSupport> support = PrepareCgroups({.parent = options_.cgroup_parent},
                                                   Tag(options_.state_dir));
    if (support) {
      cgroups_ = *support;
    } else {
      cgroup_reason_ = support.error().message;
      if (options_.cpu_limit == CpuLimitMode::kCgroup) {
        return MakeError(ErrorCode::kUnavailable, "no cgroup can limit the workers' CPU: " + cgroup_reason_);
      }
      governed_ = true;
    }
  } else if (options_.cpu_limit == CpuLimitMode::kGovernor) {
    cgroup_reason_ = "the governor was asked for";
    governed_ = true;
  } else {
    cgroup_reason_ = "no CPU limit was asked for";
  }
  Adopt();
  return {};
}

std::string LocalWorkerPool::cpu_limit_mechanism() const {
  if (cgroups_) return cgroups_->Mechanism();
  return governed_ ? "governor" : "none";
}

void LocalWorkerPool::Adopt() {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(options_.state_dir / "workers", ec)) {
    if (entry.path().extension() == ".pid") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::unique_ptr<Worker>> found;
  for (const std::filesystem::path& file : files) {
    Result<std::string> text = ReadTextFile(file);
    if (!text) continue;
    std::map<std::string, std::string> v = ParseKeyValues(*text);
    auto w = std::make_unique<Worker>();
    w->pid_file = file;
    try {
      w->info.id = v.at("id");
      w->pid = static_cast<pid_t>(std::stol(v.at("pid")));
      w->start_ticks = std::stoull(v.at("start_ticks"));
      w->info.port = static_cast<std::uint16_t>(std::stoul(v.at("port")));
      w->info.launched_at = Clock::TimePoint(std::chrono::milliseconds(std::stoll(v.at("launched_at_ms"))));
    } catch (const std::exception&) {
      // A pid file cut short by a crash: nothing to act on safely.
      std::filesystem::remove(file, ec);
      continue;
    }
    w->info.address = v.count("address") ? v["address"] : options_.host;
    w->log = v["log"];
    w->idempotency_key = v["idempotency_key"];
    if (!v["cgroup_cpu"].empty()) {
      w->cgroup.emplace(v["cgroup_version"] == "1" ? CgroupVersion::kV1 : CgroupVersion::kV2, v["cgroup_cpu"],
                        v["cgroup_cpuacct"]);
    }
    w->info.details = {{"pid", std::to_string(w->pid)},
                       {"cpu_allotment", v["cpu_allotment"]},
                       {"cpu_limit", v["cpu_limit"]},
                       {"log", w->log.string()},
                       {"adopted", "yes"}};
    if (w->cgroup) w->info.details["cgroup"] = w->cgroup->cpu_dir().string();
    found.push_back(std::move(w));
  }

  std::vector<Worker*> to_stop;
  for (auto& w : found) {
    if (!process::ProcessRuns(w->pid, w->start_ticks)) {
      // Reaps it if it is a zombie child of ours (a pool before this one in the same
      // process).
      (void)CheckExit(*w);
      adoption_.gone.push_back(w->info.id);
      continue;
    }
    if (w->info.port != 0 && Healthy(*w)) {
      adoption_.adopted.push_back(w->info.id);
      w->info.state = WorkerState::kInService;
      w->info.state_since = options_.clock->Now();
      continue;
    }
    adoption_.stopped.push_back(w->info.id);
    to_stop.push_back(w.get());
  }
  (void)Terminate(to_stop);

  std::lock_guard lock(mu_);
  for (auto& w : found) {
    if (w->info.state == WorkerState::kInService) {
      workers_.push_back(std::move(w));
    } else {
      if (w->cgroup) (void)w->cgroup->Remove();
      std::filesystem::remove(w->pid_file, ec);
    }
  }
}

Result<std::uint64_t> LocalWorkerPool::NextSequence() {
  const std::filesystem::path file = options_.state_dir / "next_id";
  std::uint64_t next = 1;
  if (Result<std::string> text = ReadTextFile(file); text) {
    try {
      next = std::max<std::uint64_t>(1, std::stoull(*text));
    } catch (const std::exception&) {
      // Unreadable: start above every id still known, below.
    }
  }
  // Never below an id in use (a lost or damaged counter file).
  for (const auto& w : workers_) {
    try {
      next = std::max<std::uint64_t>(next, std::stoull(w->info.id.substr(1)) + 1);
    } catch (const std::exception&) {
    }
  }
  if (Status s = WriteFileAtomically(file, std::to_string(next + 1) + "\n"); !s) {
    return std::unexpected(s.error());
  }
  return next;
}

std::vector<std::string> LocalWorkerPool::ChildEnvironment(bool governed) const {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  env["MASKFLEET_WORKER_HTTP_THREADS"] = std::to_string(options_.http_threads);
  env["MASKFLEET_WORKER_DETECTION_THREADS"] = std::to_string(options_.detection_threads);
  env["MASKFLEET_WORKER_DETECTION_QUEUE"] = std::to_string(options_.detection_queue);
  env["MASKFLEET_WORKER_OPENCV_THREADS"] = std::to_string(options_.opencv_threads);
  // Only a governed worker governs itself; one inherited from our own environment
  // would double-limit a worker in a cgroup.
  env.erase(governor::kAllotmentVariable);
  if (governed) env[governor::kAllotmentVariable] = FormatCpus(options_.cpu_allotment);
  for (const auto& [key, value] : options_.environment) env[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

Result<WorkerInfo> LocalWorkerPool::Launch(std::string_view idempotency_key) {
  std::lock_guard control(control_mu_);
  if (Status st = ValidateIdempotencyKey(idempotency_key); !st) return std::unexpected(st.error());
  for (const auto& known : workers_) {
    if (known->idempotency_key == idempotency_key) {
      std::lock_guard lock(mu_);
      return known->info;
    }
  }
  const auto live = std::count_if(workers_.begin(), workers_.end(),
                                  [](const auto& w) { return !IsFinal(w->info.state); });
  if (live >= options_.max_workers) {
    return MakeError(ErrorCode::kResourceExhausted, "the pool already has its maximum of " +
                                                        std::to_string(options_.max_workers) + " workers");
  }
  Result<std::uint64_t> sequence = NextSequence();
  if (!sequence) return std::unexpected(sequence.error().WithContext("cannot number a new worker"));

  auto w = std::make_unique<Worker>();
  w->info.id = "w" + std::to_string(*sequence);
  w->info.address = options_.host;
  w->info.launched_at = w->info.state_since = options_.clock->Now();
  w->log = options_.state_dir / "logs" / (w->info.id + ".log");
  w->pid_file = options_.state_dir / "workers" / (w->info.id + ".pid");
  w->idempotency_key = std::string(idempotency_key);

  bool governed = governed_;
  std::string limit = cpu_limit_mechanism();
  std::vector<int> procs_fds;
  if (cgroups_) {
    Result<CpuCgroup> group = CpuCgroup::Create(*cgroups_, w->info.id, options_.cpu_allotment);
    Result<std::vector<int>> fds = group ? group->OpenProcsFiles() : std::unexpected(group.error());
    if (fds) {
      w->cgroup = *group;
      procs_fds = *fds;
    } else {
      if (group) (void)group->Remove();
      if (options_.cpu_limit == CpuLimitMode::kCgroup) {
        return std::unexpected(fds.error().WithContext("cannot limit the new worker's CPU"));
      }
      // This one worker governs itself; the next launch tries a cgroup again.
      governed = true;
      limit = "governor";
      w->info.details["cpu_limit_note"] = "no cgroup: " + fds.error().message;
    }
  }

  std::vector<std::string> args = {
      options_.binary.string(),   "worker", "--host",  options_.host, "--port", "0", "--data-dir",
      options_.data_dir.string(), "--name", w->info.id};
  if (!options_.config_file.empty()) {
    args.push_back("--config");
    args.push_back(options_.config_file.string());
  }
  // SIGTERM as the parent-death signal when asked for: the worker's own graceful stop.
  // A process group of its own: a Ctrl-C in the terminal, or `timeout`, signals the
  // manager's group, and the manager then stops its children in order (drain first);
  // they must not get the signal directly and quit under it.
  Result<process::Subprocess> spawned = process::Subprocess::Spawn({
      .argv = std::move(args),
      .environment = ChildEnvironment(governed),
      .output = process::Output::kLogFile,
      .log_file = w->log,
      .own_process_group = true,
      .parent_death_signal = options_.stop_with_manager ? SIGTERM : 0,
      .cgroup_procs_fds = procs_fds,
  });
  for (int fd : procs_fds) ::close(fd);
  if (!spawned) {
    if (w->cgroup) (void)w->cgroup->Remove();
    return std::unexpected(spawned.error().WithContext("cannot start a worker"));
  }
  // The pool reaps the worker by its pid (CheckExit), as it does adopted ones; the
  // Subprocess object is not kept.
  const pid_t child = spawned->pid();

  w->pid = child;
  // The child cannot have been reaped yet (only we reap it), so its stat is there.
  if (Result<process::ProcStat> stat = process::ReadProcStat(child); stat) w->start_ticks = stat->start_ticks;
  w->started = SteadyClock::now();
  w->info.details["pid"] = std::to_string(child);
  w->info.details["cpu_allotment"] = FormatCpus(options_.cpu_allotment);
  w->info.details["cpu_limit"] = limit;
  w->info.details["log"] = w->log.string();
  if (w->cgroup) w->info.details["cgroup"] = w->cgroup->cpu_dir().string();
  if (Status s = WritePidFile(*w); !s) {
    // Without a pid file a later pool could not find it: do not leave it running.
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    if (w->cgroup) (void)w->cgroup->Remove();
    return std::unexpected(s.error().WithContext("cannot record the new worker"));
  }
  WorkerInfo info = w->info;
  std::lock_guard lock(mu_);
  workers_.push_back(std::move(w));
  return info;
}

Status LocalWorkerPool::WritePidFile(const Worker& w) const {
  std::ostringstream out;
  out << "id=" << w.info.id << "\n"
      << "pid=" << w.pid << "\n"
      << "start_ticks=" << w.start_ticks << "\n"
      << "address=" << w.info.address << "\n"
      << "port=" << w.info.port << "\n"
      << "launched_at_ms=" << ToMillis(w.info.launched_at) << "\n"
      << "cpu_allotment=" << (w.info.details.count("cpu_allotment") ? w.info.details.at("cpu_allotment") : "")
      << "\n"
      << "cpu_limit=" << (w.info.details.count("cpu_limit") ? w.info.details.at("cpu_limit") : "") << "\n"
      << "log=" << w.log.string() << "\n"
      << "idempotency_key=" << w.idempotency_key << "\n";
  if (w.cgroup) {
    out << "cgroup_version=" << (w.cgroup->version() == CgroupVersion::kV1 ? 1 : 2) << "\n"
        << "cgroup_cpu=" << w.cgroup->cpu_dir().string() << "\n"
        << "cgroup_cpuacct=" << w.cgroup->cpuacct_dir().string() << "\n";
  }
  return WriteFileAtomically(w.pid_file, out.str());
}

std::vector<WorkerInfo> LocalWorkerPool::List() const {
  std::lock_guard lock(mu_);
  std::vector<WorkerInfo> out;
  out.reserve(workers_.size());
  for (const auto& w : workers_) out.push_back(w->info);
  return out;
}

LocalWorkerPool::Worker* LocalWorkerPool::Find(std::string_view id) {
  for (auto& w : workers_) {
    if (w->info.id == id) return w.get();
  }
  return nullptr;
}

void LocalWorkerPool::SetState(Worker& w, WorkerState to, std::string reason,
                               std::vector<WorkerChange>* changes) {
  if (w.info.state == to) return;
  if (changes != nullptr) changes->push_back({w.info.id, w.info.state, to, reason});
  std::lock_guard lock(mu_);
  w.info.state = to;
  w.info.state_since = options_.clock->Now();
  w.info.reason = std::move(reason);
}

void LocalWorkerPool::Release(Worker& w) {
  std::error_code ec;
  std::filesystem::remove(w.pid_file, ec);
  if (w.cgroup) {
    // Only fails if a process still sits in it (a worker's own child that outlived
    // it); then the folder stays, as a trace for whoever looks.
    (void)w.cgroup->Remove();
  }
}

void LocalWorkerPool::Trim() {
  std::lock_guard lock(mu_);
  std::size_t finished = 0;
  for (const auto& x : workers_) finished += IsFinal(x->info.state) ? 1 : 0;
  while (finished > options_.keep_finished) {
    auto oldest = std::find_if(workers_.begin(), workers_.end(),
                               [](const auto& x) { return IsFinal(x->info.state); });
    workers_.erase(oldest);
    --finished;
  }
}

std::optional<LocalWorkerPool::Exit> LocalWorkerPool::CheckExit(Worker& w) const {
  Result<process::ProcStat> stat = process::ReadProcStat(w.pid);
  const bool same = stat && stat->start_ticks == w.start_ticks;
  if (same && stat->state != 'Z' && stat->state != 'X') return std::nullopt;
  Exit exit;
  if (same) {
    int status = 0;
    const pid_t r = ::waitpid(w.pid, &status, WNOHANG);
    if (r == w.pid) {
      if (WIFEXITED(status)) {
        exit.clean = WEXITSTATUS(status) == 0;
        exit.description = "exited with status " + std::to_string(WEXITSTATUS(status));
        if (!exit.clean) exit.description += ": " + LogTail(w.log);
      } else if (WIFSIGNALED(status)) {
        exit.signal = WTERMSIG(status);
        exit.description = "killed by " + process::SignalName(WTERMSIG(status));
      }
      return exit;
    }
    if (r == 0) return std::nullopt;  // a zombie a moment before waitpid sees it
  }
  // Not our child (adopted from another process), or reaped already: how it ended is
  // not known.
  exit.description = "ended (exit status unknown)";
  return exit;
}

std::vector<LocalWorkerPool::Exit> LocalWorkerPool::Terminate(const std::vector<Worker*>& workers) const {
  std::vector<std::optional<Exit>> exits(workers.size());
  for (size_t i = 0; i < workers.size(); ++i) {
    exits[i] = CheckExit(*workers[i]);
    if (!exits[i]) {
      ::kill(workers[i]->pid, SIGTERM);
      if (!workers[i]->terminated_at) workers[i]->terminated_at = SteadyClock::now();
    }
  }
  const auto wait_all = [&](std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    for (;;) {
      bool all = true;
      for (size_t i = 0; i < workers.size(); ++i) {
        if (!exits[i]) exits[i] = CheckExit(*workers[i]);
        all = all && exits[i].has_value();
      }
      if (all || SteadyClock::now() >= deadline) return all;
      std::this_thread::sleep_for(20ms);
    }
  };
  if (!wait_all(options_.stop_timeout)) {
    for (size_t i = 0; i < workers.size(); ++i) {
      if (!exits[i]) {
        ::kill(workers[i]->pid, SIGKILL);
        workers[i]->killed = true;
      }
    }
    wait_all(5000ms);
  }
  std::vector<Exit> out;
  for (size_t i = 0; i < workers.size(); ++i) {
    out.push_back(exits[i].value_or(Exit{.gone = false, .description = "survived SIGKILL"}));
    if (workers[i]->killed && exits[i]) {
      out.back().description = "killed after " + std::to_string(options_.stop_timeout.count()) +
                               " ms without stopping";
    }
  }
  return out;
}

bool LocalWorkerPool::Healthy(const Worker& w) const {
  if (w.info.port == 0) return false;
  try {
    httplib::Client client(w.info.address, w.info.port);
    const auto timeout = std::chrono::duration_cast<std::chrono::microseconds>(options_.health_timeout);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Result res = client.Get("/healthz");
    return res && res->status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

std::uint16_t LocalWorkerPool::ReadPort(const Worker& w) const {
  Result<std::string> text = ReadTextFile(w.log);
  if (!text) return 0;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(kListeningPrefix)) continue;
    const auto colon = line.rfind(':');
    if (colon == std::string::npos) continue;
    try {
      const unsigned long port = std::stoul(line.substr(colon + 1));
      if (port > 0 && port <= 65535) return static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
    }
  }
  return 0;
}

Status LocalWorkerPool::Drain(std::string_view id) {
  std::lock_guard control(control_mu_);
  Worker* w = Find(id);
  if (w == nullptr) return MakeError(ErrorCode::kNotFound, "no worker " + std::string(id));
  if (IsFinal(w->info.state)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "worker " + w->info.id + " has already " +
                         std::string(w->info.state == WorkerState::kFailed ? "failed" : "stopped"));
  }
  if (w->info.state == WorkerState::kDraining) return {};
  w->drain_until = options_.clock->Now() + options_.drain_grace;
  SetState(*w, WorkerState::kDraining, "", nullptr);
  return {};
}

Status LocalWorkerPool::Stop(std::string_view id) {
  std::lock_guard control(control_mu_);
  Worker* w = Find(id);
  if (w == nullptr) return MakeError(ErrorCode::kNotFound, "no worker " + std::string(id));
  if (w->info.state == WorkerState::kStopped) return {};
  if (w->info.state == WorkerState::kFailed) {
    return MakeError(ErrorCode::kFailedPrecondition, "worker " + w->info.id + " has failed");
  }
  const Exit exit = Terminate({w}).front();
  SetState(*w, WorkerState::kStopped, "stopped: " + exit.description, nullptr);
  const pid_t pid = w->pid;
  const std::string worker_id = w->info.id;
  Release(*w);
  Trim();
  if (!exit.gone) {
    return MakeError(ErrorCode::kInternal,
                     "worker " + worker_id + " (pid " + std::to_string(pid) + ") survived SIGKILL");
  }
  return {};
}

Status LocalWorkerPool::StopAll() {
  std::lock_guard control(control_mu_);
  std::vector<Worker*> live;
  for (auto& w : workers_) {
    if (!IsFinal(w->info.state)) live.push_back(w.get());
  }
  const std::vector<Exit> exits = Terminate(live);
  std::string stuck;
  for (size_t i = 0; i < live.size(); ++i) {
    if (!exits[i].gone) stuck += (stuck.empty() ? "" : ", ") + live[i]->info.id;
    SetState(*live[i], WorkerState::kStopped, "stopped: " + exits[i].description, nullptr);
  }
  for (Worker* w : live) Release(*w);
  Trim();
  if (!stuck.empty()) return MakeError(ErrorCode::kInternal, "workers survived SIGKILL: " + stuck);
  return {};
}

Result<std::vector<WorkerChange>> LocalWorkerPool::Refresh() {
  std::lock_guard control(control_mu_);
  std::vector<WorkerChange> changes;
  std::vector<Worker*> finished;
  for (auto& owned : workers_) {
    Worker& w = *owned;
    if (IsFinal(w.info.state)) continue;
    if (std::optional<Exit> exit = CheckExit(w); exit) {
      // Our own SIGTERM can end a worker before it has set up its graceful stop (still
      // booting): that is a stop too, not a failure.
      const bool stopped_by_us = w.killed || (w.terminated_at && exit->signal == SIGTERM);
      if (w.info.state == WorkerState::kDraining && (exit->clean || stopped_by_us)) {
        SetState(w, WorkerState::kStopped, "stopped: " + exit->description, &changes);
      } else {
        SetState(w, WorkerState::kFailed, exit->description, &changes);
      }
      finished.push_back(&w);
      continue;
    }
    switch (w.info.state) {
      case WorkerState::kStarting: {
        if (w.info.port == 0) {
          if (const std::uint16_t port = ReadPort(w); port != 0) {
            {
              std::lock_guard lock(mu_);
              w.info.port = port;
            }
            // A later pool adopts by this port; a failed write only costs adoption.
            (void)WritePidFile(w);
          }
        }
        if (Healthy(w)) {
          SetState(w, WorkerState::kInService, "", &changes);
        } else if (SteadyClock::now() - w.started > options_.start_timeout) {
          (void)Terminate({&w});
          SetState(w, WorkerState::kFailed,
                   "not healthy within " + std::to_string(options_.start_timeout.count()) +
                       " ms: " + LogTail(w.log),
                   &changes);
          finished.push_back(&w);
        }
        break;
      }
      case WorkerState::kDraining: {
        if (!w.terminated_at) {
          if (options_.clock->Now() >= w.drain_until) {
            ::kill(w.pid, SIGTERM);
            w.terminated_at = SteadyClock::now();
          }
        } else if (!w.killed && SteadyClock::now() - *w.terminated_at > options_.stop_timeout) {
          ::kill(w.pid, SIGKILL);
          w.killed = true;
        }
        break;
      }
      default: break;
    }
  }
  for (Worker* w : finished) Release(*w);
  Trim();
  return changes;
}

Result<std::pair<CpuUsageReader, double>> LocalWorkerPool::CpuSource(std::string_view id) const {
  // pid, cgroup and details["cpu_allotment"] never change after a worker is listed.
  std::lock_guard lock(mu_);
  for (const auto& w : workers_) {
    if (w->info.id != id || IsFinal(w->info.state)) continue;
    double allotment = options_.cpu_allotment;
    if (auto it = w->info.details.find("cpu_allotment"); it != w->info.details.end()) {
      if (Result<double> parsed = governor::ParseAllotment(it->second); parsed && *parsed > 0) {
        allotment = *parsed;
      }
    }
    if (w->cgroup && w->cgroup->HasUsage()) return std::pair{CgroupCpuUsage(*w->cgroup), allotment};
    return std::pair{ProcessCpuUsage(w->pid), allotment};
  }
  return MakeError(ErrorCode::kNotFound, "no live worker " + std::string(id));
}

Result<CpuReading> LocalWorkerPool::ReadCpu(std::string_view id) const {
  Result<std::pair<CpuUsageReader, double>> source = CpuSource(id);
  if (!source) return std::unexpected(source.error());
  Result<std::chrono::nanoseconds> used = source->first();
  if (!used) return std::unexpected(used.error().WithContext("worker " + std::string(id)));
  return CpuReading{*used, source->second};
}

Result<CpuMeter> LocalWorkerPool::MakeCpuMeter(std::string_view id, const Clock& clock) const {
  Result<std::pair<CpuUsageReader, double>> source = CpuSource(id);
  if (!source) return std::unexpected(source.error());
  return CpuMeter(std::move(source->first), source->second, clock);
}

}  // namespace maskfleet::pool::local
