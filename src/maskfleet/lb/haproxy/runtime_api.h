// A client of HAProxy's runtime API (the "stats socket", management.txt section 9.3),
// over its UNIX socket, for the commands maskfleet uses on a server slot.
//
// Each call opens a connection, sends one command line in non-interactive mode, reads
// the answer until HAProxy closes, and checks it; an answer that is not the command's
// success answer becomes an Error whose message holds the command and HAProxy's answer,
// so callers need not add either. Connection problems are kUnavailable (HAProxy not
// running yet, or gone).
//
// Thread safety: safe across threads (no state besides the socket path; each call has
// its own connection, and HAProxy applies each command whole).
#ifndef MASKFLEET_LB_HAPROXY_RUNTIME_API_H_
#define MASKFLEET_LB_HAPROXY_RUNTIME_API_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::lb::haproxy {

// One server of `show servers state` joined with its `show stat` line.
struct ServerSlotState {
  std::string name;     // "w3"
  std::string address;  // "127.0.0.1" ("0.0.0.0" in an empty slot)
  std::uint16_t port = 0;
  // srv_op_state: 0 stopped (down), 1 starting, 2 running, 3 stopping.
  int operational_state = 0;
  // srv_admin_state, a mask: 0x01 forced maintenance, 0x08 forced drain ... (see
  // management.txt, "show servers state").
  unsigned admin_state = 0;
  // `show stat`'s "status": "UP", "DOWN", "DRAIN", "MAINT", "UP 1/2" (going down) ...
  std::string status;
  // "check_status" ("L7OK", "L7STS", "L4CON", "INI"; empty when checks are off),
  // "check_code" (the HTTP status of the check, 0 if none) and "check_desc".
  std::string check_status;
  int check_code = 0;
  std::string check_description;
  int current_sessions = 0;  // "scur"
};

enum class AdminState { kReady, kDrain, kMaint };

// A frontend's request counters, as one HAProxy process answered them (`show stat`,
// management.txt section 9.1). Cumulative since that process started.
struct FrontendCounters {
  // The process that answered ("Pid" of `show info`).
  int pid = 0;
  // "req_tot": HTTP requests received.
  std::uint64_t requests = 0;
  // "hrsp_1xx" + "hrsp_2xx" + "hrsp_3xx" + "hrsp_4xx": responses below 500 sent, by a
  // server or by HAProxy itself (a refused /metrics, a malformed request). Requests
  // answered 5xx (503: no server, queue full, a worker's refusal; 502, 504) or not at
  // all (the client left, a protocol error) are not in it.
  std::uint64_t answered_below_500 = 0;

  bool operator==(const FrontendCounters&) const = default;
};

class RuntimeApi {
 public:
  // `timeout` bounds each call (connect, send, read).
  explicit RuntimeApi(std::filesystem::path socket_path,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // Sends `command` (one line, without the newline) and returns HAProxy's raw answer.
  // Errors: kInvalidArgument (a newline in `command`), kUnavailable (no socket, refused,
  // closed early, or no answer within the timeout).
  Result<std::string> Execute(std::string_view command) const;

  // `set server <backend>/<server> addr <address> port <port>`. Errors: kNotFound (no
  // such backend or server), kInvalidArgument (HAProxy refused the address),
  // kUnavailable, kInternal (any other answer).
  Status SetServerAddress(std::string_view backend, std::string_view server, std::string_view address,
                          std::uint16_t port) const;

  // `set server <backend>/<server> state ready|drain|maint`. Errors: kNotFound,
  // kUnavailable, kInternal.
  Status SetServerState(std::string_view backend, std::string_view server, AdminState state) const;

  // Leaves maintenance with the server marked down (`state ready; health down` in one
  // line): it takes requests only after its first passed check, where `state ready`
  // alone would count it up until the first check fails. Errors: as SetServerState.
  Status ReadyServerDown(std::string_view backend, std::string_view server) const;

  // `enable health` / `disable health <backend>/<server>`. Errors: as SetServerState.
  Status SetHealthChecks(std::string_view backend, std::string_view server, bool enabled) const;

  // Every server of `backend`, from `show servers state <backend>` and
  // `show stat <backend> 4 -1`. Errors: kNotFound (no such backend), kUnavailable,
  // kInternal (an answer in an unexpected format).
  Result<std::vector<ServerSlotState>> ShowServers(std::string_view backend) const;

  // HAProxy's process id, from `show info`. Errors: kUnavailable, kInternal.
  Result<int> ProcessId() const;

  // The counters of `frontend`, from `show info; show stat <frontend> 1 -1` in one
  // connection, so that the process id and the counters come from the same process.
  // Errors: kNotFound (no such frontend), kUnavailable, kInternal (an answer in an
  // unexpected format).
  Result<FrontendCounters> ShowFrontendCounters(std::string_view frontend) const;

  const std::filesystem::path& socket_path() const { return socket_path_; }

 private:
  // Runs a command whose success answer is empty (after trimming).
  Status ExecuteExpectingSilence(const std::string& command) const;

  std::filesystem::path socket_path_;
  std::chrono::milliseconds timeout_;
};

// Parsers, exposed for tests. Errors: kInternal naming what was missing.
Result<std::vector<ServerSlotState>> ParseServersState(std::string_view answer);
Status MergeStat(std::string_view answer, std::vector<ServerSlotState>& servers);
// Errors also kNotFound (no FRONTEND line of `frontend`).
Result<FrontendCounters> ParseFrontendCounters(std::string_view answer, std::string_view frontend);

}  // namespace maskfleet::lb::haproxy

#endif  // MASKFLEET_LB_HAPROXY_RUNTIME_API_H_
