// Turning the network's raw outputs into faces: SSD box decoding, class choice and
// class-agnostic non-maximum suppression, as the model's authors post-process it.
// Pure functions; thread-safe.
#ifndef MASKFLEET_DETECT_POSTPROCESS_H_
#define MASKFLEET_DETECT_POSTPROCESS_H_

#include <span>
#include <vector>

#include "maskfleet/detect/box.h"

namespace maskfleet::detect {

// SSD variances of the centre offsets and of the log size ratios.
inline constexpr float kCentreVariance = 0.1f;
inline constexpr float kSizeVariance = 0.2f;

// Class 0 of the network is "mask", class 1 "no mask".
inline constexpr int kMaskClass = 0;

struct PostprocessOptions {
  // A candidate whose best class score is not above this is dropped. Default 0.5.
  float confidence_threshold = 0.5f;
  // Of two candidates overlapping by more than this IoU, the weaker goes. Default 0.4.
  float iou_threshold = 0.4f;
};

struct Detection {
  Box box;  // normalised 0..1, clipped to the image
  bool masked = false;
  float confidence = 0;  // score of the chosen class
};

// The box that `offsets` (dx, dy, dw, dh, before variances) predict for `anchor`.
Box DecodeBox(const Box& anchor, std::span<const float, 4> offsets);

// Indices into `boxes` that survive, strongest first. `scores[i]` belongs to `boxes[i]`.
std::vector<int> NonMaxSuppression(std::span<const Box> boxes, std::span<const float> scores,
                                   const PostprocessOptions& options);

// `locations` holds 4 floats per anchor, `scores` 2 per anchor (mask, no mask).
std::vector<Detection> Postprocess(std::span<const float> locations, std::span<const float> scores,
                                   std::span<const Box> anchors, const PostprocessOptions& options);

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_POSTPROCESS_H_
