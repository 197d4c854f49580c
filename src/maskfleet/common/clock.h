// Time as a dependency. Everything that expires, schedules or rate-limits takes a
// Clock, so that tests move a SimulatedClock instead of sleeping (after Envoy's
// simulated_time_system.h). Both implementations are safe across threads.
#ifndef MASKFLEET_COMMON_CLOCK_H_
#define MASKFLEET_COMMON_CLOCK_H_

#include <atomic>
#include <chrono>

namespace maskfleet {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Wall-clock time (stored in databases, shown to people).
  virtual TimePoint Now() const = 0;
};

// The system clock. The returned object lives forever.
Clock& RealClock();

// A clock that stands still until told to move.
class SimulatedClock : public Clock {
 public:
  explicit SimulatedClock(TimePoint start = TimePoint(std::chrono::seconds(1'700'000'000)))
      : now_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(TimePoint::duration(now_.load())); }
  void Advance(TimePoint::duration by) { now_ += by.count(); }
  void Set(TimePoint t) { now_ = t.time_since_epoch().count(); }

 private:
  std::atomic<TimePoint::rep> now_;
};

}  // namespace maskfleet

#endif  // MASKFLEET_COMMON_CLOCK_H_
