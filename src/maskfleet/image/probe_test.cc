#include "maskfleet/image/probe.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>

#include "maskfleet/image/test_images.h"

namespace maskfleet::image {
namespace {

using test::Bytes;

TEST(ProbeTest, RecognisesEachFormatAndItsSize) {
  const cv::Mat m = test::Pattern(64, 48);
  const struct {
    const char* ext;
    ImageFormat format;
  } cases[] = {{".jpg", ImageFormat::kJpeg},
               {".png", ImageFormat::kPng},
               {".webp", ImageFormat::kWebp},
               {".bmp", ImageFormat::kBmp}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ext);
    Result<ImageInfo> info = ProbeImage(test::Encode(c.ext, m));
    ASSERT_TRUE(info.has_value()) << info.error().ToString();
    EXPECT_EQ(info->format, c.format);
    EXPECT_EQ(info->width, 64);
    EXPECT_EQ(info->height, 48);
  }
}

TEST(ProbeTest, LosslessWebpAndGreyPng) {
  Bytes webp;
  cv::imencode(".webp", test::Pattern(33, 17), webp, {cv::IMWRITE_WEBP_QUALITY, 101});  // lossless
  Result<ImageInfo> info = ProbeImage(webp);
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->width, 33);
  EXPECT_EQ(info->height, 17);

  info = ProbeImage(test::Encode(".png", test::Pattern(20, 30, 1)));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->width, 20);
}

TEST(ProbeTest, EmptyInputIsInvalid) {
  Result<ImageInfo> info = ProbeImage({});
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(info.error().message, "empty file");
}

TEST(ProbeTest, TextIsUnsupported) {
  const std::string text = "<html>this is not an image</html>";
  Result<ImageInfo> info = ProbeImage(Bytes(text.begin(), text.end()));
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kUnsupportedMediaType);
}

TEST(ProbeTest, TruncatedFilesAreRejectedAtEveryLength) {
  for (const char* ext : {".jpg", ".png", ".webp"}) {
    const Bytes whole = test::Encode(ext, test::Pattern(64, 48));
    // Past the magic bytes (12 covers RIFF....WEBP); shorter prefixes are no format at all.
    EXPECT_FALSE(ProbeImage(std::span(whole).first(3)).has_value());
    for (std::size_t keep : {std::size_t{12}, std::size_t{40}, whole.size() / 2, whole.size() - 1}) {
      SCOPED_TRACE(std::string(ext) + " cut to " + std::to_string(keep));
      Result<ImageInfo> info = ProbeImage(std::span(whole).first(keep));
      ASSERT_FALSE(info.has_value());
      EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(ProbeTest, TruncatedJpegNamesTheMissingMarker) {
  const Bytes whole = test::Encode(".jpg", test::Pattern(64, 48));
  Result<ImageInfo> info = ProbeImage(std::span(whole).first(whole.size() - 2));
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().message, "JPEG file is truncated (no end-of-image marker)");
}

TEST(ProbeTest, HugeDeclaredSizeIsReportedNotAllocated) {
  Result<ImageInfo> info = ProbeImage(test::PngHeaderOnly(30000, 30000));
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->width, 30000);
  EXPECT_EQ(info->height, 30000);
}

TEST(ProbeTest, ZeroDimensionsAreInvalid) {
  Result<ImageInfo> info = ProbeImage(test::PngHeaderOnly(0, 10));
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
}

TEST(ProbeTest, JpegWithGarbageSegmentLengthIsCorruptNotACrash) {
  Bytes bad = {0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0x00};
  Result<ImageInfo> info = ProbeImage(bad);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace maskfleet::image

namespace maskfleet::image {
namespace {

// The message named the chunk with its raw type bytes: a type that is not letters made
// it invalid UTF-8, and the upload answered 500 when the error became JSON (found by
// the http_form fuzz target).
TEST(ProbeTest, PngChunkTypeThatIsNotLettersIsNamedInHex) {
  test::Bytes png = test::PngHeaderOnly(4, 3);
  png[33 + 4] = 0x94;  // IEND's type: "\x94END", so its CRC fails too
  Result<ImageInfo> info = ProbeImage(png);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(info.error().message, "PNG file is corrupt (chunk 0x94454e44 fails its CRC check)");
}

TEST(ProbeTest, PngChunkWithWrongCrcIsCorrupt) {
  test::Bytes png = test::Encode(".png", test::Pattern(64, 48));
  png[png.size() - 20] ^= 0xFF;  // inside the last IDAT chunk's data or CRC
  Result<ImageInfo> info = ProbeImage(png);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(info.error().message.find("fails its CRC check"), std::string::npos) << info.error().message;
}

}  // namespace
}  // namespace maskfleet::image

// Hand-made minimal files of each format and variant the probe reads, cut and bent
// at every boundary its checks draw. Each is probed from a guarded copy (below), so a
// read one byte past the end crashes the test in any build, not only under a sanitizer.
namespace maskfleet::image {
namespace {

using test::Bytes;

// A copy of `bytes` in its own mapping, placed so that its last byte is the last one
// before a page that may not be read. AddressSanitizer sees over-reads of heap
// buffers; this makes one a crash even in the Release build the tests usually run in.
class GuardedCopy {
 public:
  explicit GuardedCopy(std::span<const std::uint8_t> bytes) : size_(bytes.size()) {
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    mapped_size_ = (size_ + page - 1) / page * page + page;
    void* mapped = mmap(nullptr, mapped_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) std::abort();
    mapping_ = static_cast<std::uint8_t*>(mapped);
    std::uint8_t* guard = mapping_ + mapped_size_ - page;
    if (mprotect(guard, page, PROT_NONE) != 0) std::abort();
    data_ = guard - size_;
    if (size_ > 0) std::memcpy(data_, bytes.data(), size_);
  }
  ~GuardedCopy() { munmap(mapping_, mapped_size_); }
  GuardedCopy(const GuardedCopy&) = delete;
  GuardedCopy& operator=(const GuardedCopy&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

 private:
  std::size_t size_;
  std::size_t mapped_size_ = 0;
  std::uint8_t* mapping_ = nullptr;
  std::uint8_t* data_ = nullptr;
};

Result<ImageInfo> ProbeExactly(std::span<const std::uint8_t> bytes) {
  const GuardedCopy copy(bytes);
  return ProbeImage(copy.bytes());
}

Result<ImageInfo> ProbeFirst(const Bytes& bytes, std::size_t keep) {
  return ProbeExactly(std::span(bytes).first(keep));
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}
Bytes Text(std::string_view text) { return Bytes(text.begin(), text.end()); }
Bytes Be16(std::uint32_t v) { return {std::uint8_t(v >> 8), std::uint8_t(v)}; }
Bytes Be32(std::uint32_t v) {
  return {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
}
Bytes Le16(std::uint32_t v) { return {std::uint8_t(v), std::uint8_t(v >> 8)}; }
Bytes Le24(std::uint32_t v) { return {std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16)}; }
Bytes Le32(std::uint32_t v) {
  return {std::uint8_t(v), std::uint8_t(v >> 8), std::uint8_t(v >> 16), std::uint8_t(v >> 24)};
}

void ExpectSize(const Result<ImageInfo>& info, ImageFormat format, int width, int height) {
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->format, format);
  EXPECT_EQ(info->width, width);
  EXPECT_EQ(info->height, height);
}

void ExpectRefused(const Result<ImageInfo>& info, std::string_view message,
                   ErrorCode code = ErrorCode::kInvalidArgument) {
  ASSERT_FALSE(info.has_value()) << info->width << "x" << info->height;
  EXPECT_EQ(info.error().code, code);
  EXPECT_EQ(info.error().message, message);
}

// ---- PNG: signature, then chunks of length (4), type (4), data, CRC of type and data (4).

Bytes PngChunk(std::string_view type, const Bytes& data) {
  const Bytes typed = Cat({Text(type), data});
  return Cat({Be32(static_cast<std::uint32_t>(data.size())), typed,
              Be32(static_cast<std::uint32_t>(crc32(0L, typed.data(), static_cast<uInt>(typed.size()))))});
}
Bytes PngSignature() { return {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}; }
Bytes Ihdr(std::uint32_t width, std::uint32_t height) {
  return Cat({Be32(width), Be32(height), {8, 2, 0, 0, 0}});
}
Bytes Png(std::uint32_t width, std::uint32_t height) {
  return Cat({PngSignature(), PngChunk("IHDR", Ihdr(width, height)), PngChunk("IEND", {})});
}

TEST(ProbePngTest, CutAtEveryByteOfEveryChunk) {
  // 8 signature | 25 IHDR (length, type, 13 data, CRC) | 20 tEXt (8 data) | 12 IEND = 65.
  const Bytes png = Cat({PngSignature(), PngChunk("IHDR", Ihdr(3, 2)), PngChunk("tEXt", Text("Title:ab")),
                         PngChunk("IEND", {})});
  ASSERT_EQ(png.size(), 65u);
  ExpectSize(ProbeExactly(png), ImageFormat::kPng, 3, 2);
  // Where the cut falls -> what the probe says (each range up to, not including, `end`).
  const struct {
    std::size_t end;
    const char* message;
  } ranges[] = {
      {8, "not an image in a supported format (JPEG, PNG, WebP or BMP)"},  // in the signature
      {29, "PNG file is truncated or corrupt (no IHDR chunk)"},            // IHDR's length, type, data
      {33, "PNG file is truncated (a chunk is cut short)"},                // IHDR's CRC
      {45, "PNG file is truncated (no IEND chunk)"},         // tEXt's length, type (less than 12 bytes)
      {53, "PNG file is truncated (a chunk is cut short)"},  // tEXt's last data bytes and CRC
      {65, "PNG file is truncated (no IEND chunk)"},         // all of IEND
  };
  std::size_t range = 0;
  for (std::size_t keep = 1; keep < png.size(); ++keep) {
    if (keep >= ranges[range].end) ++range;
    SCOPED_TRACE("cut to " + std::to_string(keep) + " bytes");
    ExpectRefused(ProbeFirst(png, keep), ranges[range].message,
                  keep < 8 ? ErrorCode::kUnsupportedMediaType : ErrorCode::kInvalidArgument);
  }
}

TEST(ProbePngTest, IhdrOfAnyLengthButThirteenIsCorrupt) {
  for (std::size_t length : {std::size_t{8}, std::size_t{12}, std::size_t{14}}) {
    SCOPED_TRACE(length);
    Bytes data = Ihdr(7, 5);
    data.resize(length);
    const Bytes png = Cat({PngSignature(), PngChunk("IHDR", data), PngChunk("IEND", {})});
    ExpectRefused(ProbeExactly(png), "PNG file is corrupt (IHDR is not 13 bytes long)");
  }
}

TEST(ProbePngTest, FirstChunkMustBeIhdr) {
  const Bytes png = Cat({PngSignature(), PngChunk("IHDX", Ihdr(7, 5)), PngChunk("IEND", {})});
  ExpectRefused(ProbeExactly(png), "PNG file is truncated or corrupt (no IHDR chunk)");
}

TEST(ProbePngTest, CrcCoversTypeAndDataExactly) {
  const Bytes good = Cat({PngSignature(), PngChunk("IHDR", Ihdr(7, 5)), PngChunk("IEND", {})});
  ExpectSize(ProbeExactly(good), ImageFormat::kPng, 7, 5);
  // Bytes 16..28 are IHDR's data, 29..32 its CRC; 37..40 IEND's type, 41..44 its CRC.
  for (std::size_t at : {16, 28, 29, 32, 37, 40, 41, 44}) {
    SCOPED_TRACE("byte " + std::to_string(at) + " changed");
    Bytes bad = good;
    bad[at] ^= 0x01;
    const Result<ImageInfo> info = ProbeExactly(bad);
    ASSERT_FALSE(info.has_value());
    EXPECT_NE(info.error().message.find("fails its CRC check"), std::string::npos) << info.error().message;
  }
}

TEST(ProbePngTest, BytesAfterIendAreNotRead) {
  ExpectSize(ProbeExactly(Cat({Png(7, 5), Text("trailing")})), ImageFormat::kPng, 7, 5);
}

TEST(ProbeDimensionsTest, EachSideFromOneToInt32Max) {
  const std::uint32_t kMax = 0x7FFFFFFF;
  ExpectSize(ProbeExactly(Png(1, 1)), ImageFormat::kPng, 1, 1);
  ExpectSize(ProbeExactly(Png(kMax, kMax)), ImageFormat::kPng, INT32_MAX, INT32_MAX);
  const struct {
    const char* name;
    std::uint32_t width, height;
    const char* message;
  } refused[] = {
      {"zero width", 0, 1, "png header gives impossible dimensions 0x1"},
      {"zero height", 1, 0, "png header gives impossible dimensions 1x0"},
      {"width over int32", kMax + 1, 1, "png header gives impossible dimensions 2147483648x1"},
      {"height over int32", 1, kMax + 1, "png header gives impossible dimensions 1x2147483648"},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.name);
    ExpectRefused(ProbeExactly(Png(c.width, c.height)), c.message);
  }
}

// ---- JPEG: FF D8, marker segments (FF, marker, 2-byte length counting itself, data)
// up to the start of scan, entropy-coded data, FF D9.

Bytes Segment(std::uint8_t marker, const Bytes& data) {
  return Cat({{0xFF, marker}, Be16(static_cast<std::uint32_t>(data.size() + 2)), data});
}
// A frame header: precision, height, width, one component.
Bytes Frame(std::uint8_t marker, std::uint32_t width, std::uint32_t height) {
  return Segment(marker, Cat({{8}, Be16(height), Be16(width), {1, 1, 0x11, 0}}));
}
Bytes Scan() { return Segment(0xDA, {1, 1, 0x00, 0, 63, 0}); }
const Bytes kSoi = {0xFF, 0xD8};
const Bytes kEoi = {0xFF, 0xD9};
const Bytes kEntropyData = {0x12, 0xFF, 0x00, 0x34};  // FF escaped as FF 00

Bytes Jpeg(const Bytes& before_frame = {}, std::uint8_t frame_marker = 0xC0) {
  return Cat({kSoi, before_frame, Frame(frame_marker, 5, 3), Scan(), kEntropyData, kEoi});
}

TEST(ProbeJpegTest, MinimalFileEndingExactlyAtItsEndMarker) {
  ExpectSize(ProbeExactly(Jpeg()), ImageFormat::kJpeg, 5, 3);
}

TEST(ProbeJpegTest, FrameHeaderSegmentLengthsZeroToEight) {
  // The frame header must hold precision (1), height (2) and width (2) after its
  // 2-byte length: 7 bytes at least.
  const struct {
    std::uint32_t length;
    const char* message;  // nullptr: read as 5x3
  } cases[] = {{0, "JPEG file is corrupt (segment length below 2)"},
               {1, "JPEG file is corrupt (segment length below 2)"},
               {2, "JPEG file is corrupt (short frame header)"},
               {3, "JPEG file is corrupt (short frame header)"},
               {4, "JPEG file is corrupt (short frame header)"},
               {5, "JPEG file is corrupt (short frame header)"},
               {6, "JPEG file is corrupt (short frame header)"},
               {7, nullptr},
               {8, nullptr}};
  const Bytes frame_data = {8, 0x00, 0x03, 0x00, 0x05, 1};  // 6 bytes: length 8 at most
  for (const auto& c : cases) {
    SCOPED_TRACE("frame length " + std::to_string(c.length));
    const std::size_t data_size = c.length < 2 ? 0 : c.length - 2;
    const Bytes frame = Cat(
        {{0xFF, 0xC0}, Be16(c.length), Bytes(frame_data.begin(), frame_data.begin() + data_size)});
    if (c.message == nullptr) {
      ExpectSize(ProbeExactly(Cat({kSoi, frame, Scan(), kEntropyData, kEoi})), ImageFormat::kJpeg, 5, 3);
    } else {
      // The file ends where the segment does: a probe reading on would crash.
      ExpectRefused(ProbeExactly(Cat({kSoi, frame})), c.message);
    }
  }
}

TEST(ProbeJpegTest, SegmentLengthsZeroToEightWithTheFileEndingInside) {
  // An APP0 segment declaring `length` bytes, followed by the rest of a file; and the
  // same file cut one byte before the segment's end.
  for (std::uint32_t length = 0; length <= 8; ++length) {
    SCOPED_TRACE("APP0 length " + std::to_string(length));
    const Bytes app0 = Cat({{0xFF, 0xE0}, Be16(length), Bytes(length < 2 ? 0 : length - 2, 0x41)});
    if (length < 2) {
      ExpectRefused(ProbeExactly(Cat({kSoi, app0})), "JPEG file is corrupt (segment length below 2)");
      continue;
    }
    ExpectSize(ProbeExactly(Jpeg(app0)), ImageFormat::kJpeg, 5, 3);
    ExpectRefused(ProbeFirst(Cat({kSoi, app0}), 2 + app0.size() - 1),
                  "JPEG file is truncated (ends inside its header)");
  }
}

TEST(ProbeJpegTest, CutAtEveryByte) {
  // 2 SOI | 13 frame header | 10 start of scan | 4 entropy-coded data | 2 EOI = 31.
  const Bytes jpeg = Jpeg();
  ASSERT_EQ(jpeg.size(), 31u);
  for (std::size_t keep = 1; keep < jpeg.size(); ++keep) {
    SCOPED_TRACE("cut to " + std::to_string(keep) + " bytes");
    if (keep < 3) {
      ExpectRefused(ProbeFirst(jpeg, keep), "not an image in a supported format (JPEG, PNG, WebP or BMP)",
                    ErrorCode::kUnsupportedMediaType);
    } else if (keep < 25) {
      ExpectRefused(ProbeFirst(jpeg, keep), "JPEG file is truncated (ends inside its header)");
    } else {
      ExpectRefused(ProbeFirst(jpeg, keep), "JPEG file is truncated (no end-of-image marker)");
    }
  }
}

TEST(ProbeJpegTest, FrameHeaderOneByteShortOfItsLength) {
  // The segment says 7 bytes, the file ends after 6: the width's second byte is missing.
  const Bytes cut = Cat({kSoi, {0xFF, 0xC0, 0x00, 0x07, 8, 0x00, 0x03, 0x00}});
  ExpectRefused(ProbeExactly(cut), "JPEG file is truncated (ends inside its header)");
}

TEST(ProbeJpegTest, CutInsideAMarkerOrItsLength) {
  for (const Bytes& cut :
       {Bytes{0xFF, 0xD8, 0xFF}, Bytes{0xFF, 0xD8, 0xFF, 0xE0}, Bytes{0xFF, 0xD8, 0xFF, 0xE0, 0x00}}) {
    SCOPED_TRACE(cut.size());
    ExpectRefused(ProbeExactly(cut), "JPEG file is truncated (ends inside its header)");
  }
}

TEST(ProbeJpegTest, ScanEndingExactlyAtTheEndHasNoEndMarker) {
  ExpectRefused(ProbeExactly(Cat({kSoi, Frame(0xC0, 5, 3), Scan()})),
                "JPEG file is truncated (no end-of-image marker)");
  ExpectRefused(ProbeExactly(Cat({kSoi, Frame(0xC0, 5, 3), Scan(), kEntropyData, {0xFF}})),
                "JPEG file is truncated (no end-of-image marker)");
}

TEST(ProbeJpegTest, WhichMarkersAreFrameHeaders) {
  // SOF0..SOF15 (C0..CF) carry the size, except C4 (DHT), C8 (JPG) and CC (DAC).
  const struct {
    std::uint8_t marker;
    bool is_frame;
  } cases[] = {{0xBF, false}, {0xC0, true},  {0xC1, true}, {0xC2, true},  {0xC3, true},
               {0xC4, false}, {0xC5, true},  {0xC7, true}, {0xC8, false}, {0xC9, true},
               {0xCB, true},  {0xCC, false}, {0xCD, true}, {0xCF, true},  {0xE0, false}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.marker));
    const Bytes jpeg = Cat({kSoi, Frame(c.marker, 5, 3), Scan(), kEntropyData, kEoi});
    if (c.is_frame) {
      ExpectSize(ProbeExactly(jpeg), ImageFormat::kJpeg, 5, 3);
    } else {
      ExpectRefused(ProbeExactly(jpeg), "JPEG file is corrupt (no frame header before the scan)");
    }
  }
}

TEST(ProbeJpegTest, StandaloneMarkersHaveNoLength) {
  // TEM (01) and RST0..RST7 (D0..D7) are bare markers; a second SOI is skipped too.
  for (std::uint8_t marker : {0x01, 0xD0, 0xD7, 0xD8}) {
    SCOPED_TRACE(std::to_string(marker));
    ExpectSize(ProbeExactly(Jpeg({0xFF, marker})), ImageFormat::kJpeg, 5, 3);
  }
}

TEST(ProbeJpegTest, EndOfImageBeforeTheScanIsCorrupt) {
  ExpectRefused(ProbeExactly(Cat({kSoi, kEoi})), "JPEG file is corrupt (end of image before any scan)");
}

TEST(ProbeJpegTest, FillBytesBeforeAMarkerAreSkipped) {
  ExpectSize(ProbeExactly(Jpeg({0xFF, 0xFF})), ImageFormat::kJpeg, 5, 3);
}

TEST(ProbeJpegTest, SegmentWhoseLastByteIsFFIsNotFollowedByAMarker) {
  // An APP0 segment ending in FF, then a frame header without its FF: C0 is no
  // marker. The probe once read it as one (the byte before C0 was FF) and gave 5x3.
  const Bytes frame = Frame(0xC0, 5, 3);
  const Bytes jpeg = Cat(
      {kSoi, Segment(0xE0, {0x41, 0xFF}), Bytes(frame.begin() + 1, frame.end()), Scan(), kEntropyData, kEoi});
  ExpectRefused(ProbeExactly(jpeg), "JPEG file is corrupt (expected a marker)");
}

TEST(ProbeJpegTest, ScanWithoutAFrameIsCorrupt) {
  ExpectRefused(ProbeExactly(Cat({kSoi, Scan(), kEntropyData, kEoi})),
                "JPEG file is corrupt (no frame header before the scan)");
}

// ---- WebP: "RIFF", size of the rest (4), "WEBP", first chunk: type (4), size (4), data.

Bytes Webp(std::string_view type, const Bytes& data) {
  const Bytes chunk = Cat({Text(type), Le32(static_cast<std::uint32_t>(data.size())), data});
  return Cat({Text("RIFF"), Le32(static_cast<std::uint32_t>(4 + chunk.size())), Text("WEBP"), chunk});
}
// Each variant's header, no more: the smallest file the probe can read.
Bytes Vp8xHeader(std::uint32_t width, std::uint32_t height) {
  return Cat({{0, 0, 0, 0}, Le24(width - 1), Le24(height - 1)});
}
Bytes Vp8Header(std::uint32_t width_field, std::uint32_t height_field) {
  return Cat({{0x50, 0x02, 0x00}, {0x9D, 0x01, 0x2A}, Le16(width_field), Le16(height_field)});
}
Bytes Vp8lHeader(std::uint32_t width, std::uint32_t height) {
  return Cat({{0x2F}, Le32((width - 1) | ((height - 1) << 14))});
}

TEST(ProbeWebpTest, EachVariantAtItsMinimumSize) {
  const Bytes vp8x = Webp("VP8X", Vp8xHeader(640, 480));
  const Bytes vp8 = Webp("VP8 ", Vp8Header(640, 480));
  const Bytes vp8l = Webp("VP8L", Vp8lHeader(640, 480));
  ASSERT_EQ(vp8x.size(), 30u);
  ASSERT_EQ(vp8.size(), 30u);
  ASSERT_EQ(vp8l.size(), 25u);
  for (const Bytes* webp : {&vp8x, &vp8, &vp8l}) {
    SCOPED_TRACE(webp->size());
    ExpectSize(ProbeExactly(*webp), ImageFormat::kWebp, 640, 480);
  }
}

TEST(ProbeWebpTest, EachVariantOneByteShortOfItsHeader) {
  for (const auto& [type, header] :
       {std::pair{"VP8X", Vp8xHeader(640, 480)}, std::pair{"VP8 ", Vp8Header(640, 480)},
        std::pair{"VP8L", Vp8lHeader(640, 480)}}) {
    SCOPED_TRACE(type);
    const Bytes short_header(header.begin(), header.end() - 1);
    ExpectRefused(ProbeExactly(Webp(type, short_header)), "WebP file is truncated (no image header)");
  }
}

TEST(ProbeWebpTest, FirstChunkDeclaringLessThanItsHeaderIsCorrupt) {
  for (const auto& [type, header] :
       {std::pair{"VP8X", Vp8xHeader(640, 480)}, std::pair{"VP8 ", Vp8Header(640, 480)},
        std::pair{"VP8L", Vp8lHeader(640, 480)}}) {
    SCOPED_TRACE(type);
    Bytes webp = Cat({Webp(type, header), Bytes(8, 0)});  // data enough, declared size short
    webp[16] = static_cast<std::uint8_t>(header.size() - 1);
    ExpectRefused(ProbeExactly(webp), "WebP file is corrupt (first chunk too short for an image header)");
  }
}

TEST(ProbeWebpTest, RiffSizeAtOneUnderAndOneOverTheFile) {
  Bytes webp = Webp("VP8L", Vp8lHeader(3, 2));
  ExpectSize(ProbeExactly(webp), ImageFormat::kWebp, 3, 2);  // RIFF size = file size - 8
  webp[4] -= 1;                                              // the file has a byte more than the RIFF needs
  ExpectSize(ProbeExactly(webp), ImageFormat::kWebp, 3, 2);
  webp[4] += 2;  // one byte more than the file has
  ExpectRefused(ProbeExactly(webp), "WebP file is truncated (shorter than its RIFF size)");
}

TEST(ProbeWebpTest, ShorterThanAChunkHeader) {
  // 19 bytes: even an unknown chunk's type and size do not fit; 20: they do.
  const Bytes nineteen = Cat({Text("RIFF"), Le32(11), Text("WEBP"), Text("ABCD"), {0, 0, 0}});
  ExpectRefused(ProbeExactly(nineteen), "WebP file is truncated (no image header)");
  const Bytes twenty = Cat({Text("RIFF"), Le32(12), Text("WEBP"), Text("ABCD"), Le32(0)});
  ExpectRefused(ProbeExactly(twenty), "WebP file is corrupt (unknown chunk type)");
}

TEST(ProbeWebpTest, Vp8SizeIgnoresTheScalingBits) {
  // 14 bits of size, 2 of upscaling hint.
  ExpectSize(ProbeExactly(Webp("VP8 ", Vp8Header(0xC000 | 0x3FFF, 0x4000 | 1))), ImageFormat::kWebp, 0x3FFF,
             1);
}

TEST(ProbeWebpTest, Vp8StartCodeIsChecked) {
  for (std::size_t at : {std::size_t{3}, std::size_t{4}, std::size_t{5}}) {
    SCOPED_TRACE(at);
    Bytes header = Vp8Header(640, 480);
    header[at] ^= 0x01;
    ExpectRefused(ProbeExactly(Webp("VP8 ", header)), "WebP file is corrupt (bad VP8 start code)");
  }
}

TEST(ProbeWebpTest, Vp8lSidesAreFourteenBitsEachPlusOne) {
  ExpectSize(ProbeExactly(Webp("VP8L", Vp8lHeader(16384, 1))), ImageFormat::kWebp, 16384, 1);
  ExpectSize(ProbeExactly(Webp("VP8L", Vp8lHeader(1, 16384))), ImageFormat::kWebp, 1, 16384);
  Bytes bad_signature = Vp8lHeader(3, 2);
  bad_signature[0] = 0x2E;
  ExpectRefused(ProbeExactly(Webp("VP8L", bad_signature)), "WebP file is corrupt (bad VP8L signature)");
}

TEST(ProbeWebpTest, Vp8xCanvasIsTwentyFourBitsEachPlusOne) {
  ExpectSize(ProbeExactly(Webp("VP8X", Vp8xHeader(1 << 24, 1))), ImageFormat::kWebp, 1 << 24, 1);
  ExpectSize(ProbeExactly(Webp("VP8X", Vp8xHeader(1, 1 << 24))), ImageFormat::kWebp, 1, 1 << 24);
}

TEST(ProbeWebpTest, OnePixelLosslessFromOpenCv) {
  Bytes webp;
  cv::imencode(".webp", test::Pattern(1, 1), webp, {cv::IMWRITE_WEBP_QUALITY, 101});
  ExpectSize(ProbeExactly(webp), ImageFormat::kWebp, 1, 1);
}

// ---- BMP: "BM", file size (4), reserved (4), pixel offset (4), then the info header:
// its size (4), width (4), height (4, negative for rows stored top-down) ...

Bytes Bmp(std::int32_t width, std::int32_t height, std::uint32_t pixel_offset, std::size_t size) {
  Bytes bmp = Cat({Text("BM"), Le32(static_cast<std::uint32_t>(size)), Le32(0), Le32(pixel_offset), Le32(40),
                   Le32(static_cast<std::uint32_t>(width)), Le32(static_cast<std::uint32_t>(height))});
  bmp.resize(size, 0);
  return bmp;
}

TEST(ProbeBmpTest, BottomUpAndTopDown) {
  ExpectSize(ProbeExactly(Bmp(5, 3, 26, 27)), ImageFormat::kBmp, 5, 3);
  ExpectSize(ProbeExactly(Bmp(5, -3, 26, 27)), ImageFormat::kBmp, 5, 3);
}

TEST(ProbeBmpTest, HeaderEndsExactlyAfterTheHeight) {
  ExpectRefused(ProbeFirst(Bmp(5, 3, 25, 26), 25), "BMP file is truncated (no image header)");
  ExpectSize(ProbeExactly(Bmp(5, 3, 25, 26)), ImageFormat::kBmp, 5, 3);
}

TEST(ProbeBmpTest, PixelOffsetMustLieInsideTheFile) {
  ExpectSize(ProbeExactly(Bmp(5, 3, 39, 40)), ImageFormat::kBmp, 5, 3);  // last byte
  ExpectRefused(ProbeExactly(Bmp(5, 3, 40, 40)), "BMP file is truncated (no pixel data)");
}

TEST(ProbeBmpTest, ZeroOrNegativeWidthAndZeroHeightAreImpossible) {
  ExpectRefused(ProbeExactly(Bmp(0, 3, 26, 27)), "bmp header gives impossible dimensions 0x3");
  ExpectRefused(ProbeExactly(Bmp(-5, 3, 26, 27)), "bmp header gives impossible dimensions -5x3");
  ExpectRefused(ProbeExactly(Bmp(5, 0, 26, 27)), "bmp header gives impossible dimensions 5x0");
  ExpectSize(ProbeExactly(Bmp(1, -1, 26, 27)), ImageFormat::kBmp, 1, 1);
}

TEST(ProbeMagicTest, EachSignatureOneByteShort) {
  const struct {
    const char* name;
    Bytes bytes;
  } cases[] = {{"JPEG", {0xFF, 0xD8}},
               {"PNG", {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A}},
               {"RIFF without WEBP", Cat({Text("RIFF"), Le32(4), Text("WEB")})},
               {"B", Text("B")}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectRefused(ProbeExactly(c.bytes), "not an image in a supported format (JPEG, PNG, WebP or BMP)",
                  ErrorCode::kUnsupportedMediaType);
  }
  ExpectRefused(ProbeExactly(Text("BM")), "BMP file is truncated (no image header)");
}

}  // namespace
}  // namespace maskfleet::image
