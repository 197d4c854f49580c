// Scoring detections against annotated faces, for the accuracy test and the
// `maskfleet detect` figures in docs/performance.md.
#ifndef MASKFLEET_TESTING_EVALUATION_H_
#define MASKFLEET_TESTING_EVALUATION_H_

#include <span>

#include "maskfleet/detect/detector.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::testing {

struct Tally {
  int annotated = 0;                // annotated faces
  int matched = 0;                  // of those, found by a detection with IoU >= the bound
  int detections = 0;               // all detections
  int labelled_matched = 0;         // matched faces labelled with_mask or without_mask
  int label_correct = 0;            // of those, masked/unmasked as annotated
  int incorrect_matched = 0;        // matched mask_weared_incorrect faces
  int incorrect_called_masked = 0;  // of those, the detector said "masked"

  double recall() const { return annotated ? static_cast<double>(matched) / annotated : 0; }
  double precision() const { return detections ? static_cast<double>(matched) / detections : 0; }
  double mask_accuracy() const {
    return labelled_matched ? static_cast<double>(label_correct) / labelled_matched : 0;
  }
  Tally& operator+=(const Tally& other);
};

// Greedy one-to-one matching, best IoU first. mask_weared_incorrect faces count for
// recall but not for mask accuracy (neither answer is plainly right for them).
Tally Score(const Annotation& truth, std::span<const detect::Face> detections, float min_iou = 0.4f);

}  // namespace maskfleet::testing

#endif  // MASKFLEET_TESTING_EVALUATION_H_
