// Helpers for the local pool's tests (test code only): a temporary folder, a busy child
// process, waiting for a condition, and the process table.
#ifndef MASKFLEET_POOL_LOCAL_TEST_SUPPORT_H_
#define MASKFLEET_POOL_LOCAL_TEST_SUPPORT_H_

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "maskfleet/testing/temp_dir.h"

namespace maskfleet::pool::local::testing {

// A fresh folder under /tmp (/tmp/mf-pool-XXXXXX), removed on destruction.
class TempDir : public ::maskfleet::testing::TempDir {
 public:
  TempDir() : ::maskfleet::testing::TempDir("mf-pool") {}
};

// `sh -c 'while :; do :; done'`: one thread that wants a whole core. It first writes
// "0" into each of `procs_fds` (cgroup.procs files: it joins those groups), and dies
// with the test process. Killed and reaped on destruction.
class BusyChild {
 public:
  explicit BusyChild(const std::vector<int>& procs_fds = {}) {
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      for (int fd : procs_fds) {
        if (::write(fd, "0", 1) != 1) ::_exit(2);
      }
      ::execl("/bin/sh", "sh", "-c", "while :; do :; done", static_cast<char*>(nullptr));
      ::_exit(3);
    }
  }
  BusyChild(const BusyChild&) = delete;
  BusyChild& operator=(const BusyChild&) = delete;
  ~BusyChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename Condition>
bool WaitUntilTrue(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// Processes whose parent is `parent` (zombies included), from /proc.
inline std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 >= line.size()) continue;
    // ") S PPID ..."
    const std::string rest = line.substr(close + 4);
    if (std::stol(rest.substr(0, rest.find(' '))) == parent) children.push_back(std::stoi(name));
  }
  return children;
}

// Whether any process (zombies aside) has `text` in its command line.
inline bool AnyProcessMentions(const std::string& text) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto close = line.rfind(')');
    if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace maskfleet::pool::local::testing

#endif  // MASKFLEET_POOL_LOCAL_TEST_SUPPORT_H_
