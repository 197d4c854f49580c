// CPU control groups for local workers: finding out whether this process can make
// groups that limit CPU, making one per worker with a quota, reading its CPU usage.
//
// Linux has two cgroup interfaces, and a machine may have both (a "hybrid" layout, as
// this project's sandbox: the cpu controller on a v1 hierarchy at /sys/fs/cgroup/cpu,
// a unified v2 hierarchy at /sys/fs/cgroup/unified without it). Which controller lives
// where is read from /proc/self/mountinfo and /proc/self/cgroup, never assumed:
//   v2: the cpu controller must be available in our own group (cgroup.controllers) and
//       enabled for its children (cgroup.subtree_control). The kernel refuses the
//       latter (EBUSY) for a non-root group that holds processes, so unless we run in
//       the root group, or are given a delegated parent group (systemd Delegate=yes)
//       with `parent`, v2 is not usable; the limit is cpu.max, usage cpu.stat's
//       usage_usec.
//   v1: the "cpu" hierarchy, where any writable group can have children; the limit is
//       cpu.cfs_quota_us over cpu.cfs_period_us, usage cpuacct.usage from the
//       "cpuacct" hierarchy (mounted together with cpu or apart; a twin group is made
//       there when apart).
// v2 is tried first. Groups are made under our own group (or `parent`) in one folder
// per pool, "maskfleet-<tag>", then one per worker.
//
// Thread safety: the functions and CpuCgroup's const methods may be called from any
// thread; they only touch the file system.
#ifndef MASKFLEET_POOL_LOCAL_CGROUP_H_
#define MASKFLEET_POOL_LOCAL_CGROUP_H_

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::pool::local {

enum class CgroupVersion { kV1, kV2 };

// Where a pool makes its workers' groups: the result of PrepareCgroups().
struct CgroupSupport {
  CgroupVersion version = CgroupVersion::kV2;
  // The pool's folder in the cpu hierarchy (v2: the unified one); worker groups are
  // made in it.
  std::filesystem::path cpu_base;
  // v1 only: the pool's folder in the cpuacct hierarchy (equal to cpu_base when the
  // two controllers share a hierarchy); empty when there is no cpuacct controller.
  std::filesystem::path cpuacct_base;

  // "cgroup v2 cpu.max" or "cgroup v1 cpu.cfs_quota_us": what the UI shows.
  std::string Mechanism() const;
};

struct CgroupOptions {
  // The group under which the pool's folder is made. Default empty: our own group in
  // the hierarchy that has the cpu controller.
  std::filesystem::path parent;
  // Where the kernel describes this process's groups and mounts; other files in tests.
  // Defaults: /proc/self/cgroup and /proc/self/mountinfo.
  std::filesystem::path proc_self_cgroup = "/proc/self/cgroup";
  std::filesystem::path mountinfo = "/proc/self/mountinfo";
};

// Where our groups are, per hierarchy: the folder of our own group in the hierarchy
// holding `controller` ("cpu", "cpuacct"), or in the unified (v2) hierarchy for "".
// Errors: kNotFound (no such hierarchy mounted), kUnavailable (the files cannot be
// read).
Result<std::filesystem::path> OwnGroupDir(const CgroupOptions& options, const std::string& controller);

// Makes (or reuses) the pool's folder "maskfleet-<tag>" and checks that a CPU limit can
// be set in groups under it, trying v2 and then v1. Success: where to make worker
// groups. Errors: kUnavailable with every reason found ("cgroup v2: cpu controller not
// available in /sys/fs/cgroup/unified; cgroup v1: /sys/fs/cgroup/cpu: Read-only file
// system"), for the log and the UI; the pool then falls back to the governor.
Result<CgroupSupport> PrepareCgroups(const CgroupOptions& options, const std::string& tag);

// Removes the pool's folders if they are empty; a folder still in use stays (not an
// error). Errors: kInternal for other failures.
Status RemovePoolCgroups(const CgroupSupport& support);

// A CFS bandwidth limit: `quota_usec` of CPU time per `period_usec`.
struct CpuQuota {
  std::int64_t quota_usec = 0;
  std::int64_t period_usec = 0;
};

// The limit for `cpus` (> 0) CPUs: a 10 ms period, so that a group that used up its
// quota waits at most the rest of 10 ms (a health check is not held for most of the
// kernel's default 100 ms); longer only where the quota would fall under the kernel's
// minimum of 1 ms (under 0.1 CPU), up to its maximum of 1 s.
CpuQuota QuotaFor(double cpus);

// One worker's group (and its cpuacct twin in a split v1 layout).
class CpuCgroup {
 public:
  // Makes <cpu_base>/<name> (reusing one left over, if empty) and limits it to `cpus`
  // CPUs (QuotaFor). Errors: kInvalidArgument (cpus not > 0, or a
  // name that is not a plain file name), kUnavailable (the folder or the limit cannot
  // be written: the errno text and the file).
  static Result<CpuCgroup> Create(const CgroupSupport& support, const std::string& name, double cpus);

  // A group made earlier (by a pool before a restart), from its folders.
  CpuCgroup(CgroupVersion version, std::filesystem::path cpu_dir, std::filesystem::path cpuacct_dir);

  // Opens each cgroup.procs file for writing, O_CLOEXEC, for a child to move itself in
  // by writing "0" before it executes the worker (so not one instruction of the worker
  // runs unlimited). The caller closes them. Errors: kUnavailable.
  Result<std::vector<int>> OpenProcsFiles() const;

  // CPU time used by the processes in the group, since it was made. Errors:
  // kUnavailable (the file cannot be read: the group is gone, or there is no cpuacct
  // controller in a split v1 layout).
  Result<std::chrono::nanoseconds> Usage() const;

  // Whether Usage() can work (false for a split v1 layout without cpuacct).
  bool HasUsage() const;

  // Removes the folders; the processes must have exited. Removing a removed group
  // succeeds. Errors: kUnavailable (EBUSY: a process is still in it; others).
  Status Remove() const;

  CgroupVersion version() const { return version_; }
  const std::filesystem::path& cpu_dir() const { return cpu_dir_; }
  const std::filesystem::path& cpuacct_dir() const { return cpuacct_dir_; }

 private:
  CgroupVersion version_;
  std::filesystem::path cpu_dir_;
  std::filesystem::path cpuacct_dir_;  // v1; empty when none
};

}  // namespace maskfleet::pool::local

#endif  // MASKFLEET_POOL_LOCAL_CGROUP_H_
