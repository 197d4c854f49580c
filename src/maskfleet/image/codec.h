// Decoding photos within bounds, and encoding what we store and serve.
//
// DecodePhoto turns untrusted bytes into a BGR picture no larger than we need:
// the probe refuses over-large or truncated files first, JPEGs are decoded by
// libjpeg at 1/2, 1/4 or 1/8 scale when the photo is far bigger than the stored
// resolution (the detector sees 260x260 anyway, so no face is lost), and EXIF
// orientation is applied. All functions are thread-safe.
#ifndef MASKFLEET_IMAGE_CODEC_H_
#define MASKFLEET_IMAGE_CODEC_H_

#include <cstdint>
#include <span>
#include <vector>

#include <opencv2/core.hpp>

#include "maskfleet/common/error.h"
#include "maskfleet/image/probe.h"

namespace maskfleet::image {

struct DecodeOptions {
  // Photos with more pixels than this are refused before decoding (default 50 MP,
  // above any phone camera, far below what would exhaust memory).
  std::int64_t max_pixels = 50'000'000;
  // Longest side of the decoded picture; larger photos are scaled down. A JPEG is
  // decoded at the smallest libjpeg scale that keeps at least max_side / 2, so a
  // large photo ends up between max_side / 2 and max_side. Default 2048.
  int max_side = 2048;
};

struct DecodedPhoto {
  // 8-bit, 3 channels, BGR; alpha dropped, grey expanded; at most max_side long.
  cv::Mat pixels;
  ImageInfo info;
  // Size of the photo as a viewer shows it (after EXIF orientation), at full resolution.
  int width = 0;
  int height = 0;
  // pixels.cols / width: multiply full-resolution coordinates by it to reach `pixels`.
  double scale = 1.0;
};

// Errors: those of ProbeImage; kTooLarge over max_pixels; kInvalidArgument when the
// decoder rejects the data.
Result<DecodedPhoto> DecodePhoto(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

// JPEG bytes of `bgr`. quality in 1..100 (default 88). Errors: kInternal.
Result<std::vector<std::uint8_t>> EncodeJpeg(const cv::Mat& bgr, int quality = 88);

// `bgr` scaled down (area interpolation) so that its longest side is at most
// `long_side`; a picture that already fits is returned as is (sharing its pixels).
cv::Mat FitWithin(const cv::Mat& bgr, int long_side);

// A preview of `bgr` at most `long_side` long, at about half FitWithin's cost for a
// picture several times larger: averaged first over whole blocks of k x k pixels
// (OpenCV's fast path for integer factors), then area-scaled the rest of the way. Up
// to k - 1 columns and rows at the right and bottom edges are left out (under 1% of
// the picture), so it is for showing, not for measuring. A picture that already fits
// is returned as is (sharing its pixels).
cv::Mat Thumbnail(const cv::Mat& bgr, int long_side);

}  // namespace maskfleet::image

#endif  // MASKFLEET_IMAGE_CODEC_H_
