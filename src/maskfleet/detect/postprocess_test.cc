#include "maskfleet/detect/postprocess.h"

#include <cmath>

#include <gtest/gtest.h>

namespace maskfleet::detect {
namespace {

constexpr float kTolerance = 1e-5f;

TEST(DecodeBoxTest, ZeroOffsetsGiveTheAnchor) {
  const Box anchor{0.2f, 0.3f, 0.4f, 0.7f};
  const float offsets[4] = {0, 0, 0, 0};
  const Box b = DecodeBox(anchor, offsets);
  EXPECT_NEAR(b.xmin, 0.2f, kTolerance);
  EXPECT_NEAR(b.ymin, 0.3f, kTolerance);
  EXPECT_NEAR(b.xmax, 0.4f, kTolerance);
  EXPECT_NEAR(b.ymax, 0.7f, kTolerance);
}

TEST(DecodeBoxTest, OffsetsAreScaledByVariancesAndAnchorSize) {
  // Anchor centre (0.3, 0.5), size 0.2 x 0.4.
  const Box anchor{0.2f, 0.3f, 0.4f, 0.7f};
  // dx = 1 moves the centre by 0.1 * 0.2 = 0.02; dy = -2 by -0.2 * 0.4 = -0.08;
  // dw = ln(2) / 0.2 doubles the width to 0.4; dh = 0 keeps the height.
  const float offsets[4] = {1.0f, -2.0f, std::log(2.0f) / 0.2f, 0.0f};
  const Box b = DecodeBox(anchor, offsets);
  EXPECT_NEAR(b.xmin, 0.32f - 0.2f, kTolerance);
  EXPECT_NEAR(b.xmax, 0.32f + 0.2f, kTolerance);
  EXPECT_NEAR(b.ymin, 0.42f - 0.2f, kTolerance);
  EXPECT_NEAR(b.ymax, 0.42f + 0.2f, kTolerance);
}

TEST(DecodeBoxTest, HeightOffsetIsScaledByTheSizeVariance) {
  // dh = ln(3) / 0.2 triples the height 0.4 to 1.2 around the centre y 0.5.
  const Box anchor{0.2f, 0.3f, 0.4f, 0.7f};
  const float offsets[4] = {0.0f, 0.0f, 0.0f, std::log(3.0f) / 0.2f};
  const Box b = DecodeBox(anchor, offsets);
  EXPECT_NEAR(b.ymin, 0.5f - 0.6f, kTolerance);
  EXPECT_NEAR(b.ymax, 0.5f + 0.6f, kTolerance);
  EXPECT_NEAR(b.xmin, 0.2f, kTolerance);
  EXPECT_NEAR(b.xmax, 0.4f, kTolerance);
}

TEST(NonMaxSuppressionTest, SuppressesOverlapsAboveTheBoundAndLowScores) {
  const std::vector<Box> boxes = {
      {0, 0, 10, 10},    // 0: strongest
      {1, 1, 11, 11},    // 1: IoU with 0 is 81/119 = 0.68 -> suppressed
      {20, 20, 30, 30},  // 2: apart -> kept
      {40, 40, 50, 50},  // 3: score 0.3, below the threshold -> dropped
      {5, 0, 15, 10},    // 4: IoU with 0 is 50/150 = 0.33 < 0.4 -> kept
  };
  const std::vector<float> scores = {0.9f, 0.8f, 0.7f, 0.3f, 0.6f};
  const std::vector<int> kept = NonMaxSuppression(boxes, scores, PostprocessOptions{});
  EXPECT_EQ(kept, (std::vector<int>{0, 2, 4}));
}

TEST(NonMaxSuppressionTest, WeakerBoxWinsWhenStrongerIsBelowThreshold) {
  const std::vector<Box> boxes = {{0, 0, 10, 10}, {1, 1, 11, 11}};
  const std::vector<float> scores = {0.45f, 0.55f};
  EXPECT_EQ(NonMaxSuppression(boxes, scores, PostprocessOptions{}), std::vector<int>{1});
}

// Two 10x10 boxes, the second `shift` to the right of the first: IoU (10 - shift) / (10 + shift).
std::vector<Box> SideBySide(float shift) { return {{0, 0, 10, 10}, {shift, 0, 10 + shift, 10}}; }

TEST(NonMaxSuppressionTest, OverlapBetweenTheDefaultBoundAndHalfIsSuppressed) {
  // IoU 6/14 = 0.43: above the default 0.4, below 0.5.
  const std::vector<Box> boxes = SideBySide(4);
  ASSERT_NEAR(IntersectionOverUnion(boxes[0], boxes[1]), 0.4286f, 1e-4f);
  const std::vector<float> scores = {0.9f, 0.8f};
  EXPECT_EQ(NonMaxSuppression(boxes, scores, PostprocessOptions{}), std::vector<int>{0});
  // The bound is the one passed in, and it is the IoU bound, not the score's.
  EXPECT_EQ(NonMaxSuppression(boxes, scores, {.confidence_threshold = 0.5f, .iou_threshold = 0.5f}),
            (std::vector<int>{0, 1}));
  EXPECT_EQ(NonMaxSuppression(boxes, scores, {.confidence_threshold = 0.85f, .iou_threshold = 0.4f}),
            std::vector<int>{0});
}

TEST(NonMaxSuppressionTest, OverlapJustUnderTheDefaultBoundIsKept) {
  // IoU 5.6/14.4 = 0.389: under the default 0.4.
  const std::vector<Box> boxes = SideBySide(4.4f);
  ASSERT_NEAR(IntersectionOverUnion(boxes[0], boxes[1]), 0.3889f, 1e-4f);
  EXPECT_EQ(NonMaxSuppression(boxes, std::vector<float>{0.9f, 0.8f}, PostprocessOptions{}),
            (std::vector<int>{0, 1}));
}

TEST(NonMaxSuppressionTest, ScoreAtTheDefaultThresholdIsDroppedJustAboveKept) {
  const std::vector<Box> boxes = {{0, 0, 10, 10}, {20, 20, 30, 30}};
  EXPECT_EQ(NonMaxSuppression(boxes, std::vector<float>{0.5f, 0.5001f}, PostprocessOptions{}),
            std::vector<int>{1});
}

TEST(PostprocessTest, PicksClassKeepsStrongestAndClips) {
  // Three anchors; the first two overlap heavily, the third reaches past the edge.
  const std::vector<Box> anchors = {
      {0.1f, 0.1f, 0.3f, 0.3f}, {0.11f, 0.1f, 0.31f, 0.3f}, {0.8f, 0.8f, 1.2f, 1.2f}};
  const std::vector<float> locations(12, 0.0f);
  const std::vector<float> scores = {
      0.2f, 0.95f,  // anchor 0: no mask, 0.95
      0.9f, 0.1f,   // anchor 1: mask, 0.9, but overlaps anchor 0 -> suppressed
      0.7f, 0.6f,   // anchor 2: mask, 0.7
  };
  const std::vector<Detection> out = Postprocess(locations, scores, anchors, PostprocessOptions{});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].masked);
  EXPECT_FLOAT_EQ(out[0].confidence, 0.95f);
  EXPECT_TRUE(out[1].masked);
  EXPECT_FLOAT_EQ(out[1].confidence, 0.7f);
  EXPECT_FLOAT_EQ(out[1].box.xmax, 1.0f);
  EXPECT_FLOAT_EQ(out[1].box.ymax, 1.0f);
}

TEST(PostprocessTest, NothingAboveThresholdGivesNoFaces) {
  const std::vector<Box> anchors = {{0.1f, 0.1f, 0.3f, 0.3f}};
  const std::vector<float> locations(4, 0.0f);
  const std::vector<float> scores = {0.5f, 0.49f};  // 0.5 is not above 0.5
  EXPECT_TRUE(Postprocess(locations, scores, anchors, PostprocessOptions{}).empty());
}

TEST(PostprocessTest, EqualScoresCountAsMasked) {
  const std::vector<Box> anchors = {{0.1f, 0.1f, 0.3f, 0.3f}};
  const std::vector<float> locations(4, 0.0f);
  const std::vector<float> scores = {0.7f, 0.7f};
  const std::vector<Detection> out = Postprocess(locations, scores, anchors, PostprocessOptions{});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].masked);
}

TEST(PostprocessTest, ConfidenceThresholdIsTheOnePassedIn) {
  const std::vector<Box> anchors = {{0.1f, 0.1f, 0.3f, 0.3f}};
  const std::vector<float> locations(4, 0.0f);
  const std::vector<float> scores = {0.55f, 0.1f};
  EXPECT_EQ(Postprocess(locations, scores, anchors, PostprocessOptions{}).size(), 1u);
  EXPECT_TRUE(Postprocess(locations, scores, anchors, {.confidence_threshold = 0.6f}).empty());
}

TEST(PostprocessTest, BoxesAreClippedAtTheTopLeftToo) {
  const std::vector<Box> anchors = {{-0.2f, -0.1f, 0.2f, 0.3f}};
  const std::vector<float> locations(4, 0.0f);
  const std::vector<float> scores = {0.1f, 0.9f};
  const std::vector<Detection> out = Postprocess(locations, scores, anchors, PostprocessOptions{});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].box.xmin, 0.0f);
  EXPECT_FLOAT_EQ(out[0].box.ymin, 0.0f);
  EXPECT_FLOAT_EQ(out[0].box.xmax, 0.2f);
  EXPECT_FLOAT_EQ(out[0].box.ymax, 0.3f);
}

TEST(PostprocessTest, EachAnchorUsesItsOwnFourOffsets) {
  // The second anchor's offsets move it by dx = 1 (0.1 of its 0.2 width); the first's are zero.
  const std::vector<Box> anchors = {{0.1f, 0.1f, 0.3f, 0.3f}, {0.6f, 0.6f, 0.8f, 0.8f}};
  const std::vector<float> locations = {0, 0, 0, 0, 1, 0, 0, 0};
  const std::vector<float> scores = {0.1f, 0.9f, 0.1f, 0.8f};
  const std::vector<Detection> out = Postprocess(locations, scores, anchors, PostprocessOptions{});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0].box.xmin, 0.1f, kTolerance);
  EXPECT_NEAR(out[1].box.xmin, 0.62f, kTolerance);
  EXPECT_NEAR(out[1].box.ymin, 0.6f, kTolerance);
}

TEST(BoxTest, IntersectionOverUnion) {
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 10, 10}, {5, 0, 15, 10}), 50.0f / 150.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 10, 10}, {10, 0, 20, 10}), 0.0f);
  EXPECT_FLOAT_EQ(IntersectionOverUnion({0, 0, 0, 0}, {0, 0, 0, 0}), 0.0f);
}

}  // namespace
}  // namespace maskfleet::detect
