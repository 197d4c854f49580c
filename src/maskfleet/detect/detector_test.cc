#include "maskfleet/detect/detector.h"

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
  Result<std::unique_ptr<Detector>> unverified =
      Detector::Create(*model_, DetectorOptions{.verify_close_ups = false});
  ASSERT_TRUE(unverified.has_value());
  EXPECT_EQ((*unverified)->Detect(cup)->size(), 1u);
  Result<std::unique_ptr<Detector>> verified = Detector::Create(*model_);
  EXPECT_TRUE((*verified)->Detect(cup)->empty());
}

TEST_F(DetectorTest, CloseUpOfARealFaceSurvivesVerification) {
  // maksssksksss162: one masked face filling much of the picture.
  Result<std::unique_ptr<Detector>> detector = Detector::Create(*model_);
  Result<std::vector<Face>> faces =
      (*detector)->Detect(Decode(testing::FaceMaskDir() / "images" / "maksssksksss162.png"));
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
