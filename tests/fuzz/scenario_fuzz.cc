// Fuzz target: the simulator's scenario reader (sim/scenario.h) on TOML text, and what
// the simulator computes from a scenario it accepted before running it: the load
// segments and the demand at their ends. Checks that an accepted scenario keeps the
// reader's promises: its load changes are in order of time and the first is at 0,
// the duration is positive, the segments cover [0, duration) in order without a gap,
// and the demand is a finite number not below 0. The durations' own parser and printer are fuzzed on the
// same bytes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "maskfleet/sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (maskfleet::Result<std::chrono::seconds> d = maskfleet::sim::ParseDuration(text)) {
    FUZZ_CHECK(d->count() >= 0);
    FUZZ_CHECK(!maskfleet::sim::FormatDuration(*d).empty());
  }

  maskfleet::Result<maskfleet::sim::Scenario> scenario = maskfleet::sim::ParseScenario(text, "fuzz.toml");
  if (!scenario) {
    FUZZ_CHECK(scenario.error().code == maskfleet::ErrorCode::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(scenario->duration.count() > 0);
  FUZZ_CHECK(!scenario->load.empty() && scenario->load.front().at.count() == 0);
  for (std::size_t i = 1; i < scenario->load.size(); ++i) {
    FUZZ_CHECK(scenario->load[i - 1].at <= scenario->load[i].at);
  }
  const std::vector<maskfleet::sim::LoadSegment> segments = maskfleet::sim::Segments(*scenario);
  // In order and covering [0, duration) without a gap.
  FUZZ_CHECK(!segments.empty() && segments.front().begin.count() == 0);
  FUZZ_CHECK(segments.back().end == scenario->duration);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    FUZZ_CHECK(segments[i].begin <= segments[i].end);
    if (i > 0) FUZZ_CHECK(segments[i].begin == segments[i - 1].end);
    for (const auto t : {segments[i].begin, segments[i].end}) {
      const double demand = maskfleet::sim::DemandAt(*scenario, static_cast<double>(t.count()));
      FUZZ_CHECK(std::isfinite(demand) && demand >= 0);
    }
  }
  return 0;
}
