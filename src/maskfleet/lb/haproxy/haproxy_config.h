// The HAProxy 2.6 configuration that the manager starts HAProxy with.
//
// One frontend on `frontend_host:frontend_port`, one backend of `slots` pre-declared
// server slots (`server-template`), all in maintenance and pointing nowhere at start.
// Workers come and go at run time by filling and emptying slots through the runtime
// API (runtime_api.h), so that no pool change ever reloads HAProxy: a reload would
// start a new process and hand the listening socket over, which is safe but slow, and
// the runtime API makes it unnecessary. The runtime API listens on a UNIX socket in
// `state_dir` (mode 600, level admin): only the manager's user can drive it.
//
// Pure functions; safe across threads.
#ifndef MASKFLEET_LB_HAPROXY_HAPROXY_CONFIG_H_
#define MASKFLEET_LB_HAPROXY_HAPROXY_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::lb::haproxy {

struct HaproxyConfig {
  // Folder for the generated configuration, the runtime API socket and HAProxy's log.
  // Required; created by HaproxyProcess::Start if missing. A UNIX socket path is
  // limited to 107 bytes, so keep it short.
  std::filesystem::path state_dir;

  // Where people connect. Default 127.0.0.1:8080 (loopback only; "0.0.0.0" to serve
  // other machines).
  std::string frontend_host = "127.0.0.1";
  std::uint16_t frontend_port = 8080;

  // Number of server slots, that is the most workers the balancer can hold. Default 64
  // (the pool's bound is 8; slots are cheap, and a slot is reused only after all the
  // others have been, see haproxy_load_balancer.h).
  int slots = 64;

  // Health checks: GET `health_path`, 200 expected, every `check_interval`; a server is
  // down after `fall` failed checks in a row and up again after `rise` passed ones.
  // Defaults 2 s, 2 and 1 (a dead worker stops receiving requests within about 4 s);
  // tests use 200 ms. `check_timeout` (default 1 s) bounds one check: a worker keeps
  // HTTP threads to spare for /healthz however busy it is (docs/operations.md), so a
  // check that takes longer means a worker that cannot serve, not a busy one.
  std::string health_path = "/healthz";
  // The most requests one server (worker) is sent at once; more wait in HAProxy's queue
  // (at most 30 s) until one of its requests ends. 0 (the default): no limit. The
  // manager sets the workers' worker::BalancedRequestLimit, so that HAProxy never takes
  // the threads a worker keeps for its health checks.
  int server_maxconn = 0;
  std::chrono::milliseconds check_interval{2000};
  std::chrono::milliseconds check_timeout{1000};
  int fall = 2;
  int rise = 1;

  // Timeouts. `server_timeout` bounds the time a worker may take to answer a request
  // (an upload of a large photo with detection); `client_timeout` a client's silence
  // while sending; `http_request_timeout` the time to send a whole request head
  // (slow-header attacks). Defaults 5 s, 60 s, 60 s, 10 s.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds server_timeout{60000};
  std::chrono::milliseconds client_timeout{60000};
  std::chrono::milliseconds http_request_timeout{10000};

  // HAProxy threads. Default 1: the balancer forwards little traffic next to the CPU
  // cost of detection, and the cores are the workers'.
  int threads = 1;
};

// Names every part of HAProxy shares with the code that drives it.
inline constexpr char kBackendName[] = "workers";
inline constexpr char kFrontendName[] = "entry";
inline constexpr char kSlotPrefix[] = "w";

// The longest runtime-API socket path HAProxy can bind: sockaddr_un.sun_path holds 107
// bytes and a NUL, and HAProxy first binds "<path>.<pid>.tmp" (up to 12 bytes more)
// before renaming it (found when a deep temporary folder made it fail).
inline constexpr std::size_t kMaxSocketPathLength = 95;

// Paths inside `state_dir`.
std::filesystem::path ConfigPath(const HaproxyConfig& config);  // haproxy.cfg
std::filesystem::path SocketPath(const HaproxyConfig& config);  // admin.sock
std::filesystem::path LogPath(const HaproxyConfig& config);     // haproxy.log

// The name of slot `index` (1-based): "w1" .. "w<slots>".
std::string SlotName(int index);

// Checks the fields (ports, counts, durations, characters that would break the file's
// syntax). Errors: kInvalidArgument naming the field.
Status ValidateConfig(const HaproxyConfig& config);

// A TCP port free on the numeric IPv4 address `host` a moment ago (the kernel's pick
// for port 0), for a frontend configured with port 0: HAProxy needs the number in its
// configuration. Another process could take it before HAProxy binds; HAProxy's start
// then fails and says so. Errors: kInvalidArgument (not a numeric IPv4 address),
// kUnavailable.
Result<std::uint16_t> FreeTcpPort(const std::string& host);

// The text of haproxy.cfg. Errors: those of ValidateConfig.
Result<std::string> RenderConfig(const HaproxyConfig& config);

// The bodies of the answers HAProxy makes itself: 502 (no valid answer from a worker),
// 503 (no worker up), 504 (a worker's answer took longer than server_timeout) and 404
// (the refused /metrics). The API promises JSON on every answer, so each is the JSON a
// worker gives for that status, in the request's style: the specification's for
// POST /api/register and /api/upload, /api/v1's (with "reason") for every other path,
// pages included. One map file per status in `state_dir`/errors ("<style> <json>" a
// line), which haproxy.cfg reads; HaproxyProcess::Start writes them.
struct GeneratedFile {
  std::filesystem::path path;
  std::string text;
};
std::vector<GeneratedFile> ErrorMaps(const HaproxyConfig& config);

}  // namespace maskfleet::lb::haproxy

#endif  // MASKFLEET_LB_HAPROXY_HAPROXY_CONFIG_H_
