#include "maskfleet/pool/local/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <sstream>

#include "maskfleet/pool/local/os_files.h"

namespace maskfleet::pool::local {
namespace {

// The quota's period. The kernel lets a group use its quota at any time within a period
// and then stops every thread of it until the period ends, so a worker whose allotment is
// used up (by a burst of uploads) answers even a health check only after the rest of the
// period: up to 75 ms at 0.25 CPU over the kernel's default 100 ms. Over 10 ms that wait is
// at most 7.5 ms; the period grows only where the quota would fall under the kernel's
// 1 ms minimum (allotments under 0.1 CPU).
constexpr std::int64_t kPeriodUsec = 10'000;
constexpr std::int64_t kMinQuotaUsec = 1'000;
constexpr std::int64_t kMaxPeriodUsec = 1'000'000;

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  for (;;) {
    const auto at = text.find(sep);
    parts.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return parts;
}

bool HasToken(std::string_view list, std::string_view token, char sep) {
  for (const std::string& t : Split(list, sep)) {
    if (t == token) return true;
  }
  return false;
}

// mountinfo escapes blanks in paths as \040 and so on.
std::string Unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string octal(field.substr(i + 1, 3));
      if (octal.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(octal, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

Status MakeDir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return std::unexpected(OsError("cannot create " + dir.string(), errno));
  }
  return {};
}

std::string Explain(std::string_view version, const Error& e) {
  return std::string(version) + ": " + e.message;
}

Result<CgroupSupport> PrepareV2(const CgroupOptions& options, const std::string& tag) {
  std::filesystem::path parent = options.parent;
  if (parent.empty()) {
    Result<std::filesystem::path> own = OwnGroupDir(options, "");
    if (!own) return std::unexpected(own.error());
    parent = *own;
  }
  Result<std::string> controllers = ReadTextFile(parent / "cgroup.controllers");
  if (!controllers) return std::unexpected(controllers.error());
  std::string list = *controllers;
  while (!list.empty() && list.back() == '\n') list.pop_back();
  if (!HasToken(list, "cpu", ' ')) {
    return MakeError(ErrorCode::kUnavailable, "the cpu controller is not available in " + parent.string() +
                                                  " (it offers '" + list + "')");
  }
  Result<std::string> enabled = ReadTextFile(parent / "cgroup.subtree_control");
  if (!enabled) return std::unexpected(enabled.error());
  std::string on = *enabled;
  while (!on.empty() && on.back() == '\n') on.pop_back();
  if (!HasToken(on, "cpu", ' ')) {
    // EBUSY here means the group holds processes and is not the root (the kernel's
    // "no internal processes" rule); a delegated parent is the way out.
    if (Status s = WriteControlFile(parent / "cgroup.subtree_control", "+cpu"); !s) {
      return std::unexpected(s.error());
    }
  }
  CgroupSupport support;
  support.version = CgroupVersion::kV2;
  support.cpu_base = parent / ("maskfleet-" + tag);
  if (Status s = MakeDir(support.cpu_base); !s) return std::unexpected(s.error());
  Result<std::string> base_on = ReadTextFile(support.cpu_base / "cgroup.subtree_control");
  if (!base_on) return std::unexpected(base_on.error());
  std::string base_list = *base_on;
  while (!base_list.empty() && base_list.back() == '\n') base_list.pop_back();
  if (!HasToken(base_list, "cpu", ' ')) {
    if (Status s = WriteControlFile(support.cpu_base / "cgroup.subtree_control", "+cpu"); !s) {
      return std::unexpected(s.error());
    }
  }
  return support;
}

Result<CgroupSupport> PrepareV1(const CgroupOptions& options, const std::string& tag) {
  std::filesystem::path parent = options.parent;
  if (parent.empty()) {
    Result<std::filesystem::path> own = OwnGroupDir(options, "cpu");
    if (!own) return std::unexpected(own.error());
    parent = *own;
  }
  CgroupSupport support;
  support.version = CgroupVersion::kV1;
  support.cpu_base = parent / ("maskfleet-" + tag);
  if (Status s = MakeDir(support.cpu_base); !s) return std::unexpected(s.error());
  if (!std::filesystem::exists(support.cpu_base / "cpu.cfs_quota_us")) {
    return MakeError(ErrorCode::kUnavailable, support.cpu_base.string() +
                                                  " has no cpu.cfs_quota_us (CFS bandwidth control "
                                                  "is not in this kernel)");
  }
  if (std::filesystem::exists(support.cpu_base / "cpuacct.usage")) {
    support.cpuacct_base = support.cpu_base;  // cpu and cpuacct mounted together
  } else if (Result<std::filesystem::path> acct = OwnGroupDir(options, "cpuacct"); acct) {
    const std::filesystem::path base = *acct / ("maskfleet-" + tag);
    // Without it the meter reads /proc instead: not a reason to give up the limit.
    if (MakeDir(base)) support.cpuacct_base = base;
  }
  return support;
}

}  // namespace

std::string CgroupSupport::Mechanism() const {
  return version == CgroupVersion::kV2 ? "cgroup v2 cpu.max" : "cgroup v1 cpu.cfs_quota_us";
}

Result<std::filesystem::path> OwnGroupDir(const CgroupOptions& options, const std::string& controller) {
  Result<std::string> groups = ReadTextFile(options.proc_self_cgroup);
  if (!groups) return std::unexpected(groups.error());
  // "4:cpu,cpuacct:/a/b" (v1) or "0::/a/b" (v2).
  std::string group_path;
  bool found = false;
  std::istringstream lines(*groups);
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const bool match = controller.empty() ? (line.substr(0, first) == "0" && controllers.empty())
                                          : HasToken(controllers, controller, ',');
    if (match) {
      group_path = line.substr(second + 1);
      found = true;
      break;
    }
  }
  if (!found) {
    return MakeError(ErrorCode::kNotFound,
                     controller.empty() ? "this process is in no cgroup v2 hierarchy"
                                        : "no cgroup v1 hierarchy has the " + controller + " controller");
  }

  Result<std::string> mounts = ReadTextFile(options.mountinfo);
  if (!mounts) return std::unexpected(mounts.error());
  std::istringstream mount_lines(*mounts);
  for (std::string line; std::getline(mount_lines, line);) {
    // id parent major:minor root mount-point options [optional...] - fstype source super
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    const std::vector<std::string> head = Split(line.substr(0, dash), ' ');
    const std::vector<std::string> tail = Split(line.substr(dash + 3), ' ');
    if (head.size() < 5 || tail.size() < 3) continue;
    const bool match = controller.empty() ? tail[0] == "cgroup2"
                                          : tail[0] == "cgroup" && HasToken(tail[2], controller, ',');
    if (!match) continue;
    const std::string root = Unescape(head[3]);
    const std::filesystem::path mount_point = Unescape(head[4]);
    // Our group's path is relative to the hierarchy's root; the mount shows the part of
    // the hierarchy below `root`.
    std::string relative = group_path;
    if (root != "/" && relative.starts_with(root)) relative = relative.substr(root.size());
    while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
    const std::filesystem::path dir = relative.empty() ? mount_point : mount_point / relative;
    if (std::filesystem::is_directory(dir)) return dir;
    // In a container whose cgroup namespace hides the path, the mount is our group.
    return mount_point;
  }
  return MakeError(ErrorCode::kNotFound, controller.empty()
                                             ? "no cgroup2 file system is mounted"
                                             : "the cgroup hierarchy with " + controller + " is not mounted");
}

Result<CgroupSupport> PrepareCgroups(const CgroupOptions& options, const std::string& tag) {
  Result<CgroupSupport> v2 = PrepareV2(options, tag);
  if (v2) return v2;
  Result<CgroupSupport> v1 = PrepareV1(options, tag);
  if (v1) return v1;
  return MakeError(ErrorCode::kUnavailable,
                   Explain("cgroup v2", v2.error()) + "; " + Explain("cgroup v1", v1.error()));
}

Status RemovePoolCgroups(const CgroupSupport& support) {
  for (const std::filesystem::path& dir : {support.cpu_base, support.cpuacct_base}) {
    if (dir.empty()) continue;
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY) {
      Error e = OsError("cannot remove " + dir.string(), errno);
      e.code = ErrorCode::kInternal;
      return std::unexpected(std::move(e));
    }
  }
  return {};
}

CpuQuota QuotaFor(double cpus) {
  // Below 1 ms per period the kernel refuses the quota: a longer period keeps the share.
  std::int64_t period = kPeriodUsec;
  if (cpus * kPeriodUsec < kMinQuotaUsec) {
    period = std::min<std::int64_t>(kMaxPeriodUsec, std::llround(std::ceil(kMinQuotaUsec / cpus)));
  }
  const std::int64_t quota = std::max<std::int64_t>(kMinQuotaUsec, std::llround(cpus * period));
  return {quota, period};
}

Result<CpuCgroup> CpuCgroup::Create(const CgroupSupport& support, const std::string& name, double cpus) {
  if (!(cpus > 0) || !std::isfinite(cpus)) {
    return MakeError(ErrorCode::kInvalidArgument, "a CPU allotment must be above 0");
  }
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + name + "' is not a group name");
  }
  CpuCgroup group(support.version, support.cpu_base / name,
                  support.cpuacct_base.empty() || support.cpuacct_base == support.cpu_base
                      ? (support.cpuacct_base.empty() ? std::filesystem::path() : support.cpu_base / name)
                      : support.cpuacct_base / name);
  if (Status s = MakeDir(group.cpu_dir_); !s) return std::unexpected(s.error());
  if (group.version_ == CgroupVersion::kV1 && !group.cpuacct_dir_.empty() &&
      group.cpuacct_dir_ != group.cpu_dir_) {
    if (Status s = MakeDir(group.cpuacct_dir_); !s) return std::unexpected(s.error());
  }
  const CpuQuota limit = QuotaFor(cpus);
  const std::int64_t quota = limit.quota_usec;
  Status limited;
  if (group.version_ == CgroupVersion::kV2) {
    limited = WriteControlFile(group.cpu_dir_ / "cpu.max",
                               std::to_string(quota) + " " + std::to_string(limit.period_usec));
  } else {
    limited = WriteControlFile(group.cpu_dir_ / "cpu.cfs_period_us", std::to_string(limit.period_usec));
    if (limited) limited = WriteControlFile(group.cpu_dir_ / "cpu.cfs_quota_us", std::to_string(quota));
  }
  if (!limited) {
    (void)group.Remove();
    return std::unexpected(limited.error());
  }
  return group;
}

CpuCgroup::CpuCgroup(CgroupVersion version, std::filesystem::path cpu_dir, std::filesystem::path cpuacct_dir)
    : version_(version), cpu_dir_(std::move(cpu_dir)), cpuacct_dir_(std::move(cpuacct_dir)) {}

Result<std::vector<int>> CpuCgroup::OpenProcsFiles() const {
  std::vector<int> fds;
  std::vector<std::filesystem::path> dirs = {cpu_dir_};
  if (version_ == CgroupVersion::kV1 && !cpuacct_dir_.empty() && cpuacct_dir_ != cpu_dir_) {
    dirs.push_back(cpuacct_dir_);
  }
  for (const std::filesystem::path& dir : dirs) {
    const std::filesystem::path file = dir / "cgroup.procs";
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      for (int open_fd : fds) ::close(open_fd);
      return std::unexpected(OsError("cannot open " + file.string(), err));
    }
    fds.push_back(fd);
  }
  return fds;
}

bool CpuCgroup::HasUsage() const { return version_ == CgroupVersion::kV2 || !cpuacct_dir_.empty(); }

Result<std::chrono::nanoseconds> CpuCgroup::Usage() const {
  if (version_ == CgroupVersion::kV2) {
    Result<std::string> stat = ReadTextFile(cpu_dir_ / "cpu.stat");
    if (!stat) return std::unexpected(stat.error());
    std::istringstream in(*stat);
    std::string key;
    long long value = 0;
    while (in >> key >> value) {
      if (key == "usage_usec") return std::chrono::microseconds(value);
    }
    return MakeError(ErrorCode::kUnavailable, (cpu_dir_ / "cpu.stat").string() + " has no usage_usec");
  }
  if (cpuacct_dir_.empty()) {
    return MakeError(ErrorCode::kUnavailable, "no cpuacct controller for " + cpu_dir_.string());
  }
  Result<std::string> usage = ReadTextFile(cpuacct_dir_ / "cpuacct.usage");
  if (!usage) return std::unexpected(usage.error());
  try {
    return std::chrono::nanoseconds(std::stoll(*usage));
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kUnavailable,
                     (cpuacct_dir_ / "cpuacct.usage").string() + " holds '" + *usage + "'");
  }
}

Status CpuCgroup::Remove() const {
  for (const std::filesystem::path& dir : {cpuacct_dir_, cpu_dir_}) {
    if (dir.empty()) continue;
    if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
      return std::unexpected(OsError("cannot remove " + dir.string(), errno));
    }
  }
  return {};
}

}  // namespace maskfleet::pool::local
