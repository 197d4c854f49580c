#include "maskfleet/detect/anchors.h"

#include <cmath>

namespace maskfleet::detect {

const AnchorConfig& AizooAnchorConfig() {
  static const AnchorConfig config{
      .maps = {{33, {0.04f, 0.056f}},
               {17, {0.08f, 0.11f}},
               {9, {0.16f, 0.22f}},
               {5, {0.32f, 0.45f}},
               {3, {0.64f, 0.72f}}},
      .ratios = {1.0f, 0.62f, 0.42f},
  };
  return config;
}

std::vector<Box> GenerateAnchors(const AnchorConfig& config) {
  std::vector<Box> anchors;
  for (const FeatureMapAnchors& map : config.maps) {
    // Half widths and heights of this map's anchors, in configuration order.
    std::vector<std::pair<float, float>> halves;
    for (float scale : map.scales) {
      const float root = std::sqrt(config.ratios[0]);
      halves.emplace_back(scale * root / 2, scale / root / 2);
    }
    for (std::size_t r = 1; r < config.ratios.size(); ++r) {
      const float root = std::sqrt(config.ratios[r]);
      halves.emplace_back(map.scales[0] * root / 2, map.scales[0] / root / 2);
    }
    for (int row = 0; row < map.size; ++row) {
      const float cy = (row + 0.5f) / map.size;
      for (int col = 0; col < map.size; ++col) {
        const float cx = (col + 0.5f) / map.size;
        for (const auto& [hw, hh] : halves) anchors.push_back({cx - hw, cy - hh, cx + hw, cy + hh});
      }
    }
  }
  return anchors;
}

}  // namespace maskfleet::detect
