#include "maskfleet/common/bounded_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace maskfleet {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Polls `condition` until it holds or `limit` passes; true if it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::steady_clock::duration limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return condition();
}

// Runs `body` on its own thread; if it has not finished within `limit`, the test
// binary aborts (a deadlock would otherwise hang ctest until its own timeout).
void WithinTime(std::chrono::steady_clock::duration limit, std::function<void()> body) {
  std::packaged_task<void()> task(std::move(body));
  std::future<void> done = task.get_future();
  std::thread runner(std::move(task));
  if (done.wait_for(limit) != std::future_status::ready) {
    std::fprintf(stderr, "test body did not finish in time: deadlock?\n");
    std::abort();
  }
  runner.join();
  done.get();
}

TEST(common_BoundedExecutorTest, RunsTasksAndReturnsTheirValues) {
  BoundedExecutor executor({.threads = 2, .max_queued = 8});
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 10; ++i) {
    auto submitted = executor.Submit([i] { return i * i; });
    ASSERT_TRUE(submitted.has_value()) << submitted.error().ToString();
    futures.push_back(std::move(*submitted));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(futures[static_cast<std::size_t>(i)].get(), i * i);
}

TEST(common_BoundedExecutorTest, SaturationRefusesAtExactlyThreadsPlusQueue) {
  constexpr int kThreads = 2;
  constexpr int kQueued = 3;
  BoundedExecutor executor({.threads = kThreads, .max_queued = kQueued});
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  std::atomic<int> ran{0};
  auto blocked_task = [&] {
    opened.wait();
    ++ran;
  };

  for (int i = 0; i < kThreads + kQueued; ++i) {
    ASSERT_TRUE(executor.Post(blocked_task).has_value()) << "task " << i;
  }
  ASSERT_TRUE(WaitFor([&] { return executor.busy_threads() == kThreads; }, seconds(10)));
  EXPECT_EQ(executor.queue_depth(), kQueued);

  Status refused = executor.Post(blocked_task);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  auto refused_future = executor.Submit([] { return 1; });
  ASSERT_FALSE(refused_future.has_value());
  EXPECT_EQ(refused_future.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(executor.tasks_rejected(), 2u);

  gate.set_value();
  ASSERT_TRUE(WaitFor([&] { return executor.tasks_completed() == kThreads + kQueued; }, seconds(10)));
  EXPECT_EQ(ran.load(), kThreads + kQueued);
  ASSERT_TRUE(WaitFor([&] { return executor.busy_threads() == 0; }, seconds(10)));
  EXPECT_EQ(executor.queue_depth(), 0);

  // Room again once the pool has drained.
  auto again = executor.Submit([] { return 7; });
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->get(), 7);
}

TEST(common_BoundedExecutorTest, ZeroQueueAcceptsOnlyWhatThreadsCanRunNow) {
  BoundedExecutor executor({.threads = 1, .max_queued = 0});
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  ASSERT_TRUE(executor.Post([opened] { opened.wait(); }).has_value());
  EXPECT_FALSE(executor.Post([] {}).has_value());
  gate.set_value();
}

TEST(common_BoundedExecutorTest, ShutdownRunsQueuedTasksAndRefusesNewOnes) {
  WithinTime(seconds(30), [] {
    // Room for more than the six gated tasks, so a refusal below can only come
    // from the shutdown.
    BoundedExecutor executor({.threads = 1, .max_queued = 10});
    std::promise<void> gate;
    std::shared_future<void> opened = gate.get_future().share();
    std::atomic<int> ran{0};
    for (int i = 0; i < 6; ++i) {
      ASSERT_TRUE(executor
                      .Post([&ran, opened] {
                        opened.wait();
                        ++ran;
                      })
                      .has_value());
    }
    std::thread stopper([&] { executor.Shutdown(); });
    // Shutdown() refuses new work as soon as it begins, while it waits for the queue.
    ASSERT_TRUE(WaitFor([&] { return !executor.Post([] {}).has_value(); }, seconds(10)));
    EXPECT_LT(ran.load(), 6);
    gate.set_value();
    stopper.join();
    EXPECT_EQ(ran.load(), 6);
    Status after = executor.Post([] {});
    ASSERT_FALSE(after.has_value());
    EXPECT_EQ(after.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(after.error().message.find("shutting down"), std::string::npos);
    executor.Shutdown();  // a second call returns at once
  });
}

TEST(common_BoundedExecutorTest, DestructorDrainsAcceptedTasks) {
  std::atomic<int> ran{0};
  {
    BoundedExecutor executor({.threads = 2, .max_queued = 50});
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(executor
                      .Post([&ran] {
                        std::this_thread::sleep_for(std::chrono::microseconds(200));
                        ++ran;
                      })
                      .has_value());
    }
  }
  EXPECT_EQ(ran.load(), 40);
}

TEST(common_BoundedExecutorTest, ExceptionsGoToTheFutureOrAreCounted) {
  BoundedExecutor executor({.threads = 1, .max_queued = 4});
  auto submitted = executor.Submit([]() -> int { throw std::runtime_error("boom"); });
  ASSERT_TRUE(submitted.has_value());
  EXPECT_THROW(submitted->get(), std::runtime_error);

  ASSERT_TRUE(executor.Post([] { throw std::runtime_error("dropped"); }).has_value());
  auto after = executor.Submit([] { return 3; });
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->get(), 3);  // the thread survived the thrown exception
  EXPECT_EQ(executor.tasks_thrown(), 1u);
}

TEST(common_BoundedExecutorTest, MoveOnlyTasksAreAccepted) {
  BoundedExecutor executor({.threads = 1, .max_queued = 1});
  auto owned = std::make_unique<int>(41);
  auto submitted = executor.Submit([p = std::move(owned)] { return *p + 1; });
  ASSERT_TRUE(submitted.has_value());
  EXPECT_EQ(submitted->get(), 42);
}

TEST(common_BoundedExecutorTest, EightSubmittingThreadsNeitherDeadlockNorLoseTasks) {
  WithinTime(seconds(60), [] {
    constexpr int kSubmitters = 8;
    constexpr int kPerSubmitter = 2000;
    std::atomic<int> accepted{0};
    std::atomic<int> refused{0};
    std::atomic<int> ran{0};
    std::atomic<int> max_seen_in_flight{0};
    BoundedExecutor executor({.threads = 2, .max_queued = 4});
    std::vector<std::thread> submitters;
    for (int s = 0; s < kSubmitters; ++s) {
      submitters.emplace_back([&] {
        for (int i = 0; i < kPerSubmitter; ++i) {
          Status posted = executor.Post([&] { ++ran; });
          if (posted.has_value()) {
            ++accepted;
          } else {
            EXPECT_EQ(posted.error().code, ErrorCode::kUnavailable);
            ++refused;
          }
          const int in_flight = executor.busy_threads() + executor.queue_depth();
          int seen = max_seen_in_flight.load();
          while (in_flight > seen && !max_seen_in_flight.compare_exchange_weak(seen, in_flight)) {
          }
        }
      });
    }
    for (std::thread& t : submitters) t.join();
    executor.Shutdown();
    EXPECT_EQ(accepted.load() + refused.load(), kSubmitters * kPerSubmitter);
    EXPECT_EQ(ran.load(), accepted.load());
    EXPECT_EQ(executor.tasks_completed(), static_cast<std::uint64_t>(accepted.load()));
    EXPECT_EQ(executor.tasks_rejected(), static_cast<std::uint64_t>(refused.load()));
    // The two snapshots are read separately, so allow for one task moving between them.
    EXPECT_LE(max_seen_in_flight.load(), 2 + 4 + 1);
    EXPECT_GT(accepted.load(), 0);
  });
}

}  // namespace
}  // namespace maskfleet
