#include "maskfleet/lb/haproxy/runtime_api.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <map>

namespace maskfleet::lb::haproxy {
namespace {

using Clock = std::chrono::steady_clock;

// errno of a socket call on the runtime API, as an Error, once.
Error SocketError(std::string_view what, const std::filesystem::path& path, int err) {
  return Error{ErrorCode::kUnavailable,
               fmt::format("haproxy runtime API {}: {}: {}", path.native(), what, std::strerror(err))};
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// An error for a command whose answer was not its success answer.
Error Refused(std::string_view command, std::string_view answer) {
  std::string_view text = Trim(answer);
  ErrorCode code = ErrorCode::kInternal;
  if (text.starts_with("No such server") || text.starts_with("No such backend") ||
      text.starts_with("Can't find backend") || text.starts_with("No such proxy")) {
    code = ErrorCode::kNotFound;
  } else if (text.starts_with("Invalid addr") || text.starts_with("Invalid port")) {
    code = ErrorCode::kInvalidArgument;
  }
  if (text.empty()) text = "(no answer)";
  // Unknown commands answer with the whole command list: the first line says enough.
  text = text.substr(0, text.find('\n'));
  return Error{code, fmt::format("haproxy '{}': {}", command, text)};
}

std::string_view AdminStateWord(AdminState state) {
  switch (state) {
    case AdminState::kReady: return "ready";
    case AdminState::kDrain: return "drain";
    case AdminState::kMaint: return "maint";
  }
  return "maint";
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// One CSV line of `show stat`; HAProxy quotes a field that holds a comma or a quote
// and doubles the quotes inside.
std::vector<std::string> SplitCsv(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

template <typename T>
bool ParseNumber(std::string_view s, T& out, int base = 10) {
  if (s.empty()) {
    out = 0;
    return true;
  }
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

RuntimeApi::RuntimeApi(std::filesystem::path socket_path, std::chrono::milliseconds timeout)
    : socket_path_(std::move(socket_path)), timeout_(timeout) {}

Result<std::string> RuntimeApi::Execute(std::string_view command) const {
  if (command.find('\n') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "haproxy command holds a newline");
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.native().size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "haproxy runtime API socket path too long: " + socket_path_.native());
  }
  std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.native().size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return std::unexpected(SocketError("socket", socket_path_, errno));
  // A UNIX stream connect completes or fails at once; EAGAIN means HAProxy's backlog is
  // full, which is "try later" too.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return std::unexpected(SocketError("connect", socket_path_, errno));
  }
  const auto deadline = Clock::now() + timeout_;
  auto wait_for = [&](short events) -> Status {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        return MakeError(ErrorCode::kUnavailable,
                         fmt::format("haproxy '{}': no answer within {} ms on {}", command, timeout_.count(),
                                     socket_path_.native()));
      }
      pollfd p{fd.get(), events, 0};
      const int n = ::poll(&p, 1, static_cast<int>(left.count()));
      if (n > 0) return {};
      if (n < 0 && errno != EINTR) return std::unexpected(SocketError("poll", socket_path_, errno));
    }
  };

  std::string line(command);
  line += '\n';
  std::string_view to_send = line;
  while (!to_send.empty()) {
    if (Status ready = wait_for(POLLOUT); !ready) return std::unexpected(ready.error());
    const ssize_t n = ::send(fd.get(), to_send.data(), to_send.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::unexpected(SocketError("send", socket_path_, errno));
    }
    to_send.remove_prefix(static_cast<size_t>(n));
  }
  std::string answer;
  char buffer[16384];
  for (;;) {
    if (Status ready = wait_for(POLLIN); !ready) return std::unexpected(ready.error());
    const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n == 0) break;  // HAProxy closes after answering a non-interactive command.
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return std::unexpected(SocketError("recv", socket_path_, errno));
    }
    answer.append(buffer, static_cast<size_t>(n));
  }
  return answer;
}

Status RuntimeApi::ExecuteExpectingSilence(const std::string& command) const {
  Result<std::string> answer = Execute(command);
  if (!answer) return std::unexpected(answer.error());
  if (!Trim(*answer).empty()) return std::unexpected(Refused(command, *answer));
  return {};
}

Status RuntimeApi::SetServerAddress(std::string_view backend, std::string_view server,
                                    std::string_view address, std::uint16_t port) const {
  const std::string command = fmt::format("set server {}/{} addr {} port {}", backend, server, address, port);
  Result<std::string> answer = Execute(command);
  if (!answer) return std::unexpected(answer.error());
  // Success says what changed ("IP changed from '0.0.0.0' to '127.0.0.1', port changed
  // from '+0' to '9001' by 'stats socket command'") or that nothing had to; errors
  // ("Invalid addr ...") come at the same severity, so the text is what tells them apart.
  const std::string_view text = Trim(*answer);
  if (text.starts_with("IP changed") || text.starts_with("port changed") ||
      text.starts_with("no need to change")) {
    return {};
  }
  return std::unexpected(Refused(command, *answer));
}

Status RuntimeApi::SetServerState(std::string_view backend, std::string_view server, AdminState state) const {
  return ExecuteExpectingSilence(
      fmt::format("set server {}/{} state {}", backend, server, AdminStateWord(state)));
}

Status RuntimeApi::ReadyServerDown(std::string_view backend, std::string_view server) const {
  // Both commands on one line run one after the other in HAProxy's CLI task, so the
  // server is marked down right as it leaves maintenance; it is checked at once and
  // counts as up after `rise` passed checks.
  return ExecuteExpectingSilence(
      fmt::format("set server {0}/{1} state ready; set server {0}/{1} health down", backend, server));
}

Status RuntimeApi::SetHealthChecks(std::string_view backend, std::string_view server, bool enabled) const {
  return ExecuteExpectingSilence(
      fmt::format("{} health {}/{}", enabled ? "enable" : "disable", backend, server));
}

Result<std::vector<ServerSlotState>> ParseServersState(std::string_view answer) {
  auto bad = [&](std::string what) {
    return MakeError(ErrorCode::kInternal, "haproxy 'show servers state': " + std::move(what) +
                                               " in: " + std::string(answer.substr(0, 200)));
  };
  const std::vector<std::string_view> lines = SplitLines(answer);
  if (lines.empty() || Trim(lines[0]) != "1") return bad("not format version 1");
  std::map<std::string_view, size_t> column;
  std::vector<ServerSlotState> servers;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = Trim(lines[i]);
    if (line.empty()) continue;
    if (line.starts_with('#')) {
      const std::vector<std::string_view> names = SplitWords(line.substr(1));
      for (size_t k = 0; k < names.size(); ++k) column[names[k]] = k;
      continue;
    }
    for (const char* name : {"srv_name", "srv_addr", "srv_op_state", "srv_admin_state", "srv_port"}) {
      if (!column.contains(name)) return bad(std::string("no column ") + name);
    }
    const std::vector<std::string_view> words = SplitWords(line);
    auto field = [&](const char* name) -> std::string_view {
      const size_t k = column.at(name);
      return k < words.size() ? words[k] : std::string_view();
    };
    ServerSlotState s;
    s.name = field("srv_name");
    s.address = field("srv_addr");
    if (s.name.empty() || !ParseNumber(field("srv_op_state"), s.operational_state) ||
        !ParseNumber(field("srv_admin_state"), s.admin_state) || !ParseNumber(field("srv_port"), s.port)) {
      return bad("unreadable line '" + std::string(line) + "'");
    }
    servers.push_back(std::move(s));
  }
  return servers;
}

Status MergeStat(std::string_view answer, std::vector<ServerSlotState>& servers) {
  auto bad = [&](std::string what) {
    return MakeError(ErrorCode::kInternal, "haproxy 'show stat': " + std::move(what) +
                                               " in: " + std::string(answer.substr(0, 200)));
  };
  std::map<std::string, size_t> column;
  std::map<std::string_view, ServerSlotState*> by_name;
  for (ServerSlotState& s : servers) by_name[s.name] = &s;
  for (std::string_view line : SplitLines(answer)) {
    line = Trim(line);
    if (line.empty()) continue;
    if (line.starts_with("# ")) {
      const std::vector<std::string> names = SplitCsv(line.substr(2));
      for (size_t k = 0; k < names.size(); ++k) column[names[k]] = k;
      continue;
    }
    for (const char* name : {"svname", "status", "scur", "check_status", "check_code", "check_desc"}) {
      if (!column.contains(name)) return bad(std::string("no column ") + name);
    }
    const std::vector<std::string> fields = SplitCsv(line);
    auto field = [&](const char* name) -> std::string {
      const size_t k = column.at(name);
      return k < fields.size() ? fields[k] : std::string();
    };
    auto it = by_name.find(field("svname"));
    if (it == by_name.end()) continue;  // BACKEND/FRONTEND lines, or a server added since
    ServerSlotState& s = *it->second;
    s.status = field("status");
    // A check in progress is shown with a "* " prefix.
    s.check_status = field("check_status");
    if (s.check_status.starts_with("* ")) s.check_status.erase(0, 2);
    s.check_description = field("check_desc");
    if (!ParseNumber(std::string_view(field("check_code")), s.check_code) ||
        !ParseNumber(std::string_view(field("scur")), s.current_sessions)) {
      return bad("unreadable line '" + std::string(line) + "'");
    }
  }
  return {};
}

Result<std::vector<ServerSlotState>> RuntimeApi::ShowServers(std::string_view backend) const {
  const std::string state_command = fmt::format("show servers state {}", backend);
  Result<std::string> state_answer = Execute(state_command);
  if (!state_answer) return std::unexpected(state_answer.error());
  if (!Trim(*state_answer).starts_with("1")) {
    return std::unexpected(Refused(state_command, *state_answer));
  }
  Result<std::vector<ServerSlotState>> servers = ParseServersState(*state_answer);
  if (!servers) return servers;
  // Type 4: servers only; -1: all of them.
  const std::string stat_command = fmt::format("show stat {} 4 -1", backend);
  Result<std::string> stat_answer = Execute(stat_command);
  if (!stat_answer) return std::unexpected(stat_answer.error());
  if (!Trim(*stat_answer).starts_with("# ")) {
    return std::unexpected(Refused(stat_command, *stat_answer));
  }
  if (Status merged = MergeStat(*stat_answer, *servers); !merged) {
    return std::unexpected(merged.error());
  }
  return servers;
}

Result<FrontendCounters> ParseFrontendCounters(std::string_view answer, std::string_view frontend) {
  auto bad = [&](std::string what) {
    return MakeError(ErrorCode::kInternal, "haproxy 'show info; show stat': " + std::move(what) +
                                               " in: " + std::string(answer.substr(0, 200)));
  };
  FrontendCounters counters;
  std::map<std::string, size_t> column;
  bool found = false;
  for (std::string_view line : SplitLines(answer)) {
    line = Trim(line);
    if (line.starts_with("Pid: ")) {
      if (!ParseNumber(Trim(line.substr(5)), counters.pid) || counters.pid <= 0)
        return bad("an unreadable Pid");
      continue;
    }
    if (line.starts_with("# ")) {
      const std::vector<std::string> names = SplitCsv(line.substr(2));
      for (size_t k = 0; k < names.size(); ++k) column[names[k]] = k;
      continue;
    }
    if (column.empty() || line.empty()) continue;  // the rest of `show info`
    for (const char* name : {"pxname", "svname", "req_tot", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx"}) {
      if (!column.contains(name)) return bad(std::string("no column ") + name);
    }
    const std::vector<std::string> fields = SplitCsv(line);
    auto field = [&](const char* name) -> std::string_view {
      const size_t k = column.at(name);
      return k < fields.size() ? std::string_view(fields[k]) : std::string_view();
    };
    if (field("pxname") != frontend || field("svname") != "FRONTEND") continue;
    std::uint64_t responses[4] = {};
    if (!ParseNumber(field("req_tot"), counters.requests) || !ParseNumber(field("hrsp_1xx"), responses[0]) ||
        !ParseNumber(field("hrsp_2xx"), responses[1]) || !ParseNumber(field("hrsp_3xx"), responses[2]) ||
        !ParseNumber(field("hrsp_4xx"), responses[3])) {
      return bad("unreadable line '" + std::string(line) + "'");
    }
    counters.answered_below_500 = responses[0] + responses[1] + responses[2] + responses[3];
    found = true;
  }
  if (counters.pid == 0) return bad("no 'Pid:' line");
  if (!found) {
    return MakeError(ErrorCode::kNotFound, fmt::format("haproxy: no frontend '{}' in 'show stat'", frontend));
  }
  return counters;
}

Result<FrontendCounters> RuntimeApi::ShowFrontendCounters(std::string_view frontend) const {
  // Type 1: the frontend line only; -1: every server (none for type 1).
  const std::string command = fmt::format("show info; show stat {} 1 -1", frontend);
  Result<std::string> answer = Execute(command);
  if (!answer) return std::unexpected(answer.error());
  return ParseFrontendCounters(*answer, frontend);
}

Result<int> RuntimeApi::ProcessId() const {
  Result<std::string> answer = Execute("show info");
  if (!answer) return std::unexpected(answer.error());
  for (std::string_view line : SplitLines(*answer)) {
    if (!line.starts_with("Pid: ")) continue;
    int pid = 0;
    if (ParseNumber(Trim(line.substr(5)), pid) && pid > 0) return pid;
  }
  return std::unexpected(Refused("show info", "no 'Pid:' line"));
}

}  // namespace maskfleet::lb::haproxy
