#include "maskfleet/lb/haproxy/haproxy_process.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "maskfleet/lb/haproxy/runtime_api.h"
#include "maskfleet/lb/haproxy/test_support.h"

namespace maskfleet::lb::haproxy {
namespace {

using ::maskfleet::lb::haproxy::testing::AnyProcessMentions;
using ::maskfleet::lb::haproxy::testing::FastConfig;
using ::maskfleet::lb::haproxy::testing::ProcessGone;
using ::maskfleet::lb::haproxy::testing::TempDir;
using namespace std::chrono_literals;

TEST(LbHaproxyProcessTest, StartsAnswersAndStopsWithoutOrphan) {
  TempDir dir;
  HaproxyConfig config = FastConfig(dir.path());
  HaproxyProcess process(config, {.grace = 2s});
  Status started = process.Start();
  ASSERT_TRUE(started) << started.error().ToString();
  const pid_t pid = process.pid();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process.Running());
  EXPECT_TRUE(AnyProcessMentions(ConfigPath(config).native()));
  EXPECT_EQ(std::filesystem::status(SocketPath(config)).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(process.Stop());
  // Nothing in flight: the soft stop ends at once, long before the grace.
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1500ms);
  EXPECT_FALSE(process.Running());
  EXPECT_EQ(process.pid(), -1);
  EXPECT_TRUE(ProcessGone(pid));
  EXPECT_FALSE(AnyProcessMentions(ConfigPath(config).native()));
  EXPECT_TRUE(process.Stop());  // again: nothing to do
}

TEST(LbHaproxyProcessTest, CanStartAgainAfterStop) {
  TempDir dir;
  HaproxyProcess process(FastConfig(dir.path()), {.grace = 2s});
  ASSERT_TRUE(process.Start());
  Status twice = process.Start();
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(process.Stop());
  Status again = process.Start();
  ASSERT_TRUE(again) << again.error().ToString();
  ASSERT_TRUE(process.Stop());
}

TEST(LbHaproxyProcessTest, DestructorStopsHaproxy) {
  TempDir dir;
  HaproxyConfig config = FastConfig(dir.path());
  pid_t pid = -1;
  {
    HaproxyProcess process(config, {.grace = 2s});
    ASSERT_TRUE(process.Start());
    pid = process.pid();
  }
  EXPECT_TRUE(ProcessGone(pid));
  EXPECT_FALSE(AnyProcessMentions(ConfigPath(config).native()));
}

// What a manager that was killed leaves: its HAProxy (started by a "manager" process
// that ends without stopping it), with `config`; its pid.
pid_t HaproxyOfAKilledOwner(const HaproxyConfig& config, bool stop_with_owner) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t manager = ::fork();
  if (manager < 0) return -1;
  if (manager == 0) {
    ::close(fds[0]);
    HaproxyProcess process(config, {.grace = 2s, .stop_with_owner = stop_with_owner});
    pid_t child = process.Start() ? process.pid() : -1;
    (void)!::write(fds[1], &child, sizeof(child));
    ::_exit(0);  // no destructors: as kill -9
  }
  ::close(fds[1]);
  pid_t haproxy = -1;
  if (::read(fds[0], &haproxy, sizeof(haproxy)) != static_cast<ssize_t>(sizeof(haproxy))) haproxy = -1;
  ::close(fds[0]);
  int status = 0;
  ::waitpid(manager, &status, 0);
  return haproxy;
}

TEST(LbHaproxyProcessTest, OutlivesAKilledOwnerAndTheNextStartAdoptsIt) {
  TempDir dir;
  HaproxyConfig config = FastConfig(dir.path());
  const pid_t haproxy = HaproxyOfAKilledOwner(config, /*stop_with_owner=*/false);
  ASSERT_GT(haproxy, 0);
  std::this_thread::sleep_for(500ms);  // a parent-death signal would have ended it by now
  ASSERT_FALSE(ProcessGone(haproxy));

  HaproxyProcess next(config, {.grace = 2s});
  Status started = next.Start();
  ASSERT_TRUE(started) << started.error().ToString();
  EXPECT_TRUE(next.WasAdopted());
  EXPECT_EQ(next.pid(), haproxy);
  EXPECT_TRUE(next.Running());
  ASSERT_TRUE(next.Stop());
  EXPECT_TRUE(testing::WaitUntilTrue([&] { return ProcessGone(haproxy); }, 5s));
  EXPECT_FALSE(next.Running());
  EXPECT_EQ(next.pid(), -1);
}

TEST(LbHaproxyProcessTest, AnEarlierHaproxyWithAnotherConfigurationIsReplaced) {
  TempDir dir;
  HaproxyConfig config = FastConfig(dir.path());
  const pid_t haproxy = HaproxyOfAKilledOwner(config, /*stop_with_owner=*/false);
  ASSERT_GT(haproxy, 0);
  config.frontend_port = testing::FreePort();
  HaproxyProcess next(config, {.grace = 2s});
  Status started = next.Start();
  ASSERT_TRUE(started) << started.error().ToString();
  EXPECT_FALSE(next.WasAdopted());
  EXPECT_NE(next.pid(), haproxy);
  EXPECT_TRUE(testing::WaitUntilTrue([&] { return ProcessGone(haproxy); }, 5s));
  ASSERT_TRUE(next.Stop());
}

TEST(LbHaproxyProcessTest, DiesWithItsParentWhenAskedTo) {
  TempDir dir;
  HaproxyConfig config = FastConfig(dir.path());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t manager = ::fork();
  ASSERT_GE(manager, 0);
  if (manager == 0) {
    // A "manager" that starts HAProxy and dies without stopping it.
    ::close(fds[0]);
    HaproxyProcess process(config, {.grace = 2s, .stop_with_owner = true});
    pid_t child = process.Start() ? process.pid() : -1;
    (void)!::write(fds[1], &child, sizeof(child));
    ::_exit(0);  // no destructors: only PR_SET_PDEATHSIG can stop HAProxy now
  }
  ::close(fds[1]);
  pid_t haproxy = -1;
  ASSERT_EQ(::read(fds[0], &haproxy, sizeof(haproxy)), static_cast<ssize_t>(sizeof(haproxy)));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(manager, &status, 0), manager);
  ASSERT_GT(haproxy, 0);
  EXPECT_TRUE(testing::WaitUntilTrue([&] { return ProcessGone(haproxy); }, 5s));
  EXPECT_TRUE(testing::WaitUntilTrue([&] { return !AnyProcessMentions(ConfigPath(config).native()); }, 5s));
}

TEST(LbHaproxyProcessTest, PortTakenFailsWithHaproxysWords) {
  TempDir dir;
  HaproxyConfig config = FastConfig(dir.path());
  // Hold the frontend port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(config.frontend_port);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  HaproxyProcess process(config, {.grace = 2s});
  Status started = process.Start();
  ::close(fd);
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(started.error().message.find("exited at start"), std::string::npos) << started.error().message;
  EXPECT_NE(started.error().message.find("cannot bind"), std::string::npos) << started.error().message;
  EXPECT_FALSE(process.Running());
}

TEST(LbHaproxyProcessTest, MissingBinaryFails) {
  TempDir dir;
  HaproxyProcess process(FastConfig(dir.path()), {.binary = "/nonexistent/haproxy", .start_timeout = 2s});
  Status started = process.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(started.error().message.find("cannot execute"), std::string::npos) << started.error().message;
}

TEST(LbHaproxyProcessTest, ProgramNotInPathFails) {
  TempDir dir;
  HaproxyProcess process(FastConfig(dir.path()), {.binary = "no-such-haproxy-program"});
  Status started = process.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(started.error().message.find("not found in PATH"), std::string::npos) << started.error().message;
}

TEST(LbHaproxyProcessTest, InvalidConfigurationIsRefusedBeforeStarting) {
  HaproxyConfig config;
  HaproxyProcess process(config);
  EXPECT_EQ(process.Start().error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace maskfleet::lb::haproxy
