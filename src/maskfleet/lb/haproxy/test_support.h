// Helpers for the HAProxy tests (test code only): a short temporary folder, a free
// loopback port, a configuration with fast health checks, and whether a process is gone.
#ifndef MASKFLEET_LB_HAPROXY_TEST_SUPPORT_H_
#define MASKFLEET_LB_HAPROXY_TEST_SUPPORT_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "maskfleet/lb/haproxy/haproxy_config.h"

#include "maskfleet/testing/temp_dir.h"

namespace maskfleet::lb::haproxy::testing {

// A fresh folder under /tmp (/tmp/mf-lb-XXXXXX), removed on destruction.
class TempDir : public ::maskfleet::testing::TempDir {
 public:
  TempDir() : ::maskfleet::testing::TempDir("mf-lb") {}
};

// A loopback TCP port that was free a moment ago (the kernel's pick for port 0).
inline std::uint16_t FreePort() {
  Result<std::uint16_t> port = FreeTcpPort("127.0.0.1");
  if (!port) std::abort();
  return *port;
}

// Health checks every 200 ms, down after 2 failures, up after 1 pass; short grace.
inline HaproxyConfig FastConfig(const std::filesystem::path& state_dir) {
  HaproxyConfig config;
  config.state_dir = state_dir / "haproxy";
  config.frontend_port = FreePort();
  config.slots = 8;
  config.check_interval = std::chrono::milliseconds(200);
  config.check_timeout = std::chrono::milliseconds(500);
  config.fall = 2;
  config.rise = 1;
  return config;
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename Condition>
bool WaitUntilTrue(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

// Whether `pid` no longer runs (gone, or a zombie nobody has reaped yet).
inline bool ProcessGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z';
}

// Whether any running process has `text` in its command line (as `pgrep -f`), zombies
// aside.
inline bool AnyProcessMentions(const std::string& text) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos && !ProcessGone(std::stoi(name))) return true;
  }
  return false;
}

}  // namespace maskfleet::lb::haproxy::testing

#endif  // MASKFLEET_LB_HAPROXY_TEST_SUPPORT_H_
