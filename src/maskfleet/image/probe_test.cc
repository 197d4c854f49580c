#include "maskfleet/image/probe.h"

#include <gtest/gtest.h>

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

TEST(ProbeTest, PngChunkWithWrongCrcIsCorrupt) {
  test::Bytes png = test::Encode(".png", test::Pattern(64, 48));
  png[png.size() - 20] ^= 0xFF;  // inside the last IDAT chunk's data or CRC
  Result<ImageInfo> info = ProbeImage(png);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(info.error().message.find("fails its CRC check"), std::string::npos)
      << info.error().message;
}

}  // namespace
}  // namespace maskfleet::image
