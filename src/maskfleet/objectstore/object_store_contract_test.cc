// What every ObjectStore must do, run on each implementation.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <latch>
#include <thread>

#include "maskfleet/objectstore/fake/fake_object_store.h"
#include "maskfleet/objectstore/local/local_object_store.h"
#include "maskfleet/objectstore/object_store.h"

namespace maskfleet::objectstore {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

class ObjectStoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "local") {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "maskfleet-objects-XXXXXX").string();
      ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
      folder_ = pattern;
      auto store = LocalObjectStore::Open({folder_ / "root", /*sync=*/true});
      ASSERT_TRUE(store) << store.error().ToString();
      store_ = std::move(*store);
    } else {
      store_ = std::make_unique<FakeObjectStore>();
    }
  }
  void TearDown() override {
    store_.reset();
    if (!folder_.empty()) std::filesystem::remove_all(folder_);
  }

  std::filesystem::path folder_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreContractTest, PutGetReplaceDelete) {
  ASSERT_TRUE(store_->Put("images/1/original.jpg", Bytes("first"), "image/jpeg"));
  EXPECT_EQ(store_->Get("images/1/original.jpg").value(), Bytes("first"));
  ASSERT_TRUE(store_->Put("images/1/original.jpg", Bytes("second, longer"), "image/jpeg"));
  EXPECT_EQ(store_->Get("images/1/original.jpg").value(), Bytes("second, longer"));
  ASSERT_TRUE(store_->Delete("images/1/original.jpg"));
  EXPECT_EQ(store_->Get("images/1/original.jpg").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->Delete("images/1/original.jpg"));  // idempotent
  EXPECT_TRUE(store_->Delete("never/was"));
}

TEST_P(ObjectStoreContractTest, EmptyAndBinaryObjects) {
  ASSERT_TRUE(store_->Put("empty", {}, "application/octet-stream"));
  EXPECT_TRUE(store_->Get("empty").value().empty());
  std::vector<std::uint8_t> binary(300'000);
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_TRUE(store_->Put("bin", binary, "application/octet-stream"));
  EXPECT_EQ(store_->Get("bin").value(), binary);
}

TEST_P(ObjectStoreContractTest, MissingIsNotFound) {
  EXPECT_EQ(store_->Get("nothing/here").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->Put("a/b", Bytes("x"), "text/plain"));
  EXPECT_EQ(store_->Get("a").error().code, ErrorCode::kNotFound);  // a prefix is no object
  EXPECT_EQ(store_->Get("a/b/c").error().code, ErrorCode::kNotFound);
}

TEST_P(ObjectStoreContractTest, ListByPrefixSorted) {
  for (const char* key : {"images/42/b.jpg", "images/4/a.jpg", "images/42/a.jpg", "images/5/a.jpg",
                          "other/x"}) {
    ASSERT_TRUE(store_->Put(key, Bytes(key), "image/jpeg")) << key;
  }
  EXPECT_EQ(store_->List("images/42/").value(),
            (std::vector<std::string>{"images/42/a.jpg", "images/42/b.jpg"}));
  EXPECT_EQ(store_->List("images/4").value(),
            (std::vector<std::string>{"images/4/a.jpg", "images/42/a.jpg", "images/42/b.jpg"}));
  EXPECT_EQ(store_->List("").value().size(), 5u);
  EXPECT_TRUE(store_->List("nothing/").value().empty());
  EXPECT_TRUE(store_->List("images/42/a.jpgx").value().empty());
  ASSERT_TRUE(store_->Delete("images/42/a.jpg"));
  ASSERT_TRUE(store_->Delete("images/42/b.jpg"));
  EXPECT_TRUE(store_->List("images/42").value().empty());
}

TEST_P(ObjectStoreContractTest, InvalidKeysTouchNothing) {
  for (const char* key : {"../escape", "/abs", "a//b", ".hidden", "a/../b", ""}) {
    EXPECT_EQ(store_->Put(key, Bytes("x"), "text/plain").error().code, ErrorCode::kInvalidArgument)
        << key;
    EXPECT_EQ(store_->Get(key).error().code, ErrorCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).error().code, ErrorCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(store_->List("../").error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->List("").value().empty());
  if (!folder_.empty()) {
    EXPECT_FALSE(std::filesystem::exists(folder_ / "escape"));
  }
}

TEST_P(ObjectStoreContractTest, ConcurrentReadersSeeWholeObjects) {
  const auto a = std::vector<std::uint8_t>(100'000, 'a');
  const auto b = std::vector<std::uint8_t>(50'000, 'b');
  ASSERT_TRUE(store_->Put("shared/key", a, "x/y"));
  std::latch start(3);
  std::atomic<int> torn{0};
  std::thread writer([&] {
    start.arrive_and_wait();
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(store_->Put("shared/key", i % 2 ? a : b, "x/y"));
    }
  });
  auto reader = [&] {
    start.arrive_and_wait();
    for (int i = 0; i < 100; ++i) {
      auto got = store_->Get("shared/key");
      ASSERT_TRUE(got) << got.error().ToString();
      if (*got != a && *got != b) ++torn;
    }
  };
  std::thread r1(reader), r2(reader);
  writer.join();
  r1.join();
  r2.join();
  EXPECT_EQ(torn, 0);
}

INSTANTIATE_TEST_SUITE_P(objectstore, ObjectStoreContractTest,
                         ::testing::Values("local", "fake"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace maskfleet::objectstore
