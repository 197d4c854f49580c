#include "maskfleet/detect/postprocess.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <opencv2/dnn.hpp>

namespace maskfleet::detect {

Box DecodeBox(const Box& anchor, std::span<const float, 4> offsets) {
  const float aw = anchor.width();
  const float ah = anchor.height();
  const float cx = (anchor.xmin + anchor.xmax) / 2 + offsets[0] * kCentreVariance * aw;
  const float cy = (anchor.ymin + anchor.ymax) / 2 + offsets[1] * kCentreVariance * ah;
  const float w = std::exp(offsets[2] * kSizeVariance) * aw;
  const float h = std::exp(offsets[3] * kSizeVariance) * ah;
  return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

std::vector<int> NonMaxSuppression(std::span<const Box> boxes, std::span<const float> scores,
                                   const PostprocessOptions& options) {
  assert(boxes.size() == scores.size());
  std::vector<cv::Rect2d> rects;
  rects.reserve(boxes.size());
  for (const Box& b : boxes) rects.emplace_back(b.xmin, b.ymin, b.width(), b.height());
  const std::vector<float> score_copy(scores.begin(), scores.end());
  std::vector<int> kept;
  cv::dnn::NMSBoxes(rects, score_copy, options.confidence_threshold, options.iou_threshold, kept);
  return kept;
}

std::vector<Detection> Postprocess(std::span<const float> locations, std::span<const float> scores,
                                   std::span<const Box> anchors, const PostprocessOptions& options) {
  assert(locations.size() == anchors.size() * 4 && scores.size() == anchors.size() * 2);
  // Decode only the candidates that can pass the threshold: a few dozen of 5,972.
  std::vector<Box> boxes;
  std::vector<float> best_scores;
  std::vector<bool> masked;
  for (std::size_t i = 0; i < anchors.size(); ++i) {
    const float mask_score = scores[2 * i + kMaskClass];
    const float bare_score = scores[2 * i + 1 - kMaskClass];
    const float best = std::max(mask_score, bare_score);
    if (!(best > options.confidence_threshold)) continue;
    boxes.push_back(DecodeBox(anchors[i], locations.subspan(4 * i).first<4>()));
    best_scores.push_back(best);
    masked.push_back(mask_score >= bare_score);
  }
  std::vector<Detection> out;
  for (int k : NonMaxSuppression(boxes, best_scores, options)) {
    Box b = boxes[k];
    b.xmin = std::clamp(b.xmin, 0.0f, 1.0f);
    b.ymin = std::clamp(b.ymin, 0.0f, 1.0f);
    b.xmax = std::clamp(b.xmax, 0.0f, 1.0f);
    b.ymax = std::clamp(b.ymax, 0.0f, 1.0f);
    out.push_back({b, masked[k], best_scores[k]});
  }
  return out;
}

}  // namespace maskfleet::detect
