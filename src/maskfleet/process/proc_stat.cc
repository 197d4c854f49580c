#include "maskfleet/process/proc_stat.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace maskfleet::process {

Result<ProcStat> ParseProcStat(const std::string& text) {
  // "pid (comm) state ppid ..." — comm may contain ") ", so the last ')' ends it.
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) {
    return MakeError(ErrorCode::kInvalidArgument, "not a /proc stat line: '" + text + "'");
  }
  std::istringstream in(text.substr(close + 2));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string f; in >> f;) fields.push_back(std::move(f));
  if (fields.size() < 20) {
    return MakeError(ErrorCode::kInvalidArgument, "short /proc stat line: '" + text + "'");
  }
  ProcStat stat;
  stat.state = fields[0].empty() ? '?' : fields[0][0];
  try {
    const std::uint64_t utime = std::stoull(fields[11]);  // field 14
    const std::uint64_t stime = std::stoull(fields[12]);  // field 15
    stat.start_ticks = std::stoull(fields[19]);           // field 22
    static const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    stat.cpu = std::chrono::nanoseconds(static_cast<std::int64_t>(
        (utime + stime) * (1'000'000'000ULL / static_cast<std::uint64_t>(ticks_per_second))));
  } catch (const std::exception&) {
    return MakeError(ErrorCode::kInvalidArgument, "unreadable /proc stat line: '" + text + "'");
  }
  return stat;
}

Result<ProcStat> ReadProcStat(pid_t pid, const std::filesystem::path& proc) {
  const std::filesystem::path path = proc / std::to_string(pid) / "stat";
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                     "cannot open " + path.string() + ": " + std::strerror(err));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return MakeError(ErrorCode::kUnavailable, "cannot read " + path.string());
  return ParseProcStat(text);
}

bool ProcessRuns(pid_t pid, std::uint64_t start_ticks) {
  if (pid <= 0) return false;
  Result<ProcStat> stat = ReadProcStat(pid);
  return stat && stat->start_ticks == start_ticks && stat->state != 'Z' && stat->state != 'X';
}

}  // namespace maskfleet::process
