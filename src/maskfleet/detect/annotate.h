// Drawing the result: a green rectangle on every masked face, a red one on every
// unmasked face, the line width scaled to the picture so that it reads the same on
// a thumbnail-sized and a poster-sized photo.
#ifndef MASKFLEET_DETECT_ANNOTATE_H_
#define MASKFLEET_DETECT_ANNOTATE_H_

#include <span>

#include <opencv2/core.hpp>

#include "maskfleet/detect/detector.h"

namespace maskfleet::detect {

inline const cv::Scalar kMaskedColour{0, 200, 0};    // BGR green
inline const cv::Scalar kUnmaskedColour{0, 0, 230};  // BGR red

// Line width in pixels for a picture of this size: 2 up to about 750 px, growing
// by one per 375 px of the longer side.
int LineWidthFor(cv::Size picture);

// Draws on `bgr` in place; `faces` are in its pixel coordinates.
void Annotate(cv::Mat& bgr, std::span<const Face> faces);

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_ANNOTATE_H_
