// The `maskfleet worker` program of this build, as the local pool runs it (a child
// process on a free loopback port), read by LocalMetricsSource: its real /metrics
// parses without a skipped line, and its CPU, read from /proc by a sampler plugged in
// here, lands in the running minute. Request counts per minute are checked in
// worker_end_to_end_test.cc, on a simulated clock: this worker counts wall-clock
// minutes, and the test does not wait for one to end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "maskfleet/metrics/local/local_metrics_source.h"
#include "maskfleet/metrics/local/request_rate_scraper.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::metrics::local {
namespace {

using std::chrono::seconds;

// utime + stime of `pid` from /proc/PID/stat (fields 14 and 15, after the command
// name in parentheses, which may itself hold blanks and parentheses).
Result<std::chrono::nanoseconds> ProcessCpu(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return MakeError(ErrorCode::kNotFound, "no process " + std::to_string(pid));
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return std::chrono::nanoseconds((utime + stime) * 1'000'000'000LL / ticks);
}

// A `maskfleet worker --port 0` child; stopped (SIGTERM, then SIGKILL) on destruction.
class WorkerProcess {
 public:
  WorkerProcess(const std::filesystem::path& data_dir) {
    int out[2];
    if (::pipe(out) != 0) return;
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      ::setenv("MASKFLEET_MODEL_DIR", maskfleet::testing::ModelDir().c_str(), 1);
      ::setenv("MASKFLEET_AUTH_PASSWORD_HASHING", "minimum", 1);
      const std::string dir = data_dir.string();
      ::execl(MASKFLEET_BINARY, MASKFLEET_BINARY, "worker", "--host", "127.0.0.1", "--port", "0",
              "--data-dir", dir.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }
  ~WorkerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (out_ >= 0) ::close(out_);
  }

  // The port of its "listening on HOST:PORT" line, or 0 when none came in `timeout`.
  std::uint16_t WaitListening(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string text;
    while (std::chrono::steady_clock::now() < deadline && out_ >= 0) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const auto at = text.find("listening on ");
      const auto eol = at == std::string::npos ? at : text.find('\n', at);
      if (eol != std::string::npos) {
        const std::string line = text.substr(at, eol - at);
        return static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      }
    }
    return 0;
  }

  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

TEST(metrics_WorkerProcessTest, RealWorkerIsScrapedAndMeasured) {
  if (!std::filesystem::exists(MASKFLEET_BINARY)) GTEST_SKIP() << "no " << MASKFLEET_BINARY;
  if (!std::filesystem::exists(maskfleet::testing::ModelDir())) GTEST_SKIP() << "no model";
  std::string dir = (std::filesystem::temp_directory_path() / "maskfleet-metrics-proc-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{dir};

  WorkerProcess worker(std::filesystem::path(dir) / "worker");
  ASSERT_GT(worker.pid(), 0);
  const std::uint16_t port = worker.WaitListening(seconds(60));
  ASSERT_NE(port, 0) << "the worker did not say where it listens";

  httplib::Client client("127.0.0.1", port);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client.Get("/api/v1/session"));
  auto raw = client.Get("/metrics");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200);
  EXPECT_NE(raw->body.find("maskfleet_requests_per_minute"), std::string::npos);
  const ParsedRequestMinutes parsed = ParseRequestMinutes(raw->body);
  EXPECT_EQ(parsed.skipped_lines, 0);
  // Only completed minutes, never the running one.
  for (const RequestMinute& m : parsed.minutes) {
    EXPECT_LT(m.minute, MinuteOf(RealClock().Now())) << m.minute.time_since_epoch().count();
  }

  auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), RealClock());
  ASSERT_TRUE(scratch) << scratch.error().ToString();
  MetricStore store(*scratch->database);
  const pid_t pid = worker.pid();
  LocalMetricsSource source(store, [pid](const CollectTarget&) -> Result<CpuCounterSample> {
    auto used = ProcessCpu(pid);
    if (!used) return std::unexpected(used.error());
    return CpuCounterSample{*used, 1.0};
  });
  const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", port, WorkerPhase::kInService}};
  Clock::TimePoint first = RealClock().Now();
  ASSERT_TRUE(source.Collect(first, workers));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.Get("/api/v1/session"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  Clock::TimePoint second = RealClock().Now();
  Status st = source.Collect(second, workers);
  ASSERT_TRUE(st) << st.error().ToString();

  auto cpu = store.Series("w1", Metric::kCpuPercent, MakeRange(first, second + std::chrono::minutes(1)));
  ASSERT_TRUE(cpu) << cpu.error().ToString();
  int with_data = 0;
  for (const auto& value : *cpu) {
    if (!value) continue;
    ++with_data;
    EXPECT_GE(*value, 0.0);
    EXPECT_LE(*value, 100.0 * std::thread::hardware_concurrency());
  }
  EXPECT_GE(with_data, 1);
  auto sizes = store.PoolSizes(MakeRange(second, second + std::chrono::minutes(1)));
  ASSERT_TRUE(sizes);
  EXPECT_EQ((*sizes)[0], (PoolSize{1, 0}));
}

}  // namespace
}  // namespace maskfleet::metrics::local
