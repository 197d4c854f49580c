// Time as a dependency. Everything that expires, schedules, waits or rate-limits takes
// a Clock, so that tests move a SimulatedClock instead of sleeping (after Envoy's
// simulated_time_system.h): a loop waits with the clock's WaitFor/WaitUntil, and on a
// SimulatedClock that wait ends when the test advances the clock past its deadline,
// never by real time passing.
//
// A loop that must stop promptly waits on a Wakeup: Notify() (from its Stop, or from a
// call that gives it work) ends the wait at once, on either clock.
//
// Thread safety: both clocks and Wakeup are safe across threads. Many threads may wait
// on one clock at once, each on its own Wakeup (one Wakeup has at most one waiter at a
// time).
#ifndef MASKFLEET_COMMON_CLOCK_H_
#define MASKFLEET_COMMON_CLOCK_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

namespace maskfleet {

// Ends a clock's wait early. A Notify() with nobody waiting is kept: the next wait on
// this Wakeup returns at once (and takes it), so a notification is never lost between
// a loop's check of its state and its wait.
class Wakeup {
 public:
  void Notify();

 private:
  friend class SystemWaits;
  friend class SimulatedClock;
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;  // guarded by mu_
};

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  using Duration = TimePoint::duration;
  virtual ~Clock() = default;
  // Wall-clock time (stored in databases, shown to people).
  virtual TimePoint Now() const = 0;

  // Blocks until Now() reaches `deadline` or `wakeup` is notified, whichever comes
  // first. Returns true when woken by a notification (which it takes), false when the
  // deadline came. A deadline already passed returns at once (false, unless a
  // notification was pending). Never fails. The real clock measures the wait on a
  // monotonic clock, so a change of the system's time neither ends nor stretches it.
  virtual bool WaitUntil(TimePoint deadline, Wakeup& wakeup) const = 0;

  // WaitUntil(Now() + timeout, wakeup).
  bool WaitFor(Duration timeout, Wakeup& wakeup) const { return WaitUntil(Now() + timeout, wakeup); }
};

// The system clock. The returned object lives forever.
Clock& RealClock();

// A clock that stands still until told to move. WaitUntil blocks (really) until
// Advance() or Set() moves it to the deadline, or the wakeup is notified; a test that
// drives a loop thread on this clock advances it from the test's thread.
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000)))
      : now_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  bool WaitUntil(TimePoint deadline, Wakeup& wakeup) const override;

  // Moves the clock and ends the waits whose deadline it reaches.
  void Advance(TimePoint::duration by);
  void Set(TimePoint t);

  // How many threads wait on this clock now (for tests that hand a loop thread time
  // only once it is parked in its wait).
  int waiters() const;

 private:
  void WakeWaiters();

  std::atomic<TimePoint::rep> now_;
  mutable std::mutex waiters_mu_;
  mutable std::multiset<Wakeup*> waiters_;  // guarded by waiters_mu_
};

}  // namespace maskfleet

#endif  // MASKFLEET_COMMON_CLOCK_H_
