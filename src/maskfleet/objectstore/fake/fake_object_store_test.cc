#include "maskfleet/objectstore/fake/fake_object_store.h"

#include <gtest/gtest.h>

namespace maskfleet::objectstore {
namespace {

using Op = FakeObjectStore::Op;

std::vector<std::uint8_t> Bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

TEST(objectstore_FakeObjectStoreTest, KeepsContentTypes) {
  FakeObjectStore store;
  ASSERT_TRUE(store.Put("a.png", Bytes("png"), "image/png"));
  auto found = store.Find("a.png");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->content_type, "image/png");
  EXPECT_EQ(found->bytes, Bytes("png"));
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.Contains("a.png"));
}

TEST(objectstore_FakeObjectStoreTest, FailsTheNthPutOnlyAndLeavesNothing) {
  FakeObjectStore store;
  store.FailNth(Op::kPut, 2);
  EXPECT_TRUE(store.Put("one", Bytes("1"), "x/y"));
  auto second = store.Put("two", Bytes("2"), "x/y");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(store.Contains("two"));
  EXPECT_TRUE(store.Put("three", Bytes("3"), "x/y"));
  EXPECT_EQ(store.calls(Op::kPut), 3);
  EXPECT_EQ(store.size(), 2u);
}

TEST(objectstore_FakeObjectStoreTest, InjectsAChosenErrorPerOperation) {
  FakeObjectStore store;
  ASSERT_TRUE(store.Put("k", Bytes("v"), "x/y"));
  store.FailNth(Op::kGet, 1, Error{ErrorCode::kInternal, "disk on fire"});
  store.FailNth(Op::kDelete, 1);
  store.FailNth(Op::kList, 1);
  EXPECT_EQ(store.Get("k").error().code, ErrorCode::kInternal);
  EXPECT_TRUE(store.Get("k"));
  EXPECT_FALSE(store.Delete("k"));
  EXPECT_TRUE(store.Contains("k"));
  EXPECT_FALSE(store.List(""));
  EXPECT_EQ(store.List("").value().size(), 1u);
}

TEST(objectstore_FakeObjectStoreTest, DownFailsEverythingUntilUp) {
  FakeObjectStore store;
  store.SetDown(true);
  EXPECT_EQ(store.Put("k", Bytes("v"), "x/y").error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.Get("k").error().code, ErrorCode::kUnavailable);
  store.SetDown(false);
  EXPECT_TRUE(store.Put("k", Bytes("v"), "x/y"));
}

TEST(objectstore_FakeObjectStoreTest, ClearFailuresForgetsPendingOnes) {
  FakeObjectStore store;
  store.FailNth(Op::kPut, 1);
  store.ClearFailures();
  EXPECT_TRUE(store.Put("k", Bytes("v"), "x/y"));
}

}  // namespace
}  // namespace maskfleet::objectstore
