// The whole path from a photo's bytes to what maskfleet stores and shows: decode
// within bounds, detect, count, and (on request) the annotated picture and the
// thumbnail as JPEG. The CLI's `detect` and the worker's upload both go through it.
//
// Thread-safe: concurrent calls share the DetectorPool, which bounds how many
// inferences run at once.
#ifndef MASKFLEET_DETECT_PHOTO_ANALYZER_H_
#define MASKFLEET_DETECT_PHOTO_ANALYZER_H_

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "maskfleet/common/error.h"
#include "maskfleet/detect/detector.h"
#include "maskfleet/image/codec.h"

namespace maskfleet::detect {

struct AnalyzerOptions {
  image::DecodeOptions decode;
  // JPEG quality of the annotated picture (default 88) and the thumbnail (default 80).
  int annotated_quality = 88;
  int thumbnail_quality = 80;
  // Longest side of the thumbnail. Default 256.
  int thumbnail_side = 256;
};

struct PhotoReport {
  image::ImageInfo info;
  // As a viewer shows the photo (after EXIF orientation), at full resolution.
  int width = 0;
  int height = 0;
  // In full-resolution pixels of the photo, strongest first.
  std::vector<Face> faces;

  int num_masked() const;
  int num_unmasked() const { return static_cast<int>(faces.size()) - num_masked(); }
};

struct AnalyzedPhoto {
  PhotoReport report;
  // Empty unless asked for.
  std::vector<std::uint8_t> annotated_jpeg;
  std::vector<std::uint8_t> thumbnail_jpeg;
};

class PhotoAnalyzer {
 public:
  // `detectors` must outlive the analyzer.
  PhotoAnalyzer(DetectorPool& detectors, const AnalyzerOptions& options)
      : detectors_(detectors), options_(options) {}

  // Errors: those of image::DecodePhoto (bad input), kInternal from the model.
  Result<AnalyzedPhoto> Analyze(std::span<const std::uint8_t> bytes, bool with_images) const;

 private:
  DetectorPool& detectors_;
  AnalyzerOptions options_;
};

// {"width", "height", "format", "num_faces", "num_masked", "num_unmasked",
//  "faces": [{"x", "y", "w", "h", "masked", "confidence"}]}, integers in pixels.
nlohmann::json ToJson(const PhotoReport& report);

}  // namespace maskfleet::detect

#endif  // MASKFLEET_DETECT_PHOTO_ANALYZER_H_
