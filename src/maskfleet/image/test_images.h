// Small images made in memory for the image and detector tests.
#ifndef MASKFLEET_IMAGE_TEST_IMAGES_H_
#define MASKFLEET_IMAGE_TEST_IMAGES_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zlib.h>

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

// A PNG that declares width x height but holds no pixel data: signature, IHDR, IEND.
inline Bytes PngHeaderOnly(std::uint32_t width, std::uint32_t height) {
  const auto put32 = [](Bytes& b, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  const auto chunk = [&](Bytes& b, const char* type, const Bytes& data) {
    put32(b, static_cast<std::uint32_t>(data.size()));
    Bytes typed(type, type + 4);
    typed.insert(typed.end(), data.begin(), data.end());
    b.insert(b.end(), typed.begin(), typed.end());
    put32(b, static_cast<std::uint32_t>(crc32(0L, typed.data(), static_cast<uInt>(typed.size()))));
  };
  Bytes ihdr;
  put32(ihdr, width);
  put32(ihdr, height);
  for (std::uint8_t v : {8, 2, 0, 0, 0}) ihdr.push_back(v);  // depth, colour type RGB, methods
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  chunk(b, "IHDR", ihdr);
  chunk(b, "IEND", {});
  return b;
}

// `jpeg` with an EXIF APP1 segment saying "rotate 90 degrees clockwise to show"
// (orientation 6) right after the start-of-image marker.
inline Bytes WithExifOrientation6(const Bytes& jpeg) {
  const Bytes app1 = {0xFF, 0xE1, 0x00, 0x22, 'E',  'x',  'i',  'f',  0,
                      0,    'M',  'M',  0x00, 0x2A, 0x00, 0x00, 0x00, 0x08,  // TIFF header
                      0x00, 0x01,                                            // one IFD entry
                      0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,        // Orientation, SHORT, 1
                      0x00, 0x06, 0x00, 0x00,                                // value 6
                      0x00, 0x00, 0x00, 0x00};                               // no next IFD
  // Sized up front: g++ 12 at -O3 warns falsely about insert() into a short vector.
  Bytes out(jpeg.size() + app1.size());
  std::copy(jpeg.begin(), jpeg.begin() + 2, out.begin());
  std::copy(app1.begin(), app1.end(), out.begin() + 2);
  std::copy(jpeg.begin() + 2, jpeg.end(), out.begin() + 2 + static_cast<std::ptrdiff_t>(app1.size()));
  return out;
}

}  // namespace maskfleet::image::test

#endif  // MASKFLEET_IMAGE_TEST_IMAGES_H_
