#include "maskfleet/objectstore/local/local_object_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace maskfleet::objectstore {
namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> Bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

class objectstore_LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "maskfleet-local-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
    root_ = folder_ / "objects";
    auto store = LocalObjectStore::Open({root_, /*sync=*/true});
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(folder_);
  }

  fs::path folder_;
  fs::path root_;
  std::unique_ptr<LocalObjectStore> store_;
};

TEST_F(objectstore_LocalObjectStoreTest, ObjectIsAFileUnderTheRootAndNoTempFileRemains) {
  ASSERT_TRUE(store_->Put("images/7/original.jpg", Bytes("jpeg bytes"), "image/jpeg"));
  const fs::path file = root_ / "images" / "7" / "original.jpg";
  ASSERT_TRUE(fs::is_regular_file(file));
  EXPECT_EQ(fs::file_size(file), 10u);
  for (const auto& entry : fs::recursive_directory_iterator(root_)) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".tmp-")) << entry.path();
  }
}

TEST_F(objectstore_LocalObjectStoreTest, LeftoverTempFilesAndStrangeFilesAreNotListed) {
  ASSERT_TRUE(store_->Put("images/1/a.jpg", Bytes("a"), "image/jpeg"));
  std::ofstream(root_ / "images" / "1" / ".tmp-123-0-42") << "half-written";  // a crashed Put
  std::ofstream(root_ / "images" / "1" / "has space.jpg") << "by hand";
  fs::create_directories(root_ / ".hidden");
  std::ofstream(root_ / ".hidden" / "x") << "x";
  EXPECT_EQ(store_->List("").value(), std::vector<std::string>{"images/1/a.jpg"});
}

TEST_F(objectstore_LocalObjectStoreTest, SymlinkIsNoObject) {
  std::ofstream(folder_ / "secret") << "outside the root";
  fs::create_directories(root_ / "images");
  fs::create_symlink(folder_ / "secret", root_ / "images" / "link");
  EXPECT_EQ(store_->Get("images/link").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->List("").value().empty());
}

TEST_F(objectstore_LocalObjectStoreTest, DeleteRemovesEmptyFoldersButNeverTheRoot) {
  ASSERT_TRUE(store_->Put("a/b/c/d", Bytes("1"), "x/y"));
  ASSERT_TRUE(store_->Put("a/keep", Bytes("2"), "x/y"));
  ASSERT_TRUE(store_->Delete("a/b/c/d"));
  EXPECT_FALSE(fs::exists(root_ / "a" / "b"));
  EXPECT_TRUE(fs::exists(root_ / "a" / "keep"));
  ASSERT_TRUE(store_->Delete("a/keep"));
  EXPECT_FALSE(fs::exists(root_ / "a"));
  EXPECT_TRUE(fs::is_directory(root_));
}

TEST_F(objectstore_LocalObjectStoreTest, RootGivenWithTrailingSlashIsKept) {
  auto store = LocalObjectStore::Open({root_.string() + "/", false});
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->Put("x", Bytes("1"), "x/y"));
  ASSERT_TRUE((*store)->Delete("x"));
  EXPECT_TRUE(fs::is_directory(root_));
}

TEST_F(objectstore_LocalObjectStoreTest, KeyAndFolderConflictIsFailedPrecondition) {
  ASSERT_TRUE(store_->Put("a/b", Bytes("file"), "x/y"));
  EXPECT_EQ(store_->Put("a/b/c", Bytes("x"), "x/y").error().code, ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(store_->Put("d/e/f", Bytes("x"), "x/y"));
  EXPECT_EQ(store_->Put("d/e", Bytes("x"), "x/y").error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("d/e").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Delete("d/e"));  // a folder is no object: nothing to delete
  EXPECT_TRUE(fs::exists(root_ / "d" / "e" / "f"));
}

TEST_F(objectstore_LocalObjectStoreTest, UnwritableRootIsAnErrorNotACrash) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  fs::permissions(root_, fs::perms::owner_read | fs::perms::owner_exec);
  auto st = store_->Put("x", Bytes("1"), "x/y");
  fs::permissions(root_, fs::perms::owner_all);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
}

TEST_F(objectstore_LocalObjectStoreTest, OpenRefusesAFileAsRoot) {
  std::ofstream(folder_ / "file") << "x";
  EXPECT_EQ(LocalObjectStore::Open({folder_ / "file", true}).error().code, ErrorCode::kInternal);
  EXPECT_EQ(LocalObjectStore::Open({"", true}).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(objectstore_LocalObjectStoreTest, TwoStoresOnOneRootShareObjects) {
  auto other = LocalObjectStore::Open({root_, true});
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->Put("shared/x", Bytes("from one"), "x/y"));
  EXPECT_EQ((*other)->Get("shared/x").value(), Bytes("from one"));
}

}  // namespace
}  // namespace maskfleet::objectstore
