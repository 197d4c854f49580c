#include "maskfleet/detect/photo_analyzer.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "maskfleet/detect/annotate.h"

namespace maskfleet::detect {

int PhotoReport::num_masked() const {
  return static_cast<int>(std::count_if(faces.begin(), faces.end(), [](const Face& f) { return f.masked; }));
}

Result<AnalyzedPhoto> PhotoAnalyzer::Analyze(std::span<const std::uint8_t> bytes, bool with_images) const {
  Result<image::DecodedPhoto> photo = image::DecodePhoto(bytes, options_.decode);
  if (!photo) return std::unexpected(photo.error());
  Result<std::vector<Face>> faces = detectors_.Detect(photo->pixels);
  if (!faces) return std::unexpected(faces.error());

  AnalyzedPhoto out;
  out.report.info = photo->info;
  out.report.width = photo->width;
  out.report.height = photo->height;
  const float to_full = static_cast<float>(1.0 / photo->scale);
  for (const Face& f : *faces) {
    out.report.faces.push_back(
        {{f.box.xmin * to_full, f.box.ymin * to_full, f.box.xmax * to_full, f.box.ymax * to_full},
         f.masked,
         f.confidence});
  }
  if (!with_images) return out;

  // The thumbnail shows the annotated picture, so a history list tells at a glance.
  Annotate(photo->pixels, *faces);
  Result<std::vector<std::uint8_t>> annotated = image::EncodeJpeg(photo->pixels, options_.annotated_quality);
  if (!annotated) return std::unexpected(annotated.error());
  Result<std::vector<std::uint8_t>> thumbnail = image::EncodeJpeg(
      image::Thumbnail(photo->pixels, options_.thumbnail_side), options_.thumbnail_quality);
  if (!thumbnail) return std::unexpected(thumbnail.error());
  out.annotated_jpeg = std::move(*annotated);
  out.thumbnail_jpeg = std::move(*thumbnail);
  return out;
}

nlohmann::json ToJson(const PhotoReport& report) {
  nlohmann::json faces = nlohmann::json::array();
  for (const Face& f : report.faces) {
    const long x = std::lround(f.box.xmin);
    const long y = std::lround(f.box.ymin);
    faces.push_back({{"x", x},
                     {"y", y},
                     {"w", std::lround(f.box.xmax) - x},
                     {"h", std::lround(f.box.ymax) - y},
                     {"masked", f.masked},
                     {"confidence", std::round(static_cast<double>(f.confidence) * 1000) / 1000}});
  }
  return {{"width", report.width},
          {"height", report.height},
          {"format", image::FormatName(report.info.format)},
          {"num_faces", report.faces.size()},
          {"num_masked", report.num_masked()},
          {"num_unmasked", report.num_unmasked()},
          {"faces", std::move(faces)}};
}

}  // namespace maskfleet::detect
