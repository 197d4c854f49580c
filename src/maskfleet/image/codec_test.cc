#include "maskfleet/image/codec.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

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

TEST(ThumbnailTest, FitsTheLongSideAndKeepsWhatFitsAsItIs) {
  const cv::Mat fits = test::Pattern(256, 100);
  EXPECT_EQ(Thumbnail(fits, 256).data, fits.data);
  EXPECT_EQ(Thumbnail(test::Pattern(255, 100), 256).size(), cv::Size(255, 100));
  EXPECT_EQ(Thumbnail(test::Pattern(257, 100), 256).size(), cv::Size(256, 100));
  // 511 and 512 are the last under and the first at a block of 2 pixels.
  EXPECT_EQ(Thumbnail(test::Pattern(511, 300), 256).size(), cv::Size(256, 150));
  EXPECT_EQ(Thumbnail(test::Pattern(512, 300), 256).size(), cv::Size(256, 150));
  EXPECT_EQ(Thumbnail(test::Pattern(1500, 1000), 256).size(), cv::Size(256, 171));
  EXPECT_EQ(Thumbnail(test::Pattern(1000, 1500), 256).size(), cv::Size(171, 256));
}

// Against the exact area scaling of what it shows (the whole blocks of k x k pixels,
// k = 1500 / 256 = 5, 1203 / 256 = 4, 600 / 256 = 2): under 2.5 grey levels apart on
// average (measured 1.6 to 1.9), where the picture moved by one pixel is over 4.
TEST(ThumbnailTest, LooksLikeTheAreaScaledPicture) {
  const cv::Mat photo = cv::imread((testing::FaceMaskDir() / "images" / "maksssksksss119.png").string());
  ASSERT_FALSE(photo.empty());
  for (const auto& [size, block] : {std::pair{cv::Size(1500, 1000), 5}, std::pair{cv::Size(1203, 901), 4},
                                    std::pair{cv::Size(600, 450), 2}}) {
    SCOPED_TRACE(size.width);
    cv::Mat large;
    cv::resize(photo, large, size, 0, 0, cv::INTER_CUBIC);
    const cv::Mat shown = large(cv::Rect(0, 0, size.width / block * block, size.height / block * block));
    const cv::Mat exact = FitWithin(shown, 256);
    const cv::Mat quick = Thumbnail(large, 256);
    ASSERT_EQ(quick.size(), exact.size());
    cv::Mat difference;
    cv::absdiff(quick, exact, difference);
    const cv::Scalar mean = cv::mean(difference);
    EXPECT_LT((mean[0] + mean[1] + mean[2]) / 3, 2.5);
    // The same measure for the exact picture moved by one pixel, for scale.
    cv::Mat moved;
    cv::absdiff(exact(cv::Rect(1, 0, exact.cols - 1, exact.rows)),
                exact(cv::Rect(0, 0, exact.cols - 1, exact.rows)), moved);
    const cv::Scalar moved_mean = cv::mean(moved);
    EXPECT_GT((moved_mean[0] + moved_mean[1] + moved_mean[2]) / 3, 4.0);
  }
}

}  // namespace
}  // namespace maskfleet::image
