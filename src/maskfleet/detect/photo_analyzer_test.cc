#include "maskfleet/detect/photo_analyzer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "maskfleet/image/test_images.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::detect {
namespace {

using image::test::Bytes;

class PhotoAnalyzerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<ModelData> model = ModelData::Load(testing::ModelDir());
    ASSERT_TRUE(model.has_value()) << model.error().ToString();
    pool_ = DetectorPool::Create(*model, 1)->release();
  }
  static void TearDownTestSuite() { delete pool_; }

  static Bytes Photo(const char* name) {
    return testing::ReadBytes(testing::FaceMaskDir() / "images" / name);
  }

  PhotoAnalyzer analyzer_{*pool_, AnalyzerOptions{}};
  static DetectorPool* pool_;
};

DetectorPool* PhotoAnalyzerTest::pool_ = nullptr;

TEST_F(PhotoAnalyzerTest, MixedPhotoGivesCountsAndImages) {
  // maksssksksss119: annotated 5 with mask, 2 without.
  Result<AnalyzedPhoto> result = analyzer_.Analyze(Photo("maksssksksss119.png"), true);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  const PhotoReport& r = result->report;
  EXPECT_EQ(r.info.format, image::ImageFormat::kPng);
  EXPECT_GT(r.num_masked(), 0);
  EXPECT_GT(r.num_unmasked(), 0);
  EXPECT_EQ(r.num_masked() + r.num_unmasked(), static_cast<int>(r.faces.size()));

  const cv::Mat annotated = cv::imdecode(result->annotated_jpeg, cv::IMREAD_COLOR);
  EXPECT_EQ(annotated.cols, r.width);
  EXPECT_EQ(annotated.rows, r.height);
  const cv::Mat thumbnail = cv::imdecode(result->thumbnail_jpeg, cv::IMREAD_COLOR);
  EXPECT_EQ(std::max(thumbnail.cols, thumbnail.rows), 256);
}

TEST_F(PhotoAnalyzerTest, AnnotationDrawsGreenOnMaskedAndRedOnUnmasked) {
  Result<AnalyzedPhoto> result = analyzer_.Analyze(Photo("maksssksksss119.png"), true);
  ASSERT_TRUE(result.has_value());
  const cv::Mat annotated = cv::imdecode(result->annotated_jpeg, cv::IMREAD_COLOR);
  for (const Face& f : result->report.faces) {
    // The middle of the box's top edge lies on the drawn line.
    const cv::Vec3b px = annotated.at<cv::Vec3b>(static_cast<int>(f.box.ymin) + 1,
                                                 static_cast<int>((f.box.xmin + f.box.xmax) / 2));
    const int blue = px[0], green = px[1], red = px[2];
    if (f.masked) {
      EXPECT_GT(green, red + 60) << "masked face at " << f.box.xmin << "," << f.box.ymin;
    } else {
      EXPECT_GT(red, green + 60) << "unmasked face at " << f.box.xmin << "," << f.box.ymin;
    }
    EXPECT_LT(blue, 120);
  }
}

TEST_F(PhotoAnalyzerTest, LargePhotoIsReportedInItsOwnPixelsAndStoredBounded) {
  // A dev photo blown up to 3200 px: faces must come back at 8x their place.
  const cv::Mat small = cv::imdecode(Photo("maksssksksss21.png"), cv::IMREAD_COLOR);
  cv::Mat big;
  cv::resize(small, big, cv::Size(), 8, 8, cv::INTER_CUBIC);
  Bytes jpeg;
  cv::imencode(".jpg", big, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});

  Result<AnalyzedPhoto> from_small = analyzer_.Analyze(Photo("maksssksksss21.png"), false);
  Result<AnalyzedPhoto> from_big = analyzer_.Analyze(jpeg, true);
  ASSERT_TRUE(from_small.has_value() && from_big.has_value());
  EXPECT_EQ(from_big->report.width, big.cols);
  EXPECT_EQ(from_big->report.height, big.rows);
  // Both are resampled differently on their way to 260x260, so borderline faces
  // may come and go; every confident face must be found again in the same place.
  int confident = 0;
  for (const Face& s : from_small->report.faces) {
    if (s.confidence < 0.8f) continue;
    ++confident;
    const Box scaled{s.box.xmin * 8, s.box.ymin * 8, s.box.xmax * 8, s.box.ymax * 8};
    EXPECT_TRUE(std::any_of(from_big->report.faces.begin(), from_big->report.faces.end(),
                            [&](const Face& b) { return IntersectionOverUnion(b.box, scaled) > 0.6f; }))
        << "face at " << s.box.xmin << "," << s.box.ymin << " lost";
  }
  EXPECT_GE(confident, 3);
  const cv::Mat stored = cv::imdecode(from_big->annotated_jpeg, cv::IMREAD_COLOR);
  EXPECT_LE(std::max(stored.cols, stored.rows), 2048);
}

TEST_F(PhotoAnalyzerTest, JsonHasTheDocumentedShape) {
  Result<AnalyzedPhoto> result = analyzer_.Analyze(Photo("maksssksksss21.png"), false);
  ASSERT_TRUE(result.has_value());
  const nlohmann::json j = ToJson(result->report);
  EXPECT_EQ(j["width"], 400);
  EXPECT_EQ(j["height"], 227);
  EXPECT_EQ(j["format"], "png");
  EXPECT_EQ(j["num_faces"], j["faces"].size());
  EXPECT_EQ(j["num_faces"].get<int>(), j["num_masked"].get<int>() + j["num_unmasked"].get<int>());
  for (const auto& face : j["faces"]) {
    for (const char* key : {"x", "y", "w", "h"}) EXPECT_TRUE(face[key].is_number_integer()) << key;
    EXPECT_TRUE(face["masked"].is_boolean());
    EXPECT_GT(face["confidence"].get<double>(), 0.5);
  }
}

struct BadInput {
  const char* name;
  Bytes bytes;
  ErrorCode code;
  const char* message_part;
};

TEST_F(PhotoAnalyzerTest, BadInputIsAClearErrorNeverACrash) {
  const Bytes jpeg = image::test::Encode(".jpg", image::test::Pattern(320, 240));
  const Bytes png = image::test::Encode(".png", image::test::Pattern(320, 240));
  const std::string text = "just some text, saved as photo.jpg";
  Bytes corrupt_png = png;
  for (std::size_t i = 60; i < 90; ++i) corrupt_png[i] ^= 0xA5;

  const std::vector<BadInput> cases = {
      {"empty", {}, ErrorCode::kInvalidArgument, "empty"},
      {"truncated jpeg", Bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2), ErrorCode::kInvalidArgument,
       "truncated"},
      {"truncated png", Bytes(png.begin(), png.begin() + png.size() / 2), ErrorCode::kInvalidArgument,
       "truncated"},
      {"corrupt png", corrupt_png, ErrorCode::kInvalidArgument, "corrupt"},
      {"text", Bytes(text.begin(), text.end()), ErrorCode::kUnsupportedMediaType, "not an image"},
      {"30000x30000 png header", image::test::PngHeaderOnly(30000, 30000), ErrorCode::kTooLarge,
       "30000x30000"},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.name);
    Result<AnalyzedPhoto> result = analyzer_.Analyze(c.bytes, true);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, c.code) << result.error().ToString();
    EXPECT_NE(result.error().message.find(c.message_part), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find('\n'), std::string::npos) << "one line";
  }
}

}  // namespace
}  // namespace maskfleet::detect
