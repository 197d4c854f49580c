#include "maskfleet/process/proc_stat.h"

#include <unistd.h>

#include <gtest/gtest.h>

namespace maskfleet::process {
namespace {

TEST(ProcStatTest, ParsesALineWhoseNameHoldsParentheses) {
  // Fields 14 and 15 (utime, stime) are 300 and 100 ticks; field 22 (start) 12345.
  const std::string line =
      "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 300 100 0 0 20 0 3 0 12345 "
      "1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  Result<ProcStat> stat = ParseProcStat(line);
  ASSERT_TRUE(stat) << stat.error().ToString();
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->start_ticks, 12345u);
  EXPECT_EQ(stat->cpu, std::chrono::seconds(4) * 100 / ::sysconf(_SC_CLK_TCK));
}

TEST(ProcStatTest, RefusesWhatIsNotAStatLine) {
  EXPECT_FALSE(ParseProcStat(""));
  EXPECT_FALSE(ParseProcStat("4242 (sh) S 1 2 3"));
}

TEST(ProcStatTest, TellsARunningProcessFromALaterOneWithTheSamePid) {
  Result<ProcStat> self = ReadProcStat(::getpid());
  ASSERT_TRUE(self) << self.error().ToString();
  EXPECT_TRUE(ProcessRuns(::getpid(), self->start_ticks));
  EXPECT_FALSE(ProcessRuns(::getpid(), self->start_ticks + 1));
  EXPECT_FALSE(ProcessRuns(0, self->start_ticks));
}

TEST(ProcStatTest, AMissingProcessIsNotFound) {
  // Above the kernel's pid_max (at most 2^22).
  Result<ProcStat> stat = ReadProcStat(1 << 23);
  ASSERT_FALSE(stat);
  EXPECT_EQ(stat.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace maskfleet::process
