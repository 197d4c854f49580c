// The runner against an in-process cpp-httplib server on a loopback port that
// answers like /api/upload, with a delay and a status the test chooses.
#include "maskfleet/loadgen/runner.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

using std::chrono::milliseconds;

class FakeUploadServer {
 public:
  FakeUploadServer() {
    server_.Post("/api/upload", [this](const httplib::Request& request, httplib::Response& response) {
      const int now = ++in_flight_;
      int seen = max_in_flight_.load();
      while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
      }
      {
        std::unique_lock lock(mutex_);
        if (request.get_file_value("username").content == "alice" &&
            request.get_file_value("password").content == "secret" && request.has_file("file")) {
          files_.push_back(request.get_file_value("file").filename);
        }
        released_cv_.wait_for(lock, delay_, [&] { return released_; });
      }
      --in_flight_;
      response.status = status_;
      response.set_header("X-Maskfleet-Worker", "fake:1");
      response.set_content(status_ == 200
                               ? R"({"success": true, "payload": {"num_faces": 2, "num_masked": 1,)"
                                 R"( "num_unmasked": 1}})"
                               : R"({"success": false, "error": {"code": 401, "message": "no"}})",
                           "application/json");
    });
    // Listening from here on: connections wait in the backlog until listen_after_bind.
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost (httplib 0.11 has no wait_until_ready).
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~FakeUploadServer() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
      released_cv_.notify_all();
    }
    server_.stop();
    thread_.join();
  }
  void set_delay(milliseconds delay) { delay_ = delay; }
  void set_status(int status) { status_ = status; }
  int port() const { return port_; }
  int max_in_flight() const { return max_in_flight_; }
  std::vector<std::string> files() {
    std::lock_guard lock(mutex_);
    return files_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> in_flight_ = 0;
  std::atomic<int> max_in_flight_ = 0;
  milliseconds delay_{0};  // set before requests come
  int status_ = 200;       // set before requests come
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;           // guarded by mutex_
  std::vector<std::string> files_;  // guarded by mutex_
};

std::vector<Photo> ThreePhotos() {
  return {{.name = "a.jpg", .content_type = "image/jpeg", .bytes = "\xFF\xD8\xFF a"},
          {.name = "b.png", .content_type = "image/png", .bytes = "\x89PNG b"},
          {.name = "c.jpg", .content_type = "image/jpeg", .bytes = "\xFF\xD8\xFF c"}};
}

RunOptions Options(int port) {
  RunOptions options;
  options.target = {.host = "127.0.0.1", .port = port, .path = "/api/upload"};
  options.username = "alice";
  options.password = "secret";
  return options;
}

struct Collected {
  std::mutex mutex;
  std::vector<RequestRecord> records;
  std::function<void(const RequestRecord&)> Sink() {
    return [this](const RequestRecord& r) {
      std::lock_guard lock(mutex);
      records.push_back(r);
    };
  }
  std::vector<RequestRecord> Sorted() {
    std::lock_guard lock(mutex);
    std::vector<RequestRecord> sorted = records;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    return sorted;
  }
};

TEST(RunnerTest, OpenLoopSendsOnScheduleAndCyclesThroughPhotos) {
  FakeUploadServer server;
  Collected collected;
  RunOptions options = Options(server.port());
  options.schedule = OpenLoopSchedule::Constant(50, 7);
  options.on_record = collected.Sink();
  Runner runner(std::move(options), ThreePhotos());
  Result<RunSummary> summary = runner.Run();
  ASSERT_TRUE(summary) << summary.error().ToString();
  EXPECT_EQ(summary->sent, 7u);
  EXPECT_EQ(summary->succeeded, 7u);
  EXPECT_EQ(summary->failed, 0u);
  EXPECT_EQ(summary->latency.count, 7u);
  EXPECT_EQ(summary->answers_by_worker.at("fake:1"), 7u);
  EXPECT_GE(summary->elapsed_s, 0.12);  // the 7th request is due at 0.12 s
  // Requests on different connections may overtake each other on the way.
  std::vector<std::string> files = server.files();
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{"a.jpg", "a.jpg", "a.jpg", "b.png", "b.png", "c.jpg", "c.jpg"}));
  const std::vector<RequestRecord> records = collected.Sorted();
  ASSERT_EQ(records.size(), 7u);
  const std::vector<std::string> names = {"a.jpg", "b.png", "c.jpg"};
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].file, names[i % 3]);
    EXPECT_EQ(records[i].http_status, 200);
    EXPECT_EQ(records[i].num_faces, 2);
    EXPECT_EQ(records[i].worker, "fake:1");
    // Loose bounds: the machine may be busy, but a request never starts early.
    EXPECT_GE(records[i].start_s, 0.02 * static_cast<double>(i) - 1e-3) << i;
  }
}

TEST(RunnerTest, OpenLoopDoesNotWaitForSlowAnswersAndDropsBeyondTheBound) {
  FakeUploadServer server;
  server.set_delay(milliseconds(400));
  Collected collected;
  RunOptions options = Options(server.port());
  options.schedule = OpenLoopSchedule::Constant(100, 10);  // all due within 0.1 s
  options.max_in_flight = 3;
  options.on_record = collected.Sink();
  Runner runner(std::move(options), ThreePhotos());
  const auto begin = std::chrono::steady_clock::now();
  Result<RunSummary> summary = runner.Run();
  const auto took = std::chrono::steady_clock::now() - begin;
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->scheduled, 10u);
  EXPECT_EQ(summary->sent, 3u);
  EXPECT_EQ(summary->dropped, 7u);
  EXPECT_EQ(summary->succeeded, 3u);
  EXPECT_EQ(server.max_in_flight(), 3);  // the three were in flight together
  EXPECT_LT(took, milliseconds(1500));   // not 3 x 400 ms one after the other
  int dropped = 0;
  for (const RequestRecord& r : collected.Sorted()) dropped += r.outcome == Outcome::kDropped;
  EXPECT_EQ(dropped, 7);
}

TEST(RunnerTest, ClosedLoopKeepsNConnectionsBusy) {
  FakeUploadServer server;
  server.set_delay(milliseconds(30));
  RunOptions options = Options(server.port());
  options.concurrency = 3;
  options.max_count = 12;
  Runner runner(std::move(options), ThreePhotos());
  Result<RunSummary> summary = runner.Run();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->sent, 12u);
  EXPECT_EQ(summary->succeeded, 12u);
  EXPECT_EQ(server.max_in_flight(), 3);
  EXPECT_EQ(server.files().size(), 12u);
}

TEST(RunnerTest, DurationBoundsAClosedLoopWithoutCount) {
  FakeUploadServer server;
  server.set_delay(milliseconds(20));
  RunOptions options = Options(server.port());
  options.concurrency = 2;
  options.duration_s = 0.3;
  Runner runner(std::move(options), ThreePhotos());
  Result<RunSummary> summary = runner.Run();
  ASSERT_TRUE(summary);
  EXPECT_GT(summary->sent, 2u);
  EXPECT_EQ(summary->failed, 0u);
  EXPECT_LT(summary->elapsed_s, 2.0);
}

TEST(RunnerTest, HttpErrorsAreCountedByStatus) {
  FakeUploadServer server;
  server.set_status(401);
  RunOptions options = Options(server.port());
  options.schedule = OpenLoopSchedule::Constant(100, 4);
  Runner runner(std::move(options), ThreePhotos());
  Result<RunSummary> summary = runner.Run();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->sent, 4u);
  EXPECT_EQ(summary->succeeded, 0u);
  EXPECT_EQ(summary->failed_by_status.at(401), 4u);
}

TEST(RunnerTest, RefusedConnectionsAreTransportErrors) {
  int port = 0;
  {
    FakeUploadServer server;  // a port that was free a moment ago
    port = server.port();
  }
  RunOptions options = Options(port);
  options.schedule = OpenLoopSchedule::Constant(100, 3);
  Runner runner(std::move(options), ThreePhotos());
  Result<RunSummary> summary = runner.Run();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->sent, 3u);
  EXPECT_EQ(summary->failed_by_error.at("connection"), 3u);
  EXPECT_EQ(summary->latency.count, 0u);
}

TEST(RunnerTest, StopEndsTheRunAndCancelsWhatOutlivesTheDrainTime) {
  FakeUploadServer server;
  server.set_delay(milliseconds(10000));
  RunOptions options = Options(server.port());
  options.schedule = OpenLoopSchedule::Constant(10, 0);  // without end
  options.drain_timeout = milliseconds(100);
  Runner runner(std::move(options), ThreePhotos());
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(250));
    runner.Stop();
  });
  const auto begin = std::chrono::steady_clock::now();
  Result<RunSummary> summary = runner.Run();
  const auto took = std::chrono::steady_clock::now() - begin;
  stopper.join();
  ASSERT_TRUE(summary);
  EXPECT_LT(took, milliseconds(3000));
  EXPECT_EQ(summary->sent, 3u);  // at 0, 0.1 and 0.2 s
  EXPECT_EQ(summary->failed_by_error.at("canceled"), 3u);
}

TEST(RunnerTest, StopBeforeRunSendsNothing) {
  FakeUploadServer server;
  RunOptions options = Options(server.port());
  options.schedule = OpenLoopSchedule::Constant(10, 5);
  Runner runner(std::move(options), ThreePhotos());
  runner.Stop();
  Result<RunSummary> summary = runner.Run();
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->sent, 0u);
}

}  // namespace
}  // namespace maskfleet::loadgen
