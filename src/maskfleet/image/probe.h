// Recognises an image by its bytes, before anything decodes it.
//
// ProbeImage reads only the container's header and structure: the format (from the
// magic bytes, never the file name), the pixel dimensions (so that a decompression
// bomb is refused before a decoder allocates for it), and whether the file is
// complete (a JPEG without its end-of-image marker or a PNG without IEND is
// truncated; decoders would otherwise hand back a half-grey picture and no error;
// a PNG chunk whose CRC is wrong is corrupt).
//
// OpenCV 4.6 has no header-only reader, which is why this exists. It is pure,
// thread-safe, and never reads past `bytes`.
#ifndef MASKFLEET_IMAGE_PROBE_H_
#define MASKFLEET_IMAGE_PROBE_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::image {

enum class ImageFormat { kJpeg, kPng, kWebp, kBmp };

// "jpeg", "png", "webp", "bmp".
std::string_view FormatName(ImageFormat format);
// "image/jpeg" and so on.
std::string_view MimeType(ImageFormat format);

struct ImageInfo {
  ImageFormat format = ImageFormat::kJpeg;
  // As stored in the file, before any EXIF orientation is applied.
  int width = 0;
  int height = 0;
};

// Errors: kInvalidArgument for an empty, truncated or malformed file (the message
// says which), kUnsupportedMediaType for bytes that are no image format we decode.
Result<ImageInfo> ProbeImage(std::span<const std::uint8_t> bytes);

}  // namespace maskfleet::image

#endif  // MASKFLEET_IMAGE_PROBE_H_
