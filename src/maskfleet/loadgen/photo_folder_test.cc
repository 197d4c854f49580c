#include "maskfleet/loadgen/photo_folder.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

class PhotoFolderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("loadgen_photos_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::filesystem::path dir_;
};

TEST_F(PhotoFolderTest, RecognisesByBytesOrExtensionInNameOrder) {
  Write("c.bin", std::string("\x89PNG\r\n\x1A\n", 8) + "rest");
  Write("a-photo", "\xFF\xD8\xFF\xE0 jpeg");
  Write("b.WEBP", "not really webp");  // by its extension
  Write("d.webp", std::string("RIFF\x10\0\0\0WEBPVP8 ", 16));
  Write("e.bmp", "BM....");
  Write("notes.txt", "hello");
  Write(".hidden.jpg", "\xFF\xD8\xFF");
  std::filesystem::create_directories(dir_ / "sub.jpg");
  Result<std::vector<Photo>> photos = LoadPhotoFolder(dir_);
  ASSERT_TRUE(photos) << photos.error().ToString();
  ASSERT_EQ(photos->size(), 5u);
  EXPECT_EQ((*photos)[0].name, "a-photo");
  EXPECT_EQ((*photos)[0].content_type, "image/jpeg");
  EXPECT_EQ((*photos)[1].name, "b.WEBP");
  EXPECT_EQ((*photos)[1].content_type, "application/octet-stream");
  EXPECT_EQ((*photos)[2].name, "c.bin");
  EXPECT_EQ((*photos)[2].content_type, "image/png");
  EXPECT_EQ((*photos)[2].bytes, std::string("\x89PNG\r\n\x1A\n", 8) + "rest");
  EXPECT_EQ((*photos)[3].content_type, "image/webp");
  EXPECT_EQ((*photos)[4].content_type, "image/bmp");
}

TEST_F(PhotoFolderTest, EmptyFolderIsAnError) {
  Write("readme.txt", "no photos here");
  Result<std::vector<Photo>> photos = LoadPhotoFolder(dir_);
  ASSERT_FALSE(photos);
  EXPECT_EQ(photos.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(photos.error().message.find("holds no photo"), std::string::npos);
}

TEST_F(PhotoFolderTest, MissingFolderIsAnError) {
  Result<std::vector<Photo>> photos = LoadPhotoFolder(dir_ / "missing");
  ASSERT_FALSE(photos);
  EXPECT_EQ(photos.error().code, ErrorCode::kNotFound);
}

TEST_F(PhotoFolderTest, FileAboveTheLimitIsAnError) {
  Write("big.jpg", std::string(100, 'x'));
  Result<std::vector<Photo>> photos = LoadPhotoFolder(dir_, 99);
  ASSERT_FALSE(photos);
  EXPECT_EQ(photos.error().code, ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace maskfleet::loadgen
