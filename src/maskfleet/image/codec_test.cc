#include "maskfleet/image/codec.h"

#include <gtest/gtest.h>

#include "maskfleet/image/test_images.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::image {
namespace {

using test::Bytes;

TEST(DecodePhotoTest, SmallPhotoKeepsItsSize) {
  Result<DecodedPhoto> photo = DecodePhoto(test::Encode(".png", test::Pattern(64, 48)), {});
  ASSERT_TRUE(photo.has_value()) << photo.error().ToString();
  EXPECT_EQ(photo->pixels.cols, 64);
  EXPECT_EQ(photo->pixels.rows, 48);
  EXPECT_EQ(photo->pixels.type(), CV_8UC3);
  EXPECT_EQ(photo->width, 64);
  EXPECT_DOUBLE_EQ(photo->scale, 1.0);
}

TEST(DecodePhotoTest, GreyAndAlphaBecomeThreeChannels) {
  for (int channels : {1, 4}) {
    Result<DecodedPhoto> photo = DecodePhoto(test::Encode(".png", test::Pattern(40, 30, channels)), {});
    ASSERT_TRUE(photo.has_value()) << photo.error().ToString();
    EXPECT_EQ(photo->pixels.type(), CV_8UC3);
  }
}

TEST(DecodePhotoTest, LargeJpegIsDecodedReducedAndBounded) {
  const Bytes jpeg = test::Encode(".jpg", test::Pattern(3000, 2000));
  Result<DecodedPhoto> photo = DecodePhoto(jpeg, {.max_pixels = 50'000'000, .max_side = 1024});
  ASSERT_TRUE(photo.has_value()) << photo.error().ToString();
  EXPECT_EQ(photo->width, 3000);
  EXPECT_EQ(photo->height, 2000);
  // 3000 / 4 = 750: the smallest libjpeg scale that keeps at least 1024 / 2.
  EXPECT_EQ(photo->pixels.cols, 750);
  EXPECT_EQ(photo->pixels.rows, 500);
  EXPECT_NEAR(photo->scale, photo->pixels.cols / 3000.0, 1e-9);
}

TEST(DecodePhotoTest, PngAboveTheBoundIsScaledToIt) {
  Result<DecodedPhoto> photo = DecodePhoto(test::Encode(".png", test::Pattern(1200, 600)),
                                           {.max_side = 1000});
  ASSERT_TRUE(photo.has_value());
  EXPECT_EQ(photo->pixels.size(), cv::Size(1000, 500));
  EXPECT_EQ(photo->width, 1200);
  EXPECT_NEAR(photo->scale, 1000.0 / 1200, 1e-9);
}

TEST(DecodePhotoTest, ExifOrientationTurnsThePicture) {
  const Bytes jpeg = test::WithExifOrientation6(test::Encode(".jpg", test::Pattern(200, 100)));
  Result<DecodedPhoto> photo = DecodePhoto(jpeg, {});
  ASSERT_TRUE(photo.has_value()) << photo.error().ToString();
  EXPECT_EQ(photo->pixels.cols, 100);
  EXPECT_EQ(photo->pixels.rows, 200);
  EXPECT_EQ(photo->width, 100);
  EXPECT_EQ(photo->height, 200);
}

TEST(DecodePhotoTest, TooManyPixelsIsRefusedBeforeDecoding) {
  Result<DecodedPhoto> photo = DecodePhoto(test::PngHeaderOnly(30000, 30000), {});
  ASSERT_FALSE(photo.has_value());
  EXPECT_EQ(photo.error().code, ErrorCode::kTooLarge);
  EXPECT_NE(photo.error().message.find("30000x30000"), std::string::npos);
}

TEST(DecodePhotoTest, CorruptDataWithIntactFramingIsInvalid) {
  Bytes png = test::Encode(".png", test::Pattern(64, 48));
  // Flip bytes inside the first IDAT chunk's data: structure intact, CRC wrong.
  for (std::size_t i = 60; i < 80 && i < png.size() - 20; ++i) png[i] ^= 0x5A;
  Result<DecodedPhoto> photo = DecodePhoto(png, {});
  ASSERT_FALSE(photo.has_value());
  EXPECT_EQ(photo.error().code, ErrorCode::kInvalidArgument);
}

TEST(DecodePhotoTest, DecodesEveryAnnotatedPhotoOfTheDevSet) {
  for (const auto& file : testing::ListFiles(testing::FaceMaskDir() / "images", {".png"})) {
    SCOPED_TRACE(file.string());
    Result<DecodedPhoto> photo = DecodePhoto(testing::ReadBytes(file), {});
    ASSERT_TRUE(photo.has_value()) << photo.error().ToString();
    EXPECT_EQ(photo->pixels.type(), CV_8UC3);
  }
}

TEST(EncodeJpegTest, RoundTrips) {
  Result<Bytes> jpeg = EncodeJpeg(test::Pattern(50, 40), 80);
  ASSERT_TRUE(jpeg.has_value());
  Result<DecodedPhoto> back = DecodePhoto(*jpeg, {});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->info.format, ImageFormat::kJpeg);
  EXPECT_EQ(back->pixels.size(), cv::Size(50, 40));
}

TEST(FitWithinTest, ShrinksOnlyWhenNeeded) {
  EXPECT_EQ(FitWithin(test::Pattern(400, 200), 256).size(), cv::Size(256, 128));
  EXPECT_EQ(FitWithin(test::Pattern(100, 50), 256).size(), cv::Size(100, 50));
}

}  // namespace
}  // namespace maskfleet::image
