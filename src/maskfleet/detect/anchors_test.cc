#include "maskfleet/detect/anchors.h"

#include <cmath>

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
  ExpectBox(anchors[1], 0.5f / 33 - 0.028f, 0.5f / 33 - 0.028f, 0.5f / 33 + 0.028f, 0.5f / 33 + 0.028f);
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

TEST(AnchorsTest, EachMapHasItsPublishedSizeAndScales) {
  // The first cell of each map: centre 0.5 / size; the two scales at ratio 1 are
  // squares of side `scale`; the first scale at ratio 0.62 is sqrt(0.62) as wide.
  const struct {
    std::size_t first_index;  // cells of the maps before, times 4 anchors
    int size;
    float scales[2];
  } maps[] = {{0, 33, {0.04f, 0.056f}},
              {4 * 33 * 33, 17, {0.08f, 0.11f}},
              {4 * (33 * 33 + 17 * 17), 9, {0.16f, 0.22f}},
              {4 * (33 * 33 + 17 * 17 + 9 * 9), 5, {0.32f, 0.45f}},
              {4 * (33 * 33 + 17 * 17 + 9 * 9 + 5 * 5), 3, {0.64f, 0.72f}}};
  const std::vector<Box> anchors = GenerateAnchors(AizooAnchorConfig());
  for (const auto& map : maps) {
    SCOPED_TRACE("map " + std::to_string(map.size));
    const float centre = 0.5f / static_cast<float>(map.size);
    for (int k = 0; k < 2; ++k) {
      const Box& a = anchors[map.first_index + k];
      EXPECT_NEAR((a.xmin + a.xmax) / 2, centre, kTolerance);
      EXPECT_NEAR((a.ymin + a.ymax) / 2, centre, kTolerance);
      EXPECT_NEAR(a.width(), map.scales[k], kTolerance);
      EXPECT_NEAR(a.height(), map.scales[k], kTolerance);
    }
    const Box& narrow = anchors[map.first_index + 2];
    EXPECT_NEAR(narrow.width() / map.scales[0], std::sqrt(0.62f), 1e-5f);
    EXPECT_NEAR(narrow.height() * std::sqrt(0.62f) / map.scales[0], 1.0f, 1e-5f);
    // The next cell along the row.
    EXPECT_NEAR(anchors[map.first_index + 4].xmin - anchors[map.first_index].xmin,
                1.0f / static_cast<float>(map.size), kTolerance);
  }
}

TEST(AnchorsTest, FirstRatioNeedNotBeOne) {
  // Ratio 4 (root 2): half width scale * 2 / 2, half height scale / 2 / 2. Ratio 0.25
  // goes with the first scale only.
  const AnchorConfig config{.maps = {{1, {0.2f, 0.4f}}}, .ratios = {4.0f, 0.25f}};
  const std::vector<Box> anchors = GenerateAnchors(config);
  ASSERT_EQ(anchors.size(), 3u);
  ExpectBox(anchors[0], 0.3f, 0.45f, 0.7f, 0.55f);  // scale 0.2, ratio 4: 0.4 x 0.1
  ExpectBox(anchors[1], 0.1f, 0.4f, 0.9f, 0.6f);    // scale 0.4, ratio 4: 0.8 x 0.2
  ExpectBox(anchors[2], 0.45f, 0.3f, 0.55f, 0.7f);  // scale 0.2, ratio 0.25: 0.1 x 0.4
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
