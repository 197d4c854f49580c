#include "maskfleet/loadgen/profile.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

TEST(ProfileTest, ParsesStepsCommentsAndBlankLines) {
  Result<LoadProfile> profile = ParseProfile(
      "# warm up\n"
      "20 2\n"
      "\n"
      "  30\t8.5   # peak\r\n"
      "20 0\n"
      "0.5 100");
  ASSERT_TRUE(profile) << profile.error().ToString();
  ASSERT_EQ(profile->size(), 4u);
  EXPECT_DOUBLE_EQ((*profile)[0].duration_s, 20);
  EXPECT_DOUBLE_EQ((*profile)[0].rate, 2);
  EXPECT_DOUBLE_EQ((*profile)[1].duration_s, 30);
  EXPECT_DOUBLE_EQ((*profile)[1].rate, 8.5);
  EXPECT_DOUBLE_EQ((*profile)[2].rate, 0);
  EXPECT_DOUBLE_EQ((*profile)[3].duration_s, 0.5);
  EXPECT_DOUBLE_EQ(ProfileDuration(*profile), 70.5);
}

struct BadProfile {
  const char* text;
  const char* message;
};

class BadProfileTest : public testing::TestWithParam<BadProfile> {};

TEST_P(BadProfileTest, IsRefusedNamingTheLine) {
  Result<LoadProfile> profile = ParseProfile(GetParam().text);
  ASSERT_FALSE(profile);
  EXPECT_EQ(profile.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(profile.error().message.find(GetParam().message), std::string::npos) << profile.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    All, BadProfileTest,
    testing::Values(BadProfile{"", "no steps"}, BadProfile{"# only a comment\n\n", "no steps"},
                    BadProfile{"10 1\n10\n", "line 2: expected 'duration_seconds rate', got 1 field"},
                    BadProfile{"10 1 2\n", "line 1: expected 'duration_seconds rate', got 3 fields"},
                    BadProfile{"0 1\n", "line 1: duration must be a number of seconds > 0, got '0'"},
                    BadProfile{"-5 1\n", "duration must be"}, BadProfile{"ten 1\n", "got 'ten'"},
                    BadProfile{"10 fast\n", "line 1: rate must be a number >= 0, got 'fast'"},
                    BadProfile{"10 -1\n", "rate must be"}, BadProfile{"10 inf\n", "rate must be"},
                    BadProfile{"10 nan\n", "rate must be"}, BadProfile{"10 1x\n", "got '1x'"},
                    BadProfile{"10 0\n20 0\n", "every step of the profile has rate 0"}));

TEST(ProfileTest, ReadsAFileAndNamesItInErrors) {
  const std::filesystem::path dir = testing::TempDir();
  const std::filesystem::path good = dir / "loadgen_profile_good.txt";
  std::ofstream(good) << "5 1\n";
  Result<LoadProfile> profile = ReadProfileFile(good);
  ASSERT_TRUE(profile);
  EXPECT_EQ(profile->size(), 1u);

  const std::filesystem::path bad = dir / "loadgen_profile_bad.txt";
  std::ofstream(bad) << "5 x\n";
  profile = ReadProfileFile(bad);
  ASSERT_FALSE(profile);
  EXPECT_NE(profile.error().message.find(bad.string() + ": line 1"), std::string::npos);

  profile = ReadProfileFile(dir / "loadgen_no_such_profile.txt");
  ASSERT_FALSE(profile);
  EXPECT_EQ(profile.error().code, ErrorCode::kNotFound);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace maskfleet::loadgen
