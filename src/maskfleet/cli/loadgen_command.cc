// maskfleet loadgen URL USER PASS RATE FOLDER COUNT [options]
//
// The specification's load generator (gen.py upload_url username password
// upload_rate image_folder number_of_uploads), plus load profiles, a closed-loop
// mode, a summary and a CSV of every request. See loadgen/runner.h for how load
// is driven and loadgen/profile.h for the profile format.
//
// Exit status: 0 every request sent succeeded (and none was dropped), 1 some
// failed or were dropped, 2 the run could not start (bad arguments, an empty
// folder, an unreachable URL). Argument errors are checked here rather than by
// CLI11 so that all of them exit 2, with one line saying what is wrong.
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "maskfleet/cli/commands.h"
#include "maskfleet/cli/version.h"
#include "maskfleet/loadgen/csv_log.h"
#include "maskfleet/loadgen/photo_folder.h"
#include "maskfleet/loadgen/profile.h"
#include "maskfleet/loadgen/runner.h"
#include "maskfleet/loadgen/schedule.h"
#include "maskfleet/loadgen/target.h"

namespace maskfleet::cli {
namespace {

struct LoadgenArgs {
  std::vector<std::string> positional;  // URL USER PASS RATE FOLDER COUNT
  std::string profile_file;
  std::string csv_file;
  bool json = false;
  std::string concurrency;
  std::string max_in_flight = "64";
  std::string duration;
  std::string timeout = "60";
};

int UsageError(const std::string& message) {
  std::fprintf(stderr, "maskfleet loadgen: %s (see maskfleet loadgen --help)\n", message.c_str());
  return kExitCannotRun;
}

std::optional<double> ParseNumber(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> ParseCount(const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string FormatRate(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", rate);
  return text;
}

// Blocks SIGINT and SIGTERM in this thread and every thread started after, and
// takes them in a watcher thread that stops the runner: no handler runs in an
// arbitrary thread.
class StopOnSignal {
 public:
  StopOnSignal() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  ~StopOnSignal() {
    done_ = true;
    if (watcher_.joinable()) watcher_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  void Watch(loadgen::Runner& runner) {
    watcher_ = std::thread([this, &runner] {
      const timespec tick{.tv_sec = 0, .tv_nsec = 100'000'000};
      while (!done_) {
        const int signal = sigtimedwait(&signals_, nullptr, &tick);
        if (signal == SIGINT || signal == SIGTERM) {
          std::fprintf(stderr, "maskfleet loadgen: stopping on %s; requests in flight may finish\n",
                       signal == SIGINT ? "SIGINT" : "SIGTERM");
          runner.Stop();
        }
      }
    });
  }

 private:
  sigset_t signals_;
  sigset_t previous_;
  std::atomic<bool> done_ = false;
  std::thread watcher_;
};

int RunLoadgen(const LoadgenArgs& args, const std::vector<std::string>& extras) {
  if (!extras.empty()) return UsageError("unexpected argument '" + extras.front() + "'");
  if (args.positional.size() > 6) return UsageError("unexpected argument '" + args.positional[6] + "'");
  if (args.positional.size() < 6) {
    return UsageError("expected 6 arguments URL USER PASS RATE FOLDER COUNT, got " +
                      std::to_string(args.positional.size()));
  }
  const std::string& url = args.positional[0];
  const std::string& folder = args.positional[4];

  Result<loadgen::HttpTarget> target = loadgen::ParseHttpUrl(url);
  if (!target) return UsageError(target.error().message);
  const std::optional<double> rate = ParseNumber(args.positional[3]);
  if (!rate || *rate < 0)
    return UsageError("RATE must be a number of uploads per second, got '" + args.positional[3] + "'");
  const std::optional<std::uint64_t> count = ParseCount(args.positional[5]);
  if (!count) return UsageError("COUNT must be a whole number >= 0, got '" + args.positional[5] + "'");

  loadgen::RunOptions options;
  options.target = *target;
  options.username = args.positional[1];
  options.password = args.positional[2];
  options.user_agent = "maskfleet-loadgen/" + std::string(kVersion);

  const std::optional<double> max_in_flight = ParseNumber(args.max_in_flight);
  if (!max_in_flight || *max_in_flight < 1 || *max_in_flight > 10000 ||
      std::floor(*max_in_flight) != *max_in_flight) {
    return UsageError("--max-in-flight must be a whole number in 1..10000, got '" + args.max_in_flight + "'");
  }
  options.max_in_flight = static_cast<int>(*max_in_flight);
  if (!args.duration.empty()) {
    const std::optional<double> duration = ParseNumber(args.duration);
    if (!duration || *duration <= 0)
      return UsageError("--duration must be seconds > 0, got '" + args.duration + "'");
    options.duration_s = *duration;
  }
  const std::optional<double> timeout = ParseNumber(args.timeout);
  if (!timeout || *timeout <= 0 || *timeout > 86400) {
    return UsageError("--timeout must be seconds in (0, 86400], got '" + args.timeout + "'");
  }
  options.request_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*timeout * 1000));

  std::string mode;
  if (!args.concurrency.empty()) {
    if (!args.profile_file.empty()) return UsageError("--concurrency and --profile exclude each other");
    const std::optional<double> n = ParseNumber(args.concurrency);
    if (!n || *n < 1 || *n > 10000 || std::floor(*n) != *n) {
      return UsageError("--concurrency must be a whole number in 1..10000, got '" + args.concurrency + "'");
    }
    options.concurrency = static_cast<int>(*n);
    options.max_count = *count;
    mode = "closed loop, " + args.concurrency + " connection" + (options.concurrency == 1 ? "" : "s");
  } else if (!args.profile_file.empty()) {
    Result<loadgen::LoadProfile> profile = loadgen::ReadProfileFile(args.profile_file);
    if (!profile) return UsageError(profile.error().message);
    char text[128];
    std::snprintf(text, sizeof text, "profile %zu step%s over %g s", profile->size(),
                  profile->size() == 1 ? "" : "s", loadgen::ProfileDuration(*profile));
    mode = text;
    options.schedule.emplace(std::move(*profile), *count);
  } else {
    if (*rate <= 0)
      return UsageError("RATE must be > 0 uploads per second, got '" + args.positional[3] + "'");
    options.schedule = loadgen::OpenLoopSchedule::Constant(*rate, *count);
    mode = "open loop at " + FormatRate(*rate) + "/s";
  }
  if (*count > 0) mode += ", " + std::to_string(*count) + " upload" + (*count == 1 ? "" : "s");
  if (std::isfinite(options.duration_s)) mode += ", at most " + FormatRate(options.duration_s) + " s";

  Result<std::vector<loadgen::Photo>> photos = loadgen::LoadPhotoFolder(folder);
  if (!photos) {
    std::fprintf(stderr, "maskfleet loadgen: %s\n", photos.error().message.c_str());
    return kExitCannotRun;
  }
  if (Status reachable = loadgen::CheckReachable(*target, options.connect_timeout); !reachable) {
    std::fprintf(stderr, "maskfleet loadgen: %s is unreachable: %s\n", url.c_str(),
                 reachable.error().message.c_str());
    return kExitCannotRun;
  }
  std::unique_ptr<loadgen::CsvLog> csv;
  if (!args.csv_file.empty()) {
    Result<std::unique_ptr<loadgen::CsvLog>> created = loadgen::CsvLog::Create(args.csv_file);
    if (!created) {
      std::fprintf(stderr, "maskfleet loadgen: %s\n", created.error().message.c_str());
      return kExitCannotRun;
    }
    csv = std::move(*created);
    options.on_record = [log = csv.get()](const loadgen::RequestRecord& record) { log->Append(record); };
  }

  std::signal(SIGPIPE, SIG_IGN);
  Result<loadgen::RunSummary> summary;
  {
    StopOnSignal stop_on_signal;  // before the runner starts threads, which inherit the mask
    // Printed once SIGINT and SIGTERM are taken, so whoever reads it may signal.
    std::fprintf(stderr, "maskfleet loadgen: %zu photo%s from %s to %s, %s\n", photos->size(),
                 photos->size() == 1 ? "" : "s", folder.c_str(), url.c_str(), mode.c_str());
    loadgen::Runner runner(std::move(options), std::move(*photos));
    stop_on_signal.Watch(runner);
    summary = runner.Run();
  }
  if (!summary) {
    std::fprintf(stderr, "maskfleet loadgen: %s\n", summary.error().message.c_str());
    return kExitCannotRun;
  }
  if (csv) {
    if (Status closed = csv->Close(); !closed) {
      std::fprintf(stderr, "maskfleet loadgen: %s\n", closed.error().message.c_str());
    }
  }
  const loadgen::RunDescription description{.url = url, .mode = mode};
  if (args.json) {
    std::cout << loadgen::SummaryToJson(description, *summary).dump(2) << '\n';
  } else {
    std::cout << loadgen::FormatSummaryText(description, *summary);
  }
  std::cout.flush();
  return summary->failed == 0 && summary->dropped == 0 ? kExitOk : kExitSomeFailed;
}

}  // namespace

void AddLoadgenCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<LoadgenArgs>();
  CLI::App* cmd = app.add_subcommand(
      "loadgen", "Upload a folder's photos to /api/upload at a rate (the specification's load generator)");
  cmd->footer(
      "Arguments: URL USER PASS RATE FOLDER COUNT, as the specification's gen.py takes them.\n"
      "URL is http:// only, e.g. http://127.0.0.1:8081/api/upload. RATE is uploads per second (a\n"
      "decimal); requests start on schedule whether or not earlier ones were answered. COUNT caps\n"
      "the uploads (0: no cap). Photos (JPEG, PNG, WebP, BMP) are sent in name order, in turn.\n"
      "A profile file has one step per line, 'duration_seconds rate', '#' comments:\n"
      "  30 2\n  60 8\n  30 0\n"
      "With --profile or --concurrency, RATE is not used. Ctrl-C or SIGTERM stops early and\n"
      "still prints the summary. Exit status: 0 all succeeded, 1 some failed or were dropped,\n"
      "2 could not run.");
  cmd->add_option("args", args->positional, "URL USER PASS RATE FOLDER COUNT")->type_name("");
  cmd->add_option("--profile", args->profile_file, "Rate steps over time from FILE (replaces RATE)")
      ->type_name("FILE");
  cmd->add_option("--csv", args->csv_file, "Write one row per request to FILE")->type_name("FILE");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->add_option("--concurrency", args->concurrency,
                  "Closed loop instead: N connections sending back to back (replaces RATE)")
      ->type_name("N");
  cmd->add_option("--max-in-flight", args->max_in_flight,
                  "Open loop: requests in flight at most; one due beyond is dropped (default 64)")
      ->type_name("N");
  cmd->add_option("--duration", args->duration, "Start no request after SECONDS")->type_name("SECONDS");
  cmd->add_option("--timeout", args->timeout, "Seconds one request may take (default 60)")
      ->type_name("SECONDS");
  // Unknown options stay here (not passed up to the main app) for RunLoadgen to refuse with exit 2.
  cmd->fallthrough(false);
  cmd->allow_extras();
  cmd->callback([args, cmd, &exit_code] { exit_code = RunLoadgen(*args, cmd->remaining()); });
}

}  // namespace maskfleet::cli
