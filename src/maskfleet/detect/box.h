#ifndef MASKFLEET_DETECT_BOX_H_
#define MASKFLEET_DETECT_BOX_H_

#include <algorithm>

namespace maskfleet::detect {

// An axis-aligned box in corner form, in whatever units the caller uses
// (normalised 0..1 inside the detector, pixels outside).
struct Box {
  float xmin = 0;
  float ymin = 0;
  float xmax = 0;
  float ymax = 0;

  float width() const { return xmax - xmin; }
  float height() const { return ymax - ymin; }
  float area() const { return std::max(0.0f, width()) * std::max(0.0f, height()); }
  bool operator==(const Box&) const = default;
};

// Intersection over union; 0 for boxes that do not overlap or have no area.
inline float IntersectionOverUnion(const Box& a, const Box& b) {
  const float iw = std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin);
  const float ih = std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin);
  if (iw <= 0 || ih <= 0) return 0;
  const float inter = iw * ih;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_BOX_H_
