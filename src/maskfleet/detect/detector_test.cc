#include "maskfleet/detect/detector.h"

#include <cmath>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "maskfleet/image/codec.h"
#include "maskfleet/testing/shared_data.h"

namespace maskfleet::detect {
namespace {

class DetectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<ModelData> loaded = ModelData::Load(testing::ModelDir());
    ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
    model_ = new ModelData(std::move(*loaded));
  }
  static void TearDownTestSuite() { delete model_; }

  static cv::Mat Decode(const std::filesystem::path& file) {
    Result<image::DecodedPhoto> photo = image::DecodePhoto(testing::ReadBytes(file), {});
    EXPECT_TRUE(photo.has_value()) << file;
    return photo ? photo->pixels : cv::Mat();
  }

  static ModelData* model_;
};

ModelData* DetectorTest::model_ = nullptr;

TEST_F(DetectorTest, PhotosWithoutFacesGiveNoFaces) {
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model_);
  ASSERT_TRUE(detector.has_value());
  for (const auto& file : testing::ListFiles(testing::NoFaceDir(), {".png", ".jpg"})) {
    Result<std::vector<Face>> faces = (*detector)->Detect(Decode(file));
    ASSERT_TRUE(faces.has_value());
    EXPECT_TRUE(faces->empty()) << file << ": " << faces->size() << " faces, first with confidence "
                                << faces->front().confidence;
  }
}

// Regression: without the close-up check the model takes the coffee cup for a
// masked face (confidence 0.86).
TEST_F(DetectorTest, CoffeeCupIsACloseUpThatFailsVerification) {
  const cv::Mat cup = Decode(testing::NoFaceDir() / "coffee.png");
  Result<std::unique_ptr<Detector>> unverified = Detector::Create(*model_,
                                                                  DetectorOptions{.verify_close_ups = false});
  ASSERT_TRUE(unverified.has_value());
  EXPECT_EQ((*unverified)->Detect(cup)->size(), 1u);
  Result<std::unique_ptr<Detector>> verified = Detector::Create(*model_);
  EXPECT_TRUE((*verified)->Detect(cup)->empty());
}

// The check runs only for close-ups under close_up_sure: at the cup's own confidence
// it is skipped and the cup stays; a hair above, it runs and the cup goes.
TEST_F(DetectorTest, CloseUpCheckRunsOnlyUnderTheSureConfidence) {
  const cv::Mat cup = Decode(testing::NoFaceDir() / "coffee.png");
  Result<std::unique_ptr<Detector>> unverified = Detector::Create(*model_,
                                                                  DetectorOptions{.verify_close_ups = false});
  const float cup_confidence = (*unverified)->Detect(cup)->at(0).confidence;

  Result<std::unique_ptr<Detector>> at = Detector::Create(*model_,
                                                          DetectorOptions{.close_up_sure = cup_confidence});
  EXPECT_EQ((*at)->Detect(cup)->size(), 1u);
  EXPECT_EQ((*at)->last_passes(), 1);
  Result<std::unique_ptr<Detector>> above = Detector::Create(
      *model_, DetectorOptions{.close_up_sure = std::nextafter(cup_confidence, 1.0f)});
  EXPECT_TRUE((*above)->Detect(cup)->empty());
  EXPECT_EQ((*above)->last_passes(), 2);
}

TEST_F(DetectorTest, CloseUpOfARealFaceSurvivesVerification) {
  // maksssksksss162: one masked face filling much of the picture.
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model_);
  Result<std::vector<Face>> faces = (*detector)->Detect(
      Decode(testing::FaceMaskDir() / "images" / "maksssksksss162.png"));
  ASSERT_TRUE(faces.has_value());
  ASSERT_EQ(faces->size(), 1u);
  EXPECT_TRUE(faces->front().masked);
}

TEST_F(DetectorTest, FacesAreInPicturePixels) {
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model_);
  const cv::Mat picture = Decode(testing::FaceMaskDir() / "images" / "maksssksksss21.png");
  Result<std::vector<Face>> faces = (*detector)->Detect(picture);
  ASSERT_TRUE(faces.has_value());
  ASSERT_FALSE(faces->empty());
  for (const Face& f : *faces) {
    EXPECT_GE(f.box.xmin, 0);
    EXPECT_LE(f.box.xmax, picture.cols);
    EXPECT_GE(f.box.ymin, 0);
    EXPECT_LE(f.box.ymax, picture.rows);
    EXPECT_GT(f.box.width(), 5);
    EXPECT_GT(f.confidence, 0.5f);
  }
}

TEST_F(DetectorTest, RejectsEmptyPicture) {
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model_);
  Result<std::vector<Face>> faces = (*detector)->Detect(cv::Mat());
  ASSERT_FALSE(faces.has_value());
  EXPECT_EQ(faces.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(DetectorTest, EightThreadsGiveExactlyTheSerialResults) {
  std::vector<cv::Mat> pictures;
  for (const auto& file : testing::ListFiles(testing::FaceMaskDir() / "images", {".png"})) {
    pictures.push_back(Decode(file));
    if (pictures.size() == 12) break;
  }
  Result<std::unique_ptr<DetectorPool>> pool = DetectorPool::Create(*model_, 4);
  ASSERT_TRUE(pool.has_value());
  std::vector<std::vector<Face>> serial;
  for (const cv::Mat& p : pictures) serial.push_back(*(*pool)->Detect(p));

  constexpr int kThreads = 8;
  std::vector<std::vector<std::vector<Face>>> parallel(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread walks the photos from a different start, so all mix at once.
      for (std::size_t i = 0; i < pictures.size(); ++i) {
        const std::size_t k = (i + t) % pictures.size();
        parallel[t].resize(pictures.size());
        parallel[t][k] = *(*pool)->Detect(pictures[k]);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (std::size_t k = 0; k < pictures.size(); ++k) {
      ASSERT_EQ(parallel[t][k].size(), serial[k].size()) << "thread " << t << " photo " << k;
      for (std::size_t f = 0; f < serial[k].size(); ++f) {
        EXPECT_EQ(parallel[t][k][f].box, serial[k][f].box);
        EXPECT_EQ(parallel[t][k][f].masked, serial[k][f].masked);
        EXPECT_EQ(parallel[t][k][f].confidence, serial[k][f].confidence);
      }
    }
  }
}

TEST(QualityTest, NamesRoundTripAndOthersAreRefused) {
  for (Quality q : {Quality::kFast, Quality::kThorough}) EXPECT_EQ(*ParseQuality(QualityName(q)), q);
  EXPECT_EQ(QualityName(Quality::kFast), "fast");
  EXPECT_EQ(QualityName(Quality::kThorough), "thorough");
  for (const char* bad : {"", "Fast", "slow", "thorough "}) {
    Result<Quality> q = ParseQuality(bad);
    ASSERT_FALSE(q.has_value()) << bad;
    EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TilesTest, GridOfOneIsThePicture) {
  EXPECT_EQ(Tiles({400, 300}, 1, 0.25f), (std::vector<cv::Rect>{{0, 0, 400, 300}}));
}

TEST(TilesTest, TwoByTwoOverlapByAQuarterAndCoverThePicture) {
  // side = ceil(400 / 1.75) = 229, ceil(300 / 1.75) = 172; the second tile ends at the edge.
  const std::vector<cv::Rect> tiles = Tiles({400, 300}, 2, 0.25f);
  EXPECT_EQ(tiles, (std::vector<cv::Rect>{
                       {0, 0, 229, 172}, {171, 0, 229, 172}, {0, 128, 229, 172}, {171, 128, 229, 172}}));
  // Overlap 229 - 171 = 58 px, a quarter of 229 give or take a pixel.
  EXPECT_NEAR(tiles[0].br().x - tiles[1].x, 0.25 * 229, 1.0);
}

TEST(TilesTest, ThreeByThreeWithoutOverlapAbutExactly) {
  const std::vector<cv::Rect> tiles = Tiles({300, 300}, 3, 0.0f);
  ASSERT_EQ(tiles.size(), 9u);
  EXPECT_EQ(tiles[0], cv::Rect(0, 0, 100, 100));
  EXPECT_EQ(tiles[1], cv::Rect(100, 0, 100, 100));
  EXPECT_EQ(tiles[8], cv::Rect(200, 200, 100, 100));
}

Face MakeFace(float x, float y, float side, bool masked, float confidence) {
  return {{x, y, x + side, y + side}, masked, confidence};
}

TEST(FuseFacesTest, OverlapAboveTheBoundFusesByConfidence) {
  // IoU of [0,10] and [2,12] squares: 64 / 136 = 0.47.
  const std::vector<Face> fused = FuseFaces({MakeFace(0, 0, 10, true, 0.6f), MakeFace(2, 2, 10, false, 0.9f)},
                                            0.4f);
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_FLOAT_EQ(fused[0].confidence, 0.9f);
  EXPECT_FALSE(fused[0].masked);  // 0.9 against 0.6
  EXPECT_FLOAT_EQ(fused[0].box.xmin, (0.6f * 0 + 0.9f * 2) / 1.5f);
  EXPECT_FLOAT_EQ(fused[0].box.xmax, (0.6f * 10 + 0.9f * 12) / 1.5f);
}

TEST(SureOnTileTest, EachClassAboveItsOwnBound) {
  const TilingOptions tiling{.tile_confidence = 0.5f, .tile_unmasked_confidence = 0.8f};
  const auto sure = [&](bool masked, float confidence) {
    return SureOnTile(MakeFace(0, 0, 10, masked, confidence), tiling);
  };
  EXPECT_FALSE(sure(true, 0.5f));
  EXPECT_FALSE(sure(true, std::nextafter(0.5f, 0.0f)));
  EXPECT_TRUE(sure(true, std::nextafter(0.5f, 1.0f)));
  EXPECT_FALSE(sure(false, 0.8f));
  EXPECT_FALSE(sure(false, std::nextafter(0.8f, 0.0f)));
  EXPECT_TRUE(sure(false, std::nextafter(0.8f, 1.0f)));
  EXPECT_TRUE(sure(true, 0.7f));
  EXPECT_FALSE(sure(false, 0.7f));
}

TEST(FuseFacesTest, OverlapAtOrUnderTheBoundKeepsBoth) {
  const float iou = IntersectionOverUnion(MakeFace(0, 0, 10, true, 1).box, MakeFace(2, 2, 10, true, 1).box);
  // Confidence 1 opens the cluster, so its box is the face's own, exactly.
  EXPECT_EQ(FuseFaces({MakeFace(0, 0, 10, true, 0.5f), MakeFace(2, 2, 10, true, 1.0f)}, iou).size(), 2u);
  EXPECT_EQ(
      FuseFaces({MakeFace(0, 0, 10, true, 0.5f), MakeFace(2, 2, 10, true, 1.0f)}, std::nextafter(iou, 0.0f))
          .size(),
      1u);
}

TEST(FuseFacesTest, StrongestFirstAndMaskVoteWeighted) {
  const std::vector<Face> fused = FuseFaces(
      {MakeFace(100, 100, 10, true, 0.55f), MakeFace(0, 0, 10, true, 0.7f), MakeFace(1, 0, 10, false, 0.6f),
       MakeFace(0, 1, 10, false, 0.2f)},
      0.4f);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_FLOAT_EQ(fused[0].confidence, 0.7f);
  EXPECT_FALSE(fused[0].masked);  // 0.7 masked against 0.6 + 0.2 unmasked
  EXPECT_FLOAT_EQ(fused[1].confidence, 0.55f);
}

TEST_F(DetectorTest, ThoroughFindsMoreFacesInACrowdAndNoneOnNoFacePhotos) {
  Result<std::unique_ptr<Detector>> fast = Detector::Create(*model_);
  Result<std::unique_ptr<Detector>> thorough = Detector::Create(
      *model_, DetectorOptions{.quality = Quality::kThorough});
  ASSERT_TRUE(fast.has_value() && thorough.has_value());
  // maksssksksss240: 61 annotated faces, most of them small.
  const cv::Mat crowd = Decode(testing::FaceMaskDir() / "images" / "maksssksksss240.png");
  const std::size_t found_fast = (*fast)->Detect(crowd)->size();
  EXPECT_EQ((*fast)->last_passes(), 1);
  const std::size_t found_thorough = (*thorough)->Detect(crowd)->size();
  EXPECT_EQ((*thorough)->last_passes(), 5);   // the picture, then its 4 tiles in one call
  EXPECT_GE(found_thorough, found_fast + 8);  // measured: 24 and 36
  for (const auto& file : testing::ListFiles(testing::NoFaceDir(), {".png", ".jpg"})) {
    EXPECT_TRUE((*thorough)->Detect(Decode(file))->empty()) << file;
  }
}

TEST_F(DetectorTest, ThoroughDoesNotTileAPhotoOfOneLargeFace) {
  Result<std::unique_ptr<Detector>> thorough = Detector::Create(
      *model_, DetectorOptions{.quality = Quality::kThorough});
  Result<std::vector<Face>> faces = (*thorough)->Detect(
      Decode(testing::FaceMaskDir() / "images" / "maksssksksss162.png"));
  ASSERT_TRUE(faces.has_value());
  EXPECT_EQ(faces->size(), 1u);
  EXPECT_LE((*thorough)->last_passes(), 2);  // the picture, and the close-up check at most
}

TEST(ModelDataTest, MissingFileIsNotFoundAndNamed) {
  const std::filesystem::path empty = std::filesystem::temp_directory_path() / "maskfleet-no-model";
  std::filesystem::create_directories(empty);
  Result<ModelData> model = ModelData::Load(empty);
  ASSERT_FALSE(model.has_value());
  EXPECT_EQ(model.error().code, ErrorCode::kNotFound);
  EXPECT_NE(model.error().message.find(kPrototxtName), std::string::npos);
}

TEST(ModelDataTest, CorruptModelIsAnErrorNotACrash) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "maskfleet-bad-model";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / kPrototxtName) << "layer { this is not a prototxt";
  std::ofstream(dir / kCaffemodelName) << "garbage";
  Result<ModelData> model = ModelData::Load(dir);
  ASSERT_TRUE(model.has_value());
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model);
  ASSERT_FALSE(detector.has_value());
  EXPECT_EQ(detector.error().code, ErrorCode::kInternal);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace maskfleet::detect
