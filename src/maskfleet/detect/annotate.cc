#include "maskfleet/detect/annotate.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace maskfleet::detect {

int LineWidthFor(cv::Size picture) { return std::max(2, std::max(picture.width, picture.height) / 375); }

void Annotate(cv::Mat& bgr, std::span<const Face> faces) {
  const int width = LineWidthFor(bgr.size());
  for (const Face& f : faces) {
    const cv::Point top_left(static_cast<int>(std::lround(f.box.xmin)),
                             static_cast<int>(std::lround(f.box.ymin)));
    const cv::Point bottom_right(static_cast<int>(std::lround(f.box.xmax)),
                                 static_cast<int>(std::lround(f.box.ymax)));
    cv::rectangle(bgr, top_left, bottom_right, f.masked ? kMaskedColour : kUnmaskedColour, width,
                  cv::LINE_AA);
  }
}

}  // namespace maskfleet::detect
