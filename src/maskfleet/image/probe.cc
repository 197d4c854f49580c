#include "maskfleet/image/probe.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include <zlib.h>

namespace maskfleet::image {
namespace {

using Bytes = std::span<const std::uint8_t>;

std::uint32_t ReadBe16(Bytes b, std::size_t at) { return (b[at] << 8) | b[at + 1]; }
std::uint32_t ReadBe32(Bytes b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3];
}
std::uint32_t ReadLe16(Bytes b, std::size_t at) { return b[at] | (b[at + 1] << 8); }
std::uint32_t ReadLe24(Bytes b, std::size_t at) { return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16); }
std::uint32_t ReadLe32(Bytes b, std::size_t at) { return ReadLe24(b, at) | (std::uint32_t{b[at + 3]} << 24); }

bool StartsWith(Bytes b, std::string_view magic, std::size_t at = 0) {
  return b.size() >= at + magic.size() && std::memcmp(b.data() + at, magic.data(), magic.size()) == 0;
}

std::unexpected<Error> Malformed(std::string_view format, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument, std::string(format) + " file is " + std::string(what));
}

Result<ImageInfo> Dimensions(ImageFormat format, std::int64_t width, std::int64_t height) {
  if (width <= 0 || height <= 0 || width > INT32_MAX || height > INT32_MAX) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(FormatName(format)) +
                                                      " header gives impossible dimensions " +
                                                      std::to_string(width) + "x" + std::to_string(height));
  }
  return ImageInfo{format, static_cast<int>(width), static_cast<int>(height)};
}

bool IsStartOfFrame(std::uint8_t marker) {
  // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

// Walks the marker segments up to the first start-of-scan. Entropy-coded data
// escapes every 0xFF as FF00, so the first FF D9 after the scan starts is the real
// end-of-image marker; its absence means the file was cut short.
Result<ImageInfo> ProbeJpeg(Bytes b) {
  std::size_t pos = 2;
  std::int64_t width = -1;
  std::int64_t height = -1;
  while (true) {
    const std::size_t marker_start = pos;
    while (pos < b.size() && b[pos] == 0xFF) ++pos;  // fill bytes before a marker
    if (pos >= b.size()) return Malformed("JPEG", "truncated (ends inside its header)");
    // A segment's own last byte may be 0xFF; only 0xFF bytes after it begin a marker.
    if (pos == marker_start) return Malformed("JPEG", "corrupt (expected a marker)");
    const std::uint8_t marker = b[pos++];
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;
    if (marker == 0xD9) return Malformed("JPEG", "corrupt (end of image before any scan)");
    if (pos + 2 > b.size()) return Malformed("JPEG", "truncated (ends inside its header)");
    const std::size_t length = ReadBe16(b, pos);
    if (length < 2) return Malformed("JPEG", "corrupt (segment length below 2)");
    if (pos + length > b.size()) return Malformed("JPEG", "truncated (ends inside its header)");
    if (IsStartOfFrame(marker)) {
      if (length < 7) return Malformed("JPEG", "corrupt (short frame header)");
      height = ReadBe16(b, pos + 3);
      width = ReadBe16(b, pos + 5);
    }
    pos += length;
    if (marker == 0xDA) break;  // start of scan: entropy-coded data follows
  }
  if (width < 0) return Malformed("JPEG", "corrupt (no frame header before the scan)");
  static constexpr std::array<std::uint8_t, 2> kEndOfImage = {0xFF, 0xD9};
  if (std::search(b.begin() + pos, b.end(), kEndOfImage.begin(), kEndOfImage.end()) == b.end()) {
    return Malformed("JPEG", "truncated (no end-of-image marker)");
  }
  return Dimensions(ImageFormat::kJpeg, width, height);
}

// A PNG chunk type for a message: its four letters, or, when they are not all ASCII
// letters (as the format requires), their hex value. The raw bytes would make the
// message invalid UTF-8, which no JSON answer can carry.
std::string ChunkName(Bytes type) {
  const bool letters = std::all_of(type.begin(), type.end(), [](std::uint8_t c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  });
  if (letters) return std::string(reinterpret_cast<const char*>(type.data()), type.size());
  std::string hex = "0x";
  for (std::uint8_t c : type) {
    constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 0xF];
  }
  return hex;
}

// Walks every chunk (length, type, data, CRC) and insists on IHDR first, every CRC
// right, and IEND last.
Result<ImageInfo> ProbePng(Bytes b) {
  std::size_t pos = 8;
  if (b.size() < pos + 8 + 13 || !StartsWith(b, "IHDR", pos + 4)) {
    return Malformed("PNG", "truncated or corrupt (no IHDR chunk)");
  }
  // The dimensions are IHDR's first 8 bytes; a shorter IHDR would have them read from
  // its CRC and the next chunk.
  if (ReadBe32(b, pos) != 13) return Malformed("PNG", "corrupt (IHDR is not 13 bytes long)");
  const std::int64_t width = ReadBe32(b, pos + 8);
  const std::int64_t height = ReadBe32(b, pos + 12);
  while (true) {
    if (pos + 12 > b.size()) return Malformed("PNG", "truncated (no IEND chunk)");
    const std::uint64_t length = ReadBe32(b, pos);
    const bool is_end = StartsWith(b, "IEND", pos + 4);
    if (pos + 12 + length > b.size()) return Malformed("PNG", "truncated (a chunk is cut short)");
    // The CRC covers the chunk's type and data. Checking it here catches corruption
    // with a clear message before libpng, which would print its own to stderr.
    const std::uint32_t stored_crc = ReadBe32(b, pos + 8 + length);
    const uLong crc = crc32(0L, b.data() + pos + 4, static_cast<uInt>(length + 4));
    if (crc != stored_crc) {
      return Malformed("PNG", "corrupt (chunk " + ChunkName(b.subspan(pos + 4, 4)) + " fails its CRC check)");
    }
    pos += 12 + length;
    if (is_end) break;
  }
  return Dimensions(ImageFormat::kPng, width, height);
}

// A WebP file is a RIFF container whose first chunk (at byte 12, after "RIFF", the
// RIFF size and "WEBP") says which variant it is: "VP8 " (lossy), "VP8L" (lossless)
// or "VP8X" (extended: the canvas size, then further chunks).
Result<ImageInfo> ProbeWebp(Bytes b) {
  const std::uint64_t riff_size = ReadLe32(b, 4);
  if (riff_size + 8 > b.size()) return Malformed("WebP", "truncated (shorter than its RIFF size)");
  if (b.size() < 20) return Malformed("WebP", "truncated (no image header)");
  // Bytes of the first chunk's data that hold the dimensions.
  std::size_t header_size = 0;
  if (StartsWith(b, "VP8X", 12) || StartsWith(b, "VP8 ", 12)) {
    header_size = 10;
  } else if (StartsWith(b, "VP8L", 12)) {
    header_size = 5;
  } else {
    return Malformed("WebP", "corrupt (unknown chunk type)");
  }
  if (b.size() < 20 + header_size) return Malformed("WebP", "truncated (no image header)");
  if (ReadLe32(b, 16) < header_size) {
    return Malformed("WebP", "corrupt (first chunk too short for an image header)");
  }
  if (StartsWith(b, "VP8X", 12)) {
    return Dimensions(ImageFormat::kWebp, ReadLe24(b, 24) + 1, ReadLe24(b, 27) + 1);
  }
  if (StartsWith(b, "VP8 ", 12)) {
    if (b[23] != 0x9D || b[24] != 0x01 || b[25] != 0x2A) {
      return Malformed("WebP", "corrupt (bad VP8 start code)");
    }
    // The top two bits of each are an upscaling hint, not part of the size.
    return Dimensions(ImageFormat::kWebp, ReadLe16(b, 26) & 0x3FFF, ReadLe16(b, 28) & 0x3FFF);
  }
  if (b[20] != 0x2F) return Malformed("WebP", "corrupt (bad VP8L signature)");
  const std::uint32_t bits = ReadLe32(b, 21);
  return Dimensions(ImageFormat::kWebp, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
}

Result<ImageInfo> ProbeBmp(Bytes b) {
  if (b.size() < 26) return Malformed("BMP", "truncated (no image header)");
  const std::uint32_t pixel_offset = ReadLe32(b, 10);
  if (pixel_offset >= b.size()) return Malformed("BMP", "truncated (no pixel data)");
  const std::int64_t width = static_cast<std::int32_t>(ReadLe32(b, 18));
  const std::int64_t height = static_cast<std::int32_t>(ReadLe32(b, 22));
  return Dimensions(ImageFormat::kBmp, width, height < 0 ? -height : height);  // <0: top-down
}

}  // namespace

std::string_view FormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
    case ImageFormat::kBmp: return "bmp";
  }
  return "unknown";
}

std::string_view MimeType(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg: return "image/jpeg";
    case ImageFormat::kPng: return "image/png";
    case ImageFormat::kWebp: return "image/webp";
    case ImageFormat::kBmp: return "image/bmp";
  }
  return "application/octet-stream";
}

Result<ImageInfo> ProbeImage(Bytes bytes) {
  if (bytes.empty()) return MakeError(ErrorCode::kInvalidArgument, "empty file");
  if (StartsWith(bytes, "\xFF\xD8\xFF")) return ProbeJpeg(bytes);
  if (StartsWith(bytes, "\x89PNG\r\n\x1A\n")) return ProbePng(bytes);
  if (StartsWith(bytes, "RIFF") && StartsWith(bytes, "WEBP", 8)) return ProbeWebp(bytes);
  if (StartsWith(bytes, "BM")) return ProbeBmp(bytes);
  return MakeError(ErrorCode::kUnsupportedMediaType,
                   "not an image in a supported format (JPEG, PNG, WebP or BMP)");
}

}  // namespace maskfleet::image
