#include "maskfleet/common/bounded_executor.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace maskfleet {

BoundedExecutor::BoundedExecutor(BoundedExecutorOptions options)
    : threads_count_(std::max(1, options.threads)),
      max_queued_(std::max(0, options.max_queued)),
      name_(std::move(options.name)) {
  threads_.reserve(static_cast<std::size_t>(threads_count_));
  for (int i = 0; i < threads_count_; ++i) {
    threads_.emplace_back([this, i] { RunThread(i); });
    thread_ids_.push_back(threads_.back().get_id());
  }
}

BoundedExecutor::~BoundedExecutor() { Shutdown(); }

Status BoundedExecutor::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::size_t in_flight = queue_.size() + static_cast<std::size_t>(running_);
    const bool full = in_flight >= static_cast<std::size_t>(threads_count_ + max_queued_);
    if (!stopping_ && !full) {
      queue_.push_back(std::move(task));
      depth_.store(static_cast<int>(queue_.size()), std::memory_order_relaxed);
      work_cv_.notify_one();
      return {};
    }
    rejected_.fetch_add(1, std::memory_order_relaxed);
    if (stopping_) return MakeError(ErrorCode::kUnavailable, name_ + ": shutting down");
  }
  // The refused task (and whatever it owns) is destroyed here, outside the lock.
  return MakeError(ErrorCode::kUnavailable, name_ + ": all threads busy and the queue is full");
}

void BoundedExecutor::Shutdown() {
  for (const std::thread::id& id : thread_ids_) {
    if (id == std::this_thread::get_id()) {
      // Joining ourselves would hang for ever: a bug in the caller.
      std::fprintf(stderr, "BoundedExecutor %s: Shutdown() called from its own task\n", name_.c_str());
      std::abort();
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  std::lock_guard<std::mutex> lock(join_mu_);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void BoundedExecutor::RunThread(int index) {
  const std::string thread_name = (name_ + "-" + std::to_string(index)).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
  for (;;) {
    Task task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything accepted has been taken
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
      depth_.store(static_cast<int>(queue_.size()), std::memory_order_relaxed);
      busy_.store(running_, std::memory_order_relaxed);
    }
    try {
      task();
    } catch (...) {
      thrown_.fetch_add(1, std::memory_order_relaxed);
    }
    task = nullptr;  // release what the task captured before counting it done
    completed_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      busy_.store(running_, std::memory_order_relaxed);
    }
  }
}

}  // namespace maskfleet
