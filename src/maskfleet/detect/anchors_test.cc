#include "maskfleet/detect/anchors.h"

#include <gtest/gtest.h>

namespace maskfleet::detect {
namespace {

// Expected values below are worked out by hand from the configuration:
// centre = (i + 0.5) / map size; half width = scale * sqrt(ratio) / 2,
// half height = scale / sqrt(ratio) / 2.
constexpr float kTolerance = 1e-6f;

void ExpectBox(const Box& actual, float xmin, float ymin, float xmax, float ymax) {
  EXPECT_NEAR(actual.xmin, xmin, kTolerance);
  EXPECT_NEAR(actual.ymin, ymin, kTolerance);
  EXPECT_NEAR(actual.xmax, xmax, kTolerance);
  EXPECT_NEAR(actual.ymax, ymax, kTolerance);
}

TEST(AnchorsTest, CountIsThePublished5972) {
  // (33^2 + 17^2 + 9^2 + 5^2 + 3^2) cells x (2 scales + 3 ratios - 1) anchors.
  EXPECT_EQ(GenerateAnchors(AizooAnchorConfig()).size(), 5972u);
}

TEST(AnchorsTest, FirstAnchorIsSmallestScaleOnTopLeftCell) {
  const std::vector<Box> anchors = GenerateAnchors(AizooAnchorConfig());
  // Centre 0.5/33; scale 0.04, ratio 1: half side 0.02.
  ExpectBox(anchors[0], 0.5f / 33 - 0.02f, 0.5f / 33 - 0.02f, 0.5f / 33 + 0.02f, 0.5f / 33 + 0.02f);
  // Second scale 0.056 at the same centre.
  ExpectBox(anchors[1], 0.5f / 33 - 0.028f, 0.5f / 33 - 0.028f, 0.5f / 33 + 0.028f,
            0.5f / 33 + 0.028f);
  // First scale with ratio 0.62: width 0.04 * 0.787401, height 0.04 / 0.787401.
  ExpectBox(anchors[2], -0.000596500f, -0.010248510f, 0.030899531f, 0.040551541f);
  // Next cell to the right: centre x 1.5/33.
  ExpectBox(anchors[4], 1.5f / 33 - 0.02f, 0.5f / 33 - 0.02f, 1.5f / 33 + 0.02f, 0.5f / 33 + 0.02f);
}

TEST(AnchorsTest, SecondMapStartsAfterAllCellsOfTheFirst) {
  const std::vector<Box> anchors = GenerateAnchors(AizooAnchorConfig());
  // Index 33 * 33 * 4 = 4356: map 17x17, centre 0.5/17, scale 0.08.
  ExpectBox(anchors[4356], -0.010588235f, -0.010588235f, 0.069411765f, 0.069411765f);
}

TEST(AnchorsTest, LastAnchorIsWidestRatioOnBottomRightCellOfLastMap) {
  const std::vector<Box> anchors = GenerateAnchors(AizooAnchorConfig());
  // Centre 2.5/3; scale 0.64, ratio 0.42: width 0.414767, height 0.987542.
  ExpectBox(anchors.back(), 0.625949631f, 0.339562613f, 1.040717036f, 1.327104053f);
}

TEST(AnchorsTest, SmallConfigurationLaysAnchorsRowByRow) {
  const AnchorConfig config{.maps = {{2, {0.5f, 0.6f}}}, .ratios = {1.0f}};
  const std::vector<Box> anchors = GenerateAnchors(config);
  ASSERT_EQ(anchors.size(), 2u * 2u * 2u);
  ExpectBox(anchors[0], 0.0f, 0.0f, 0.5f, 0.5f);        // cell (0,0), scale 0.5
  ExpectBox(anchors[1], -0.05f, -0.05f, 0.55f, 0.55f);  // cell (0,0), scale 0.6
  ExpectBox(anchors[2], 0.5f, 0.0f, 1.0f, 0.5f);        // cell (0,1): x moves first
  ExpectBox(anchors[4], 0.0f, 0.5f, 0.5f, 1.0f);        // cell (1,0)
}

}  // namespace
}  // namespace maskfleet::detect
