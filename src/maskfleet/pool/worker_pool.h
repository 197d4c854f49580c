// WorkerPool: the workers that serve people's requests behind the load balancer, as
// the manager sees and changes them: list them, launch one, drain one, stop one or all.
//
// Implementations:
//   local/  LocalWorkerPool: `maskfleet worker` child processes on loopback ports, each
//           with a CPU allotment (the local mode, and the default)
//   ec2/    Ec2WorkerPool: EC2 instances launched from an AMI or launch template (the
//           AWS mode)
//
// A worker's life:
//
//   Launch -> kStarting --(its /healthz answers 200)--> kInService
//                 |                                         |
//                 |                                  Drain  v
//                 |                                     kDraining --(gone)--> kStopped
//                 +--(dies, or never answers in time)--> kFailed
//
// Stop (from any live state) ends in kStopped; a worker that dies unexpectedly, or
// exits with a failure status, ends in kFailed. kStopped and kFailed are final: a
// worker never comes back, a new one is launched instead (with a new id).
//
// The pool does not talk to the load balancer: the manager adds a worker to it once
// the worker is kInService, and drains it there before calling Drain() here. Drain
// then gives requests in flight time to finish before the worker is stopped.
//
// Changes are learnt by polling: Refresh() health-checks starting workers, notices dead
// ones, moves draining workers on, and returns every state change it made, so the
// manager both sees the transitions (to act on kFailed: remove from the balancer,
// replace) and never misses one between two List() calls. A poll, not a listener,
// because the manager's controller already runs a periodic loop, and because a
// callback fired from inside the pool would run on whatever thread made the change,
// with the pool's locks to think about. Each pool says how often a Refresh() is worth
// making (RefreshInterval(): a local check is cheap, a cloud Describe call is not);
// callers refresh no more often than that and read List() in between.
//
// Launches are idempotent by a caller's key (EC2's ClientToken): a Launch() whose
// outcome the caller could not learn (a time-out, a lost answer) is retried with the
// same key and never starts a second worker.
//
// Thread safety: every method may be called from any thread. Calls that change the
// pool (Launch, Drain, Stop, StopAll, Refresh) are serialised inside the pool, whole
// each; they may block on processes and the network (see each method). List() never
// waits for them: it copies a snapshot under a short lock, so UI threads can read the
// pool while the controller changes it.
#ifndef MASKFLEET_POOL_WORKER_POOL_H_
#define MASKFLEET_POOL_WORKER_POOL_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::pool {

enum class WorkerState {
  // Launched; does not serve yet (booting, loading the model). Not in the balancer.
  kStarting,
  // Its /healthz answered 200: the manager may add it to the balancer.
  kInService,
  // Being taken out: receives no new requests (the manager drained it in the balancer
  // first); requests in flight finish; then it is stopped.
  kDraining,
  // Gone after Drain or Stop. Final.
  kStopped,
  // Died unexpectedly, exited with a failure, or never became healthy in time. Final.
  kFailed,
};

// "starting", "in_service", "draining", "stopped", "failed".
std::string_view WorkerStateName(WorkerState state);

// Whether the worker has ended (kStopped or kFailed).
inline bool IsFinal(WorkerState state) {
  return state == WorkerState::kStopped || state == WorkerState::kFailed;
}

struct WorkerInfo {
  // Unique in the pool, never reused (also not after a restart on the same state):
  // "w7" locally, an EC2 instance id in AWS. The manager keys metrics by it.
  std::string id;
  // Numeric address where the worker serves: "127.0.0.1" locally, the private IP of an
  // instance in AWS.
  std::string address;
  // The worker's HTTP port; 0 while not yet known (a starting local worker that has
  // not said where it listens).
  std::uint16_t port = 0;
  WorkerState state = WorkerState::kStarting;
  // When Launch() started it (an adopted local worker keeps its first launch time;
  // an instance's LaunchTime in AWS).
  std::chrono::system_clock::time_point launched_at;
  // When it reached its current state.
  std::chrono::system_clock::time_point state_since;
  // Why it is kFailed or kStopped, in words ("exited with status 1: <last log lines>",
  // "killed by signal 9"); empty otherwise.
  std::string reason;
  // Implementation-specific facts for people, shown as they are in the UI. Keys used:
  //   local: "pid", "cpu_allotment" (CPUs, "0.25"), "cpu_limit" ("cgroup v2 cpu.max",
  //          "cgroup v1 cpu.cfs_quota_us" or "governor"), "cgroup" (its folder, when
  //          a cgroup limits it), "log" (its log file), "adopted" ("yes" when taken
  //          over from an earlier pool)
  //   aws:   "instance_type", "image_id", "availability_zone", ...
  std::map<std::string, std::string> details;
  // What people are shown about the worker, in this order, each with its label, as
  // (label, value): the pool page lists them as they are, whatever the pool. Empty
  // where the pool has nothing beyond `details`. EC2: "type", "zone", "image".
  std::vector<std::pair<std::string, std::string>> labelled_details;
};

// A state change made by Refresh().
struct WorkerChange {
  std::string id;
  WorkerState from = WorkerState::kStarting;
  WorkerState to = WorkerState::kStarting;
  // As WorkerInfo::reason for kFailed and kStopped; empty otherwise.
  std::string reason;
};

class WorkerPool {
 public:
  virtual ~WorkerPool() = default;

  // Every worker not yet forgotten, ordered by launch (oldest first): the live ones
  // and the most recent finished ones (how many finished ones are kept is the
  // implementation's option). A snapshot; never blocks on the controller's calls.
  virtual std::vector<WorkerInfo> List() const = 0;

  // Starts one worker and returns at once, in kStarting; Refresh() makes it kInService
  // once its /healthz answers 200. `idempotency_key` (ValidateIdempotencyKey: 1 to 64
  // characters of [A-Za-z0-9._:-]) names this launch: a later Launch() with the same
  // key starts nothing and returns that worker as it is now (whatever its state), for
  // as long as the pool remembers the key: while List() shows the worker, at least
  // (EC2 keeps a ClientToken for days). Use a new key for each worker wanted, and the
  // same key to retry a launch whose outcome is unknown. Errors: kInvalidArgument (a
  // bad key), kResourceExhausted (the pool's maximum of live workers is reached),
  // kUnavailable (it could not be started: a process could not be made, an instance
  // not launched, the answer was lost; retry later with the same key), kInternal. On
  // failure no worker is added (for kUnavailable on a remote pool: none that a retry
  // with the same key would not return).
  virtual Result<WorkerInfo> Launch(std::string_view idempotency_key) = 0;

  // Takes a worker out of service: kDraining at once; after the pool's grace period
  // for requests in flight it is stopped, and a later Refresh() reports it kStopped
  // (or kFailed if it exited with a failure status). The caller must already have
  // drained it in the load balancer. Draining a draining worker succeeds and changes
  // nothing. Errors: kNotFound (no such id), kFailedPrecondition (the worker has
  // already ended).
  virtual Status Drain(std::string_view id) = 0;

  // Stops a worker now, from any live state: it is asked to stop (a local worker
  // finishes requests in flight), forced after the pool's stop timeout, and is
  // kStopped when this returns (for pools whose workers take longer to go, such as
  // EC2 instances, kDraining until a later Refresh() sees them gone). Stopping a
  // stopped worker succeeds. Errors: kNotFound, kFailedPrecondition (it has failed),
  // kInternal (it could not be made to stop, not even by force; it is still marked
  // kStopped and forgotten).
  virtual Status Stop(std::string_view id) = 0;

  // Stops every live worker at once (not one after the other) and returns when all
  // have gone, as Stop() does for one. Errors: kInternal naming the workers that could
  // not be stopped cleanly; the others are stopped all the same.
  virtual Status StopAll() = 0;

  // Brings states up to date and returns the changes made, in order. Local pool:
  // starting workers whose port is known get a health check (bounded by the pool's
  // check timeout each); a starting worker that is not healthy within the start
  // timeout is stopped and kFailed; dead processes become kFailed (kStopped when
  // draining and exited 0); draining workers whose grace has passed are signalled.
  // Errors: none so far in the local pool (a failed check is a state, not an error);
  // kUnavailable where the pool cannot ask (a cloud API down): states then stay as
  // they were.
  virtual Result<std::vector<WorkerChange>> Refresh() = 0;

  // The shortest time between two Refresh() calls worth making: a caller that loops
  // faster (the manager's controller ticks every 0.5 s) refreshes only when this much
  // has passed since its last Refresh(), and reads List() in between. Local pool: its
  // option (default 0.5 s, a health check per starting worker); a cloud pool: several
  // seconds (each Refresh() is a Describe call, rate-limited by the provider). Constant
  // for the pool's life; never fails.
  virtual std::chrono::milliseconds RefreshInterval() const = 0;
};

// Success for a key Launch() accepts (see there); kInvalidArgument saying why not.
Status ValidateIdempotencyKey(std::string_view key);

// The longest idempotency key (EC2's ClientToken limit).
inline constexpr std::size_t kMaxIdempotencyKeyLength = 64;

}  // namespace maskfleet::pool

#endif  // MASKFLEET_POOL_WORKER_POOL_H_
