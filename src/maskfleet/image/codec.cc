#include "maskfleet/image/codec.h"

#include <algorithm>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace maskfleet::image {
namespace {

// The largest libjpeg reduction (1, 2, 4 or 8) that still leaves the long side at
// least half of `max_side`. Decoding at 1/2 costs about a third of a full decode,
// and skips most of the resize after it.
int JpegReduction(const ImageInfo& info, int max_side) {
  const int long_side = std::max(info.width, info.height);
  int factor = 1;
  while (factor < 8 && long_side / (factor * 2) >= max_side / 2) factor *= 2;
  return factor;
}

int ReducedReadFlag(int factor) {
  switch (factor) {
    case 2: return cv::IMREAD_REDUCED_COLOR_2;
    case 4: return cv::IMREAD_REDUCED_COLOR_4;
    case 8: return cv::IMREAD_REDUCED_COLOR_8;
    default: return cv::IMREAD_COLOR;
  }
}

}  // namespace

Result<DecodedPhoto> DecodePhoto(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  Result<ImageInfo> info = ProbeImage(bytes);
  if (!info) return std::unexpected(info.error());
  const std::int64_t pixels = std::int64_t{info->width} * info->height;
  if (pixels > options.max_pixels) {
    return MakeError(ErrorCode::kTooLarge, "image is " + std::to_string(info->width) + "x" +
                                               std::to_string(info->height) + " pixels, above the limit of " +
                                               std::to_string(options.max_pixels));
  }

  const int factor = info->format == ImageFormat::kJpeg ? JpegReduction(*info, options.max_side) : 1;
  cv::Mat decoded;
  try {
    // imdecode only reads; the const_cast satisfies its non-const Mat header.
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<std::uint8_t*>(bytes.data()));
    decoded = cv::imdecode(raw, ReducedReadFlag(factor));
  } catch (const cv::Exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(FormatName(info->format)) + " data is corrupt: " + e.msg);
  }
  if (decoded.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(FormatName(info->format)) + " data is corrupt (decoder failed)");
  }

  DecodedPhoto photo;
  photo.info = *info;
  // EXIF orientation may have turned the picture by 90 degrees.
  const bool turned = (decoded.cols > decoded.rows) != (info->width > info->height);
  photo.width = turned ? info->height : info->width;
  photo.height = turned ? info->width : info->height;
  photo.pixels = FitWithin(decoded, options.max_side);
  photo.scale = static_cast<double>(photo.pixels.cols) / photo.width;
  return photo;
}

Result<std::vector<std::uint8_t>> EncodeJpeg(const cv::Mat& bgr, int quality) {
  std::vector<std::uint8_t> out;
  try {
    const std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, std::clamp(quality, 1, 100)};
    if (!cv::imencode(".jpg", bgr, out, params)) {
      return MakeError(ErrorCode::kInternal, "JPEG encoder failed");
    }
  } catch (const cv::Exception& e) {
    return MakeError(ErrorCode::kInternal, "JPEG encoder failed: " + e.msg);
  }
  return out;
}

cv::Mat FitWithin(const cv::Mat& bgr, int long_side) {
  const int current = std::max(bgr.cols, bgr.rows);
  if (current <= long_side) return bgr;
  const double f = static_cast<double>(long_side) / current;
  cv::Mat out;
  cv::resize(bgr, out, cv::Size(), f, f, cv::INTER_AREA);
  return out;
}

cv::Mat Thumbnail(const cv::Mat& bgr, int long_side) {
  const int current = std::max(bgr.cols, bgr.rows);
  if (current <= long_side) return bgr;
  const int block = current / long_side;
  if (block < 2) return FitWithin(bgr, long_side);
  const cv::Mat whole_blocks = bgr(cv::Rect(0, 0, bgr.cols / block * block, bgr.rows / block * block));
  cv::Mat averaged;
  cv::resize(whole_blocks, averaged, cv::Size(whole_blocks.cols / block, whole_blocks.rows / block), 0, 0,
             cv::INTER_AREA);
  return FitWithin(averaged, long_side);
}

}  // namespace maskfleet::image
