// Small images made in memory for the image and detector tests.
#ifndef MASKFLEET_IMAGE_TEST_IMAGES_H_
#define MASKFLEET_IMAGE_TEST_IMAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace maskfleet::image::test {

using Bytes = std::vector<std::uint8_t>;

// A picture with some structure (so that codecs have work to do).
inline cv::Mat Pattern(int width, int height, int channels = 3) {
  cv::Mat m(height, width, CV_8UC(channels), cv::Scalar::all(90));
  cv::circle(m, {width / 2, height / 3}, std::min(width, height) / 4, cv::Scalar::all(200), -1);
  cv::rectangle(m, {width / 8, height / 2}, {width / 3, height - 1}, cv::Scalar::all(30), -1);
  return m;
}

inline Bytes Encode(const std::string& ext, const cv::Mat& m) {
  Bytes out;
  cv::imencode(ext, m, out);
  return out;
}

// A PNG that declares width x height but holds no pixel data worth decoding:
// signature, IHDR, IEND (CRCs are not checked by the probe).
inline Bytes PngHeaderOnly(std::uint32_t width, std::uint32_t height) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (std::uint32_t v : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  for (std::uint8_t v : {8, 2, 0, 0, 0}) b.push_back(v);  // depth, colour type RGB, methods
  for (int i = 0; i < 4; ++i) b.push_back(0);                // CRC
  const Bytes iend = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  b.insert(b.end(), iend.begin(), iend.end());
  return b;
}

// `jpeg` with an EXIF APP1 segment saying "rotate 90 degrees clockwise to show"
// (orientation 6) right after the start-of-image marker.
inline Bytes WithExifOrientation6(const Bytes& jpeg) {
  const Bytes app1 = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0,
                      'M', 'M', 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,   // TIFF header
                      0x00, 0x01,                                     // one IFD entry
                      0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,  // Orientation, SHORT, 1
                      0x00, 0x06, 0x00, 0x00,                         // value 6
                      0x00, 0x00, 0x00, 0x00};                        // no next IFD
  Bytes out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

}  // namespace maskfleet::image::test

#endif  // MASKFLEET_IMAGE_TEST_IMAGES_H_
