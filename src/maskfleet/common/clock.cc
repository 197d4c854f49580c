#include "maskfleet/common/clock.h"

namespace maskfleet {
namespace {

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

}  // namespace

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();  // never destroyed: used until exit
  return *clock;
}

}  // namespace maskfleet
