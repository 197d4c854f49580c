#include "maskfleet/pool/local/cgroup.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "maskfleet/pool/local/os_files.h"
#include "maskfleet/pool/local/test_support.h"

namespace maskfleet::pool::local {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

void Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A hybrid layout like this project's sandbox: cpu and cpuacct on v1 hierarchies of
// their own, a unified hierarchy without the cpu controller.
TEST(CgroupTest, FindsOwnGroupsInAHybridLayout) {
  TempDir dir;
  const std::filesystem::path fs = dir.path() / "fs";
  std::filesystem::create_directories(fs / "cpu/jobs/42");
  std::filesystem::create_directories(fs / "cpuacct");
  std::filesystem::create_directories(fs / "unified");
  Write(dir.path() / "cgroup", "9:name=systemd:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/jobs/42\n0::/\n");
  Write(dir.path() / "mountinfo", "30 25 0:26 / " + (fs / "cpu").string() +
                                      " rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
                                      "31 25 0:27 / " +
                                      (fs / "cpuacct").string() +
                                      " rw,relatime shared:10 - cgroup cgroup rw,cpuacct\n"
                                      "32 25 0:28 / " +
                                      (fs / "cpuset").string() +
                                      " rw,relatime shared:11 - cgroup cgroup rw,cpuset\n"
                                      "33 25 0:29 / " +
                                      (fs / "unified").string() +
                                      " rw,relatime shared:12 - cgroup2 cgroup2 rw\n");
  const CgroupOptions options{.proc_self_cgroup = dir.path() / "cgroup",
                              .mountinfo = dir.path() / "mountinfo"};
  EXPECT_EQ(OwnGroupDir(options, "cpu").value(), fs / "cpu/jobs/42");
  EXPECT_EQ(OwnGroupDir(options, "cpuacct").value(), fs / "cpuacct");
  EXPECT_EQ(OwnGroupDir(options, "").value(), fs / "unified");
  // "cpuset" is not "cpu": a hierarchy is matched by whole controller names.
  Write(dir.path() / "cgroup2", "3:cpuset:/\n0::/\n");
  const CgroupOptions only_cpuset{.proc_self_cgroup = dir.path() / "cgroup2",
                                  .mountinfo = dir.path() / "mountinfo"};
  Result<std::filesystem::path> none = OwnGroupDir(only_cpuset, "cpu");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

// Pure v2, in a container whose mount shows only a part of the hierarchy.
TEST(CgroupTest, FindsOwnGroupBelowAMountedSubtree) {
  TempDir dir;
  const std::filesystem::path fs = dir.path() / "sys fs";  // a blank, escaped in mountinfo
  std::filesystem::create_directories(fs / "app");
  Write(dir.path() / "cgroup", "0::/machine/box/app\n");
  std::string escaped = fs.string();
  escaped.replace(escaped.find(' '), 1, "\\040");
  Write(dir.path() / "mountinfo",
        "40 30 0:30 /machine/box " + escaped + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  const CgroupOptions options{.proc_self_cgroup = dir.path() / "cgroup",
                              .mountinfo = dir.path() / "mountinfo"};
  EXPECT_EQ(OwnGroupDir(options, "").value(), fs / "app");
  EXPECT_FALSE(OwnGroupDir(options, "cpu"));
}

// The v2 path on a fake tree (this machine has no cpu controller on v2): the pool's
// folder gets cpu enabled for its children, a worker's group gets cpu.max, usage comes
// from cpu.stat. The kernel would make the control files; here they are made first.
TEST(CgroupTest, UsesV2WhereItsCpuControllerIsAvailable) {
  TempDir dir;
  const std::filesystem::path root = dir.path() / "unified";
  Write(root / "cgroup.controllers", "cpuset cpu io memory pids\n");
  Write(root / "cgroup.subtree_control", "");
  Write(root / "maskfleet-t1/cgroup.subtree_control", "");
  Write(root / "maskfleet-t1/w1/cpu.max", "");
  Write(root / "maskfleet-t1/w1/cpu.stat", "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n");
  Write(dir.path() / "cgroup", "0::/\n");
  Write(dir.path() / "mountinfo",
        "33 25 0:29 / " + root.string() + " rw,relatime shared:12 - cgroup2 cgroup2 rw\n");
  Result<CgroupSupport> support = PrepareCgroups(
      {.proc_self_cgroup = dir.path() / "cgroup", .mountinfo = dir.path() / "mountinfo"}, "t1");
  ASSERT_TRUE(support) << support.error().ToString();
  EXPECT_EQ(support->version, CgroupVersion::kV2);
  EXPECT_EQ(support->Mechanism(), "cgroup v2 cpu.max");
  EXPECT_EQ(support->cpu_base, root / "maskfleet-t1");
  EXPECT_EQ(ReadTextFile(root / "cgroup.subtree_control").value(), "+cpu");
  EXPECT_EQ(ReadTextFile(root / "maskfleet-t1/cgroup.subtree_control").value(), "+cpu");
  Result<CpuCgroup> group = CpuCgroup::Create(*support, "w1", 0.25);
  ASSERT_TRUE(group) << group.error().ToString();
  EXPECT_EQ(ReadTextFile(root / "maskfleet-t1/w1/cpu.max").value(), "2500 10000");
  EXPECT_TRUE(group->HasUsage());
  EXPECT_EQ(group->Usage().value(), std::chrono::microseconds(1234));
}

// Neither interface usable: both reasons are given, for the log and the UI.
TEST(CgroupTest, SaysWhyNoGroupCanBeMade) {
  TempDir dir;
  const std::filesystem::path root = dir.path() / "unified";
  Write(root / "cgroup.controllers", "hugetlb\n");
  Write(dir.path() / "cgroup", "0::/\n");
  Write(dir.path() / "mountinfo",
        "33 25 0:29 / " + root.string() + " rw,relatime shared:12 - cgroup2 cgroup2 rw\n");
  Result<CgroupSupport> support = PrepareCgroups(
      {.proc_self_cgroup = dir.path() / "cgroup", .mountinfo = dir.path() / "mountinfo"}, "t1");
  ASSERT_FALSE(support);
  EXPECT_EQ(support.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(support.error().message.find("cgroup v2: the cpu controller is not available"), std::string::npos)
      << support.error().message;
  EXPECT_NE(support.error().message.find("cgroup v1: no cgroup v1 hierarchy has the cpu controller"),
            std::string::npos)
      << support.error().message;
}

TEST(CgroupTest, QuotaIsOverA10MsPeriodLongerOnlyBelowTheKernelsOneMsMinimum) {
  auto at = [](double cpus) {
    const CpuQuota q = QuotaFor(cpus);
    return std::to_string(q.quota_usec) + " " + std::to_string(q.period_usec);
  };
  EXPECT_EQ(at(0.25), "2500 10000");
  EXPECT_EQ(at(2), "20000 10000");
  EXPECT_EQ(at(0.11), "1100 10000");  // one over 1 ms
  EXPECT_EQ(at(0.1), "1000 10000");   // at 1 ms
  EXPECT_EQ(at(0.09), "1000 11112");  // one under: the period grows, the share stays
  EXPECT_EQ(at(0.01), "1000 100000");
  EXPECT_EQ(at(0.0001), "1000 1000000");  // the kernel's longest period
}

TEST(CgroupTest, RefusesBadGroupNamesAndAllotments) {
  const CgroupSupport support{.version = CgroupVersion::kV1, .cpu_base = "/nonexistent"};
  EXPECT_EQ(CpuCgroup::Create(support, "../escape", 0.25).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(CpuCgroup::Create(support, "w1", 0).error().code, ErrorCode::kInvalidArgument);
}

// On this machine: a group with a quota of 0.2 CPU holds a process that wants a whole
// core to 0.2 CPU. Skipped (with the probe's reasons) where no group can be made.
TEST(CgroupTest, AQuotaLimitsABusyProcess) {
  const std::string tag = "test-" + std::to_string(::getpid());
  Result<CgroupSupport> support = PrepareCgroups({}, tag);
  if (!support) GTEST_SKIP() << "no CPU cgroups here: " << support.error().message;
  std::cout << "mechanism: " << support->Mechanism() << " in " << support->cpu_base << "\n";
  Result<CpuCgroup> group = CpuCgroup::Create(*support, "busy", 0.2);
  ASSERT_TRUE(group) << group.error().ToString();
  if (support->version == CgroupVersion::kV2) {
    EXPECT_EQ(ReadTextFile(group->cpu_dir() / "cpu.max").value(), "2000 10000\n");
  } else {
    EXPECT_EQ(ReadTextFile(group->cpu_dir() / "cpu.cfs_quota_us").value(), "2000\n");
  }
  {
    Result<std::vector<int>> fds = group->OpenProcsFiles();
    ASSERT_TRUE(fds) << fds.error().ToString();
    testing::BusyChild busy(*fds);
    for (int fd : *fds) ::close(fd);
    ASSERT_TRUE(group->HasUsage());
    // Wait until it has joined (it writes to cgroup.procs before exec).
    ASSERT_TRUE(testing::WaitUntilTrue(
        [&] {
          return ReadTextFile(group->cpu_dir() / "cgroup.procs")
                     .value_or("")
                     .find(std::to_string(busy.pid())) != std::string::npos;
        },
        2s));
    const auto u0 = group->Usage();
    const auto t0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(2s);
    const auto u1 = group->Usage();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(u0 && u1);
    const double cpus = std::chrono::duration<double>(*u1 - *u0).count() / wall;
    EXPECT_NEAR(cpus, 0.2, 0.02);
    // A group with a process in it cannot be removed.
    EXPECT_FALSE(group->Remove());
  }
  EXPECT_TRUE(group->Remove());
  EXPECT_FALSE(std::filesystem::exists(group->cpu_dir()));
  EXPECT_TRUE(RemovePoolCgroups(*support));
  EXPECT_FALSE(std::filesystem::exists(support->cpu_base));
}

}  // namespace
}  // namespace maskfleet::pool::local
