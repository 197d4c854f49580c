// Drives a load-generator run: uploads photos to a worker's /api/upload
// (multipart fields username, password, file, as the specification's testing
// API defines) and records what happens to each request.
//
// Two ways to drive the load:
//  - Open loop (RunOptions::schedule set): requests start at the schedule's
//    offsets whether or not earlier ones were answered, as real users arrive.
//    Sending threads are started on demand, each with one keep-alive
//    connection; at most `max_in_flight` requests are in flight, and a request
//    due while that many are is not sent but recorded as dropped ("client
//    saturated"), so the generator never queues without bound and never delays
//    later requests (which would hide the server's slowness: coordinated
//    omission).
//  - Closed loop (no schedule): `concurrency` threads each send the next request
//    as soon as the previous one was answered, for throughput measurements.
//
// Photos are used in turn: request k sends photos[k % photos.size()].
//
// A run ends when the schedule (or, closed loop, `max_count`) is exhausted and
// every request was answered; or at `duration_s` or Stop(), after which no
// request starts and those in flight get `drain_timeout` to finish before their
// connections are shut (they are then recorded as transport error "canceled").
//
// Thread safety: Run() is called once, from one thread. Stop() may be called from
// any thread at any time, before, during or after Run(). `on_record` is called
// from the sending threads, several at once.
#ifndef MASKFLEET_LOADGEN_RUNNER_H_
#define MASKFLEET_LOADGEN_RUNNER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/loadgen/photo_folder.h"
#include "maskfleet/loadgen/schedule.h"
#include "maskfleet/loadgen/stats.h"
#include "maskfleet/loadgen/target.h"

namespace httplib {
class Client;
}

namespace maskfleet::loadgen {

struct RunOptions {
  HttpTarget target;
  std::string username;
  std::string password;
  // Open loop when set; else closed loop.
  std::optional<OpenLoopSchedule> schedule;
  // Open loop: requests in flight at most. Default 64; at least 1.
  int max_in_flight = 64;
  // Closed loop: connections sending back to back. Default 1; at least 1.
  int concurrency = 1;
  // Closed loop: requests in all (0: no cap). The open loop's cap is the schedule's.
  std::uint64_t max_count = 0;
  // No request starts later than this after the start. Default: no limit.
  double duration_s = std::numeric_limits<double>::infinity();
  std::chrono::milliseconds connect_timeout{5000};   // default 5 s
  std::chrono::milliseconds request_timeout{60000};  // sending, and waiting for the answer; default 60 s
  std::chrono::milliseconds drain_timeout{5000};     // after Stop() or duration_s; default 5 s
  std::string user_agent = "maskfleet-loadgen";
  // Called once per scheduled request when it is finished (answered, failed or
  // dropped); may be empty.
  std::function<void(const RequestRecord&)> on_record;
};

class Runner {
 public:
  // `photos` must not be empty.
  Runner(RunOptions options, std::vector<Photo> photos);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs to the end (see above) and summarises. Errors: kInternal when not even
  // one sending thread can be started. Failed requests are not errors: they are
  // in the summary.
  Result<RunSummary> Run();

  // Ends the run early: no new request starts; those in flight get drain_timeout.
  void Stop();

 private:
  struct Job {
    std::uint64_t seq;
  };

  RequestRecord Send(httplib::Client& client, std::uint64_t seq);
  void Finish(const RequestRecord& record);
  double SecondsSinceStart() const;
  // Waits for the requests in flight; when `bounded` (or on Stop()), for at most
  // drain_timeout, then shuts their connections. Called with mutex_ held.
  void Drain(std::unique_lock<std::mutex>& lock, bool bounded);
  void JoinThreads();
  // A thread whose client is registered in clients_ for Drain() to shut.
  void RunWithClient(void (Runner::*body)(httplib::Client&));

  const RunOptions options_;
  const std::vector<Photo> photos_;
  std::chrono::steady_clock::time_point start_;  // set before any thread starts
  RunStats stats_;

  std::mutex mutex_;
  std::condition_variable state_cv_;       // Stop(), a request finished, a thread ended
  std::condition_variable work_cv_;        // a job was queued, or no_more_work_
  bool stopping_ = false;                  // guarded by mutex_: Stop() was called
  bool no_more_work_ = false;              // guarded by mutex_: no request starts any more
  bool aborting_ = false;                  // guarded by mutex_: drain time is over
  std::uint64_t next_seq_ = 0;             // guarded by mutex_ (closed loop)
  int in_flight_ = 0;                      // guarded by mutex_: requests being sent or queued
  int idle_ = 0;                           // guarded by mutex_: open-loop threads waiting for a job
  int running_threads_ = 0;                // guarded by mutex_
  std::deque<Job> queue_;                  // guarded by mutex_
  std::vector<std::thread> threads_;       // guarded by mutex_
  std::vector<httplib::Client*> clients_;  // guarded by mutex_: the threads' live clients

  // Bodies for RunWithClient: the open loop's threads take jobs from queue_; the
  // closed loop's claim sequence numbers themselves.
  void SenderBody(httplib::Client& client);
  void ClosedBody(httplib::Client& client);
};

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_RUNNER_H_
