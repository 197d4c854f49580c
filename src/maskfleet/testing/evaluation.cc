#include "maskfleet/testing/evaluation.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace maskfleet::testing {

Tally& Tally::operator+=(const Tally& o) {
  annotated += o.annotated;
  matched += o.matched;
  detections += o.detections;
  labelled_matched += o.labelled_matched;
  label_correct += o.label_correct;
  incorrect_matched += o.incorrect_matched;
  incorrect_called_masked += o.incorrect_called_masked;
  return *this;
}

Tally Score(const Annotation& truth, std::span<const detect::Face> detections, float min_iou) {
  std::vector<std::tuple<float, int, int>> pairs;  // (IoU, truth index, detection index)
  for (int t = 0; t < static_cast<int>(truth.faces.size()); ++t) {
    for (int d = 0; d < static_cast<int>(detections.size()); ++d) {
      const float iou = detect::IntersectionOverUnion(truth.faces[t].box, detections[d].box);
      if (iou >= min_iou) pairs.emplace_back(iou, t, d);
    }
  }
  std::sort(pairs.begin(), pairs.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> truth_used(truth.faces.size());
  std::vector<bool> detection_used(detections.size());
  Tally tally;
  tally.annotated = static_cast<int>(truth.faces.size());
  tally.detections = static_cast<int>(detections.size());
  for (const auto& [iou, t, d] : pairs) {
    if (truth_used[t] || detection_used[d]) continue;
    truth_used[t] = detection_used[d] = true;
    ++tally.matched;
    const MaskLabel label = truth.faces[t].label;
    if (label == MaskLabel::kIncorrect) {
      ++tally.incorrect_matched;
      tally.incorrect_called_masked += detections[d].masked ? 1 : 0;
    } else {
      ++tally.labelled_matched;
      tally.label_correct += (detections[d].masked == (label == MaskLabel::kWithMask)) ? 1 : 0;
    }
  }
  return tally;
}

}  // namespace maskfleet::testing
