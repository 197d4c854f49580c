#include "maskfleet/process/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace maskfleet::process {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string Sh() { return FindProgram("sh").value(); }

// Everything the child writes to its pipe until it closes it (at most 10 s).
std::string ReadAll(int fd) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[512];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

// The first line the child writes to its pipe (at most 10 s).
std::string ReadLine(int fd) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (text.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c;
    if (::read(fd, &c, 1) != 1) break;
    text += c;
  }
  return text;
}

Result<Subprocess> ShellPiped(const std::string& script) {
  return Subprocess::Spawn({.argv = {Sh(), "-c", script}, .output = Output::kPipe});
}

class process_SubprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "maskfleet-process-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(process_SubprocessTest, PipesStdoutAndStderrAndReportsTheExitCode) {
  Result<Subprocess> child = ShellPiped("echo out; echo err >&2; exit 3");
  ASSERT_TRUE(child) << child.error().ToString();
  EXPECT_EQ(ReadAll(child->output_fd()), "out\nerr\n");
  std::optional<ExitStatus> exit = child->Wait(10s);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->code, 3);
  EXPECT_FALSE(exit->clean());
  EXPECT_EQ(exit->Describe(), "exited with status 3");
  // Reaped once; the same answer after.
  std::optional<ExitStatus> again = child->Poll();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->code, 3);
  EXPECT_TRUE(child->Signal(SIGTERM));  // nothing left to signal: a success
}

TEST_F(process_SubprocessTest, AppendsToOrTruncatesTheLogFile) {
  const fs::path log = dir_ / "child.log";
  std::ofstream(log) << "before\n";
  for (bool truncate : {false, true}) {
    Result<Subprocess> child = Subprocess::Spawn({.argv = {Sh(), "-c", "echo line"},
                                                  .output = Output::kLogFile,
                                                  .log_file = log,
                                                  .truncate_log = truncate});
    ASSERT_TRUE(child) << child.error().ToString();
    ASSERT_TRUE(child->Wait(10s));
    std::stringstream text;
    text << std::ifstream(log).rdbuf();
    EXPECT_EQ(text.str(), truncate ? "line\n" : "before\nline\n");
  }
  // A log file it makes is the owner's only.
  const fs::path fresh = dir_ / "fresh.log";
  Result<Subprocess> child = Subprocess::Spawn(
      {.argv = {Sh(), "-c", "exit 0"}, .output = Output::kLogFile, .log_file = fresh});
  ASSERT_TRUE(child);
  ASSERT_TRUE(child->Wait(10s));
  EXPECT_EQ(fs::status(fresh).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(process_SubprocessTest, GetsTheGivenEnvironmentOrTheParentsOwn) {
  ASSERT_EQ(::setenv("MASKFLEET_SUBPROCESS_TEST", "inherited", 1), 0);
  Result<Subprocess> own = ShellPiped("echo \"$MASKFLEET_SUBPROCESS_TEST\"");
  ASSERT_TRUE(own);
  EXPECT_EQ(ReadAll(own->output_fd()), "inherited\n");
  ASSERT_TRUE(own->Wait(10s));
  Result<Subprocess> given = Subprocess::Spawn(
      {.argv = {Sh(), "-c", "echo \"$MASKFLEET_SUBPROCESS_TEST|$OTHER\""},
       .environment = std::vector<std::string>{"OTHER=given"},
       .output = Output::kPipe});
  ASSERT_TRUE(given);
  EXPECT_EQ(ReadAll(given->output_fd()), "|given\n");
  ASSERT_TRUE(given->Wait(10s));
  ::unsetenv("MASKFLEET_SUBPROCESS_TEST");
}

TEST_F(process_SubprocessTest, RunsInAProcessGroupOfItsOwnWhenAsked) {
  for (bool own : {true, false}) {
    Result<Subprocess> child = Subprocess::Spawn({.argv = {Sh(), "-c", "echo ready; exec sleep 30"},
                                                  .output = Output::kPipe,
                                                  .own_process_group = own});
    ASSERT_TRUE(child);
    ASSERT_EQ(ReadLine(child->output_fd()), "ready\n");
    EXPECT_EQ(::getpgid(child->pid()) == child->pid(), own);
    EXPECT_EQ(::getpgid(child->pid()) == ::getpgrp(), !own);
    ASSERT_TRUE(child->Stop({{SIGKILL, 5s}}));
  }
}

TEST_F(process_SubprocessTest, GetsItsParentDeathSignalWhenTheSpawningThreadEnds) {
  std::optional<Subprocess> child;
  std::thread spawner([&] {
    Result<Subprocess> spawned = Subprocess::Spawn(
        {.argv = {Sh(), "-c", "echo ready; exec sleep 30"}, .output = Output::kPipe});
    ASSERT_TRUE(spawned);
    ASSERT_EQ(ReadLine(spawned->output_fd()), "ready\n");
    child.emplace(std::move(*spawned));
  });
  spawner.join();  // the thread that forked it is gone: SIGTERM
  ASSERT_TRUE(child);
  std::optional<ExitStatus> exit = child->Wait(10s);
  ASSERT_TRUE(exit) << "the child outlived the thread that spawned it";
  EXPECT_EQ(exit->signal, SIGTERM);
  EXPECT_EQ(exit->Describe(), "killed by signal 15 (SIGTERM)");
}

TEST_F(process_SubprocessTest, StopEscalatesWhenASignalIsIgnored) {
  // Ignored signals survive exec: the sleep ignores SIGTERM too.
  Result<Subprocess> child = ShellPiped("trap '' TERM; echo ready; exec sleep 30");
  ASSERT_TRUE(child);
  ASSERT_EQ(ReadLine(child->output_fd()), "ready\n");
  const auto begin = std::chrono::steady_clock::now();
  Result<ExitStatus> exit = child->Stop({{SIGTERM, 300ms}, {SIGKILL, 5s}});
  ASSERT_TRUE(exit) << exit.error().ToString();
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - begin, 300ms);
  // Stopping a stopped child answers its exit at once.
  Result<ExitStatus> again = child->Stop({{SIGTERM, 10s}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->signal, SIGKILL);
}

TEST_F(process_SubprocessTest, StopFailsWhenTheChildSurvivesEveryStep) {
  Result<Subprocess> child = ShellPiped("trap '' TERM; echo ready; exec sleep 30");
  ASSERT_TRUE(child);
  ASSERT_EQ(ReadLine(child->output_fd()), "ready\n");
  Result<ExitStatus> exit = child->Stop({{SIGTERM, 100ms}});
  ASSERT_FALSE(exit);
  EXPECT_EQ(exit.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(child->Poll());
  ASSERT_TRUE(child->Stop({{SIGKILL, 5s}}));
}

TEST_F(process_SubprocessTest, StartsWithDefaultSignalsWhateverTheParentBlocked) {
  sigset_t term, old;
  ::sigemptyset(&term);
  ::sigaddset(&term, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &term, &old), 0);
  Result<Subprocess> child = ShellPiped("echo ready; exec sleep 30");
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(child);
  ASSERT_EQ(ReadLine(child->output_fd()), "ready\n");
  Result<ExitStatus> exit = child->Stop({{SIGTERM, 5s}, {SIGKILL, 5s}});
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->signal, SIGTERM);
}

TEST_F(process_SubprocessTest, LeaksNoDescriptorOfTheParent) {
  const int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  ASSERT_GE(leaky, 3);
  const std::string fd = std::to_string(leaky);
  Result<Subprocess> child = ShellPiped("if [ -e /proc/$$/fd/" + fd +
                                        " ]; then echo leaked; else echo closed; fi");
  ::close(leaky);
  ASSERT_TRUE(child);
  EXPECT_EQ(ReadAll(child->output_fd()), "closed\n");
  ASSERT_TRUE(child->Wait(10s));
}

TEST_F(process_SubprocessTest, JoinsTheGivenProcsFilesBeforeExec) {
  // A pipe stands in for a cgroup.procs file: the child writes "0" into it.
  int procs[2];
  ASSERT_EQ(::pipe2(procs, O_CLOEXEC), 0);
  Result<Subprocess> child = Subprocess::Spawn(
      {.argv = {Sh(), "-c", "exit 0"}, .cgroup_procs_fds = {procs[1]}});
  ::close(procs[1]);
  ASSERT_TRUE(child);
  EXPECT_EQ(ReadAll(procs[0]), "0");
  ::close(procs[0]);
  std::optional<ExitStatus> exit = child->Wait(10s);
  ASSERT_TRUE(exit);
  EXPECT_TRUE(exit->clean());
  // One it cannot write: it exits 126 without running the program.
  const int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Result<Subprocess> refused = Subprocess::Spawn(
      {.argv = {Sh(), "-c", "exit 0"}, .output = Output::kPipe, .cgroup_procs_fds = {read_only}});
  ::close(read_only);
  ASSERT_TRUE(refused);
  EXPECT_NE(ReadAll(refused->output_fd()).find("cannot join its cgroup"), std::string::npos);
  std::optional<ExitStatus> refused_exit = refused->Wait(10s);
  ASSERT_TRUE(refused_exit);
  EXPECT_EQ(refused_exit->code, 126);
}

TEST_F(process_SubprocessTest, AProgramThatCannotRunExits127SayingSo) {
  Result<Subprocess> child = Subprocess::Spawn(
      {.argv = {(dir_ / "no-such-program").string()}, .output = Output::kPipe});
  ASSERT_TRUE(child);
  EXPECT_EQ(ReadAll(child->output_fd()), "maskfleet: cannot execute the program\n");
  std::optional<ExitStatus> exit = child->Wait(10s);
  ASSERT_TRUE(exit);
  EXPECT_EQ(exit->code, 127);
}

TEST_F(process_SubprocessTest, RefusesWhatCannotBeStarted) {
  EXPECT_EQ(Subprocess::Spawn({}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Subprocess::Spawn(
                {.argv = {Sh()}, .output = Output::kLogFile, .log_file = dir_ / "missing" / "child.log"})
                .error()
                .code,
            ErrorCode::kUnavailable);
  EXPECT_EQ(FindProgram("maskfleet-no-such-program").error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(FindProgram("./relative").value(), "./relative");
  EXPECT_TRUE(FindProgram("sh").value().ends_with("/sh"));
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
}

}  // namespace
}  // namespace maskfleet::process
