// Fuzz target: the image probe (image/probe.h), which reads the bytes of every upload
// and every fetched URL before anything decodes them. Checks, beyond "no crash and no
// read past the buffer": an accepted file has both sides above 0; its format is the
// one its magic bytes name; a refusal is one of the two documented codes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "fuzz_check.h"
#include "maskfleet/image/probe.h"

namespace {

bool StartsWith(std::span<const std::uint8_t> bytes, const char* magic, std::size_t at = 0) {
  const std::size_t n = std::strlen(magic);
  return bytes.size() >= at + n && std::memcmp(bytes.data() + at, magic, n) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using maskfleet::ErrorCode;
  using maskfleet::image::ImageFormat;
  const std::span<const std::uint8_t> bytes(data, size);
  maskfleet::Result<maskfleet::image::ImageInfo> info = maskfleet::image::ProbeImage(bytes);
  if (!info) {
    FUZZ_CHECK(info.error().code == ErrorCode::kInvalidArgument ||
               info.error().code == ErrorCode::kUnsupportedMediaType);
    FUZZ_CHECK(!info.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(info->width > 0 && info->height > 0);
  switch (info->format) {
    case ImageFormat::kJpeg: FUZZ_CHECK(size >= 2 && data[0] == 0xFF && data[1] == 0xD8); break;
    case ImageFormat::kPng: FUZZ_CHECK(StartsWith(bytes, "\x89PNG\r\n\x1a\n")); break;
    case ImageFormat::kWebp: FUZZ_CHECK(StartsWith(bytes, "RIFF") && StartsWith(bytes, "WEBP", 8)); break;
    case ImageFormat::kBmp: FUZZ_CHECK(StartsWith(bytes, "BM")); break;
  }
  return 0;
}
