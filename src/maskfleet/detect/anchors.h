// The AIZOO model's SSD anchors (prior boxes).
//
// The network predicts, for each of 5,972 fixed anchors, an offset of the face box
// from the anchor and two class scores. The anchors come from the model's published
// configuration: five feature maps, two sizes and three aspect ratios each, laid on
// each map's cell centres. See models/aizoo-face-mask/SOURCE.md in shared/.
#ifndef MASKFLEET_DETECT_ANCHORS_H_
#define MASKFLEET_DETECT_ANCHORS_H_

#include <array>
#include <vector>

#include "maskfleet/detect/box.h"

namespace maskfleet::detect {

struct FeatureMapAnchors {
  int size;                     // the map is size x size cells
  std::array<float, 2> scales;  // anchor sizes, as a fraction of the image side
};

struct AnchorConfig {
  std::vector<FeatureMapAnchors> maps;
  // Width/height ratios; the first goes with every scale, the others with the first
  // scale only, so each cell has scales + ratios - 1 anchors.
  std::vector<float> ratios;
};

// The configuration the AIZOO model was trained with.
const AnchorConfig& AizooAnchorConfig();

// Anchors in normalised (0..1) corner form, in the network's output order: map by
// map, cells row by row, the cell's anchors in configuration order.
std::vector<Box> GenerateAnchors(const AnchorConfig& config);

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_ANCHORS_H_
