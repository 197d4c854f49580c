#include "maskfleet/common/clock.h"

#include <algorithm>

namespace maskfleet {

void Wakeup::Notify() {
  std::lock_guard lock(mu_);
  notified_ = true;
  cv_.notify_all();
}

// The real clock's wait, with access to Wakeup's insides.
class SystemWaits {
 public:
  static bool WaitUntil(const Clock& clock, Clock::TimePoint deadline, Wakeup& wakeup) {
    std::unique_lock lock(wakeup.mu_);
    // Measured on the steady clock from the time left now; wall-clock jumps during the
    // wait do not count.
    const auto left = deadline - clock.Now();
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::max(left, Clock::Duration::zero()));
    wakeup.cv_.wait_until(lock, until, [&] { return wakeup.notified_; });
    const bool woken = wakeup.notified_;
    wakeup.notified_ = false;
    return woken;
  }
};

namespace {

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  bool WaitUntil(TimePoint deadline, Wakeup& wakeup) const override {
    return SystemWaits::WaitUntil(*this, deadline, wakeup);
  }
};

}  // namespace

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();  // never destroyed: used until exit
  return *clock;
}

bool SimulatedClock::WaitUntil(TimePoint deadline, Wakeup& wakeup) const {
  std::multiset<Wakeup*>::iterator registered;
  {
    std::lock_guard lock(waiters_mu_);
    registered = waiters_.insert(&wakeup);
  }
  bool woken = false;
  {
    std::unique_lock lock(wakeup.mu_);
    wakeup.cv_.wait(lock, [&] { return wakeup.notified_ || Now() >= deadline; });
    woken = wakeup.notified_;
    wakeup.notified_ = false;
  }
  std::lock_guard lock(waiters_mu_);
  waiters_.erase(registered);
  return woken;
}

void SimulatedClock::Advance(TimePoint::duration by) {
  now_ += by.count();
  WakeWaiters();
}

void SimulatedClock::Set(TimePoint t) {
  now_ = t.time_since_epoch().count();
  WakeWaiters();
}

int SimulatedClock::waiters() const {
  std::lock_guard lock(waiters_mu_);
  return static_cast<int>(waiters_.size());
}

void SimulatedClock::WakeWaiters() {
  std::lock_guard lock(waiters_mu_);
  for (Wakeup* w : waiters_) {
    // Taking the waiter's mutex orders this after its check of Now(): it either sees
    // the new time or is already waiting and gets the notification.
    std::lock_guard waiter(w->mu_);
    w->cv_.notify_all();
  }
}

}  // namespace maskfleet
