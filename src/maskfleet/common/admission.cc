#include "maskfleet/common/admission.h"

#include <algorithm>

namespace maskfleet {
namespace {

AdmissionOptions Normalised(AdmissionOptions options) {
  options.running = std::max(1, options.running);
  options.waiting = std::max(0, options.waiting);
  options.poll = std::max(options.poll, std::chrono::milliseconds(1));
  return options;
}

}  // namespace

Admission::Ticket& Admission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    if (owner_) owner_->Release();
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

Admission::Ticket::~Ticket() {
  if (owner_) owner_->Release();
}

Admission::Admission(AdmissionOptions options) : options_(Normalised(std::move(options))) {}

std::unexpected<Error> Admission::Refuse(std::string why) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  return MakeRetryableError(ErrorCode::kUnavailable, options_.name + ": " + std::move(why),
                            options_.retry_after);
}

Result<Admission::Ticket> Admission::Enter(const std::function<bool()>& still_wanted) {
  const auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
  std::unique_lock lock(mu_);
  // No overtaking: while others wait, a newcomer waits behind them.
  if (running_ < options_.running && waiting_ == 0) {
    ++running_;
    return Ticket(this);
  }
  if (waiting_ >= options_.waiting) {
    lock.unlock();
    return Refuse("the worker is busy; try again in a moment");
  }
  ++waiting_;
  for (;;) {
    if (running_ < options_.running) {
      // Asked under the lock, so that no other caller takes the slot meanwhile.
      if (still_wanted && !still_wanted()) break;
      --waiting_;
      ++running_;
      return Ticket(this);
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      --waiting_;
      lock.unlock();
      return Refuse("waited too long; try again in a moment");
    }
    freed_.wait_until(lock, std::min(deadline, now + options_.poll));
    if (running_ >= options_.running && still_wanted && !still_wanted()) break;
  }
  --waiting_;
  lock.unlock();
  // A slot this waiter may have been woken for goes to the next one.
  freed_.notify_one();
  return Refuse("the request was abandoned while it waited");
}

void Admission::Release() {
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  freed_.notify_one();
}

int Admission::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

int Admission::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_;
}

}  // namespace maskfleet
