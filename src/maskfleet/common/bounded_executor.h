// A fixed pool of threads with a bounded queue, for work that must shed load
// instead of piling it up (the worker's detections).
//
// BoundedExecutor runs tasks on `threads` threads. At most `threads + max_queued`
// tasks are in flight (running or waiting) at any time: a submission beyond that,
// or after Shutdown() has begun, is refused at once with kUnavailable. Submission
// never blocks waiting for room and the queue never grows past the bound, so a
// request handler can answer 503 straight away when the pool is saturated.
//
// Thread safety: every method may be called from any thread at the same time,
// except that Shutdown() (and the destructor, which calls it) must not be called
// from one of the pool's own tasks: it waits for those tasks to finish.
//
// Tasks should report failure as values (Result<T>). An exception that escapes a
// task given to Submit() is stored in its future, as std::packaged_task does; one
// that escapes a task given to Post() is caught, counted in tasks_thrown() and
// dropped, because there is no one to hand it to.
#ifndef MASKFLEET_COMMON_BOUNDED_EXECUTOR_H_
#define MASKFLEET_COMMON_BOUNDED_EXECUTOR_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet {

struct BoundedExecutorOptions {
  // Threads that run tasks; at least 1 (smaller values are raised to 1). Default 2.
  int threads = 2;
  // Tasks that may wait for a thread when all are busy; 0 means none wait and a
  // task is accepted only when a thread is free. Negative values count as 0.
  // Default 16.
  int max_queued = 16;
  // Thread name prefix shown by `ps -L` and debuggers (Linux keeps 15 bytes).
  // Default "executor".
  std::string name = "executor";
};

class BoundedExecutor {
 public:
  using Task = std::move_only_function<void()>;

  // Starts the threads at once.
  explicit BoundedExecutor(BoundedExecutorOptions options = {});
  // Shutdown(): runs what is queued, then joins the threads.
  ~BoundedExecutor();

  BoundedExecutor(const BoundedExecutor&) = delete;
  BoundedExecutor& operator=(const BoundedExecutor&) = delete;

  // Queues `task` to run on a pool thread (the callback form).
  // Success: the task will run exactly once, before Shutdown() returns.
  // Failure: kUnavailable when threads + max_queued tasks are already in flight,
  // or when Shutdown() has begun; the task is destroyed without running.
  Status Post(Task task);

  // Queues `task` and returns the future of its result.
  // Success: a future that becomes ready when the task has run (holding its value,
  // or the exception it threw). Failure: as Post(); no future is made.
  template <typename F>
  Result<std::future<std::invoke_result_t<std::decay_t<F>&>>> Submit(F&& task) {
    using T = std::invoke_result_t<std::decay_t<F>&>;
    std::packaged_task<T()> packaged(std::forward<F>(task));
    std::future<T> future = packaged.get_future();
    Status posted = Post([p = std::move(packaged)]() mutable { p(); });
    if (!posted) return std::unexpected(std::move(posted).error());
    return future;
  }

  // Refuses new tasks from now on (kUnavailable), lets the threads finish every
  // task already accepted, and joins them. Blocks until then. Calling it again,
  // from any thread, waits for the same end and returns; it never fails.
  void Shutdown();

  // Tasks running now. Read without a lock, for /metrics: a snapshot that may be
  // stale by the time it is used.
  int busy_threads() const { return busy_.load(std::memory_order_relaxed); }
  // Tasks accepted and not yet started. Also a lock-free snapshot. It can
  // briefly exceed max_queued() while idle threads are waking up to take tasks;
  // running plus waiting never exceeds threads() + max_queued().
  int queue_depth() const { return depth_.load(std::memory_order_relaxed); }
  // Submissions refused with kUnavailable since construction.
  std::uint64_t tasks_rejected() const { return rejected_.load(std::memory_order_relaxed); }
  // Tasks that have finished running (including those that threw).
  std::uint64_t tasks_completed() const { return completed_.load(std::memory_order_relaxed); }
  // Posted tasks whose exception was caught and dropped.
  std::uint64_t tasks_thrown() const { return thrown_.load(std::memory_order_relaxed); }

  int threads() const { return threads_count_; }
  int max_queued() const { return max_queued_; }

 private:
  void RunThread(int index);

  const int threads_count_;
  const int max_queued_;
  const std::string name_;

  std::mutex mu_;
  std::condition_variable work_cv_;  // signalled when queue_ gains a task or stopping_ is set
  std::deque<Task> queue_;           // guarded by mu_
  int running_ = 0;                  // guarded by mu_
  bool stopping_ = false;            // guarded by mu_

  std::mutex join_mu_;                       // serialises the joins of concurrent Shutdown() calls
  std::vector<std::thread> threads_;         // filled by the constructor; joined under join_mu_
  std::vector<std::thread::id> thread_ids_;  // written by the constructor only

  // Mirrors of running_ and queue_.size(), written under mu_, read without it.
  std::atomic<int> busy_{0};
  std::atomic<int> depth_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> completed_{0};
  std::atomic<std::uint64_t> thrown_{0};
};

}  // namespace maskfleet

#endif  // MASKFLEET_COMMON_BOUNDED_EXECUTOR_H_
