// What every ObjectStore must do, run on each implementation. Another implementation
// joins with one INSTANTIATE_TEST_SUITE_P line naming a factory (see the end).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <latch>
#include <thread>

#include "maskfleet/objectstore/fake/fake_object_store.h"
#include "maskfleet/objectstore/local/local_object_store.h"
#include "maskfleet/objectstore/object_store.h"
#ifdef MASKFLEET_OBJECTSTORE_CONTRACT_S3
#include "maskfleet/aws/testing/moto_bed.h"
#include "maskfleet/objectstore/s3/s3_object_store.h"
#include "maskfleet/objectstore/s3/s3_test_bucket.h"
#endif

namespace maskfleet::objectstore {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// Makes an empty store for one test. `scratch` is a new folder the test removes
// afterwards (a local store keeps its objects there); `durable` false allows a store
// to skip what only matters across a power cut, for tests that put many objects.
struct StoreFactory {
  std::string name;
  std::function<Result<std::unique_ptr<ObjectStore>>(const std::filesystem::path& scratch, bool durable)> make;
};

const StoreFactory kLocal{
    "local", [](const std::filesystem::path& scratch, bool durable) -> Result<std::unique_ptr<ObjectStore>> {
      auto store = LocalObjectStore::Open({scratch / "root", durable});
      if (!store) return std::unexpected(store.error());
      return std::unique_ptr<ObjectStore>(std::move(*store));
    }};
const StoreFactory kFake{"fake",
                         [](const std::filesystem::path&, bool) -> Result<std::unique_ptr<ObjectStore>> {
                           return std::make_unique<FakeObjectStore>();
                         }};

class ObjectStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "maskfleet-objects-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    folder_ = pattern;
    auto store = GetParam().make(folder_, /*durable=*/true);
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    if (!folder_.empty()) std::filesystem::remove_all(folder_);
  }

  // Every page of `prefix` at `page_size`, in order.
  std::vector<KeyPage> AllPages(std::string_view prefix, int page_size) {
    std::vector<KeyPage> pages;
    std::string token;
    do {
      Result<KeyPage> page = store_->ListPage(prefix, token, page_size);
      EXPECT_TRUE(page) << page.error().ToString();
      if (!page || pages.size() > 100) break;
      token = page->next_page_token;
      pages.push_back(std::move(*page));
    } while (!token.empty());
    return pages;
  }

  void PutAll(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) ASSERT_TRUE(store_->Put(key, Bytes(key), "text/plain")) << key;
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
  for (const char* key :
       {"images/42/b.jpg", "images/4/a.jpg", "images/42/a.jpg", "images/5/a.jpg", "other/x"}) {
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
    EXPECT_EQ(store_->Put(key, Bytes("x"), "text/plain").error().code, ErrorCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key).error().code, ErrorCode::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).error().code, ErrorCode::kInvalidArgument) << key;
  }
  EXPECT_EQ(store_->List("../").error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->List("").value().empty());
  EXPECT_FALSE(std::filesystem::exists(folder_ / "escape"));
}

// The keys of all `pages`, in order.
std::vector<std::string> KeysOf(const std::vector<KeyPage>& pages) {
  std::vector<std::string> keys;
  for (const KeyPage& p : pages) keys.insert(keys.end(), p.keys.begin(), p.keys.end());
  return keys;
}

TEST_P(ObjectStoreContractTest, ListPageOfAnEmptyPrefixIsOneEmptyLastPage) {
  PutAll({"other/a"});
  Result<KeyPage> page = store_->ListPage("images/", "", 3);
  ASSERT_TRUE(page) << page.error().ToString();
  EXPECT_TRUE(page->keys.empty());
  EXPECT_TRUE(page->next_page_token.empty());
}

TEST_P(ObjectStoreContractTest, ListPageOfExactlyOnePage) {
  PutAll({"images/c", "images/a", "images/b", "other/z"});
  const std::vector<KeyPage> pages = AllPages("images/", 3);
  ASSERT_FALSE(pages.empty());
  EXPECT_EQ(pages[0].keys, (std::vector<std::string>{"images/a", "images/b", "images/c"}));
  // A store may not know that nothing follows; then the next page is empty and last.
  ASSERT_LE(pages.size(), 2u);
  if (pages.size() == 2) {
    EXPECT_TRUE(pages[1].keys.empty());
    EXPECT_TRUE(pages[1].next_page_token.empty());
  }
}

TEST_P(ObjectStoreContractTest, ListPageOfOnePagePlusOne) {
  PutAll({"images/d", "images/c", "images/a", "images/b", "imagesx"});
  const std::vector<KeyPage> pages = AllPages("images/", 3);
  ASSERT_GE(pages.size(), 2u);
  EXPECT_EQ(pages[0].keys, (std::vector<std::string>{"images/a", "images/b", "images/c"}));
  EXPECT_FALSE(pages[0].next_page_token.empty());
  EXPECT_EQ(pages[1].keys, (std::vector<std::string>{"images/d"}));
  EXPECT_EQ(KeysOf(pages), (std::vector<std::string>{"images/a", "images/b", "images/c", "images/d"}));
  // One under a page: a single last page.
  ASSERT_TRUE(store_->Delete("images/d"));
  ASSERT_TRUE(store_->Delete("images/c"));
  const std::vector<KeyPage> short_pages = AllPages("images/", 3);
  ASSERT_EQ(short_pages.size(), 1u);
  EXPECT_EQ(short_pages[0].keys, (std::vector<std::string>{"images/a", "images/b"}));
}

TEST_P(ObjectStoreContractTest, ListPageOfOneKeyAPage) {
  PutAll({"p/1", "p/2", "p/3"});
  const std::vector<KeyPage> pages = AllPages("p/", 1);
  EXPECT_EQ(KeysOf(pages), (std::vector<std::string>{"p/1", "p/2", "p/3"}));
  for (const KeyPage& page : pages) EXPECT_LE(page.keys.size(), 1u);
}

TEST_P(ObjectStoreContractTest, ListPageSkipsKeysDeletedBetweenPagesAndKeepsTheRest) {
  PutAll({"k/1", "k/2", "k/3", "k/4", "k/5"});
  Result<KeyPage> first = store_->ListPage("k/", "", 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->keys, (std::vector<std::string>{"k/1", "k/2"}));
  // A cleanup deletes what it listed, then asks for the next page.
  ASSERT_TRUE(store_->Delete("k/1"));
  ASSERT_TRUE(store_->Delete("k/2"));
  ASSERT_TRUE(store_->Delete("k/3"));
  Result<KeyPage> second = store_->ListPage("k/", first->next_page_token, 2);
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(second->keys, (std::vector<std::string>{"k/4", "k/5"}));
}

TEST_P(ObjectStoreContractTest, ListPageRefusesBadPageSizesAndPrefixes) {
  PutAll({"a/1"});
  for (int size : {0, -1, kMaxKeysPerPage + 1}) {
    EXPECT_EQ(store_->ListPage("a/", "", size).error().code, ErrorCode::kInvalidArgument) << size;
  }
  EXPECT_TRUE(store_->ListPage("a/", "", 1));
  EXPECT_TRUE(store_->ListPage("a/", "", kMaxKeysPerPage));
  EXPECT_EQ(store_->ListPage("../", "", 10).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(ObjectStoreContractTest, ListGathersEveryPageBeyondTheServicesPageSize) {
  // A store of its own without fsync: this puts a thousand and one objects.
  std::filesystem::create_directories(folder_ / "bulk");
  auto bulk = GetParam().make(folder_ / "bulk", /*durable=*/false);
  ASSERT_TRUE(bulk) << bulk.error().ToString();
  std::vector<std::string> expected;
  for (int i = 0; i < kMaxKeysPerPage + 1; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "many/%04d", i);
    expected.push_back(key);
    ASSERT_TRUE((*bulk)->Put(key, {}, "text/plain")) << key;
  }
  Result<KeyPage> first = (*bulk)->ListPage("many/", "", kMaxKeysPerPage);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->keys.size(), static_cast<std::size_t>(kMaxKeysPerPage));
  EXPECT_FALSE(first->next_page_token.empty());
  EXPECT_EQ((*bulk)->List("many/").value(), expected);
}

TEST_P(ObjectStoreContractTest, DeleteManyDeletesEveryKeyAndCountsMissingOnesAsDeleted) {
  PutAll({"d/1", "d/2", "d/3", "keep/1"});
  const std::vector<std::string> keys{"d/1", "d/3", "d/never"};
  Result<std::vector<KeyFailure>> failures = store_->DeleteMany(keys);
  ASSERT_TRUE(failures) << failures.error().ToString();
  EXPECT_TRUE(failures->empty());
  EXPECT_EQ(store_->List("").value(), (std::vector<std::string>{"d/2", "keep/1"}));
  EXPECT_TRUE(store_->DeleteMany(keys).value().empty());  // again: nothing left to fail
  EXPECT_TRUE(store_->DeleteMany(std::vector<std::string>{}).value().empty());
}

TEST_P(ObjectStoreContractTest, DeleteManyReportsEachBadKeyAndDeletesTheOthers) {
  PutAll({"d/1", "d/2"});
  const std::vector<std::string> keys{"d/1", "../escape", "d/2", "a//b"};
  Result<std::vector<KeyFailure>> failures = store_->DeleteMany(keys);
  ASSERT_TRUE(failures) << failures.error().ToString();
  ASSERT_EQ(failures->size(), 2u);
  EXPECT_EQ((*failures)[0].key, "../escape");
  EXPECT_EQ((*failures)[0].error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ((*failures)[1].key, "a//b");
  EXPECT_EQ((*failures)[1].error.code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->List("d/").value().empty());
}

TEST_P(ObjectStoreContractTest, DeleteManyTakesAtMostOnePageOfKeys) {
  PutAll({"d/0000"});
  std::vector<std::string> keys;
  for (int i = 0; i < kMaxKeysPerPage + 1; ++i) keys.push_back("d/" + std::to_string(10000 + i));
  keys[0] = "d/0000";
  EXPECT_EQ(store_->DeleteMany(keys).error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(store_->Get("d/0000"));  // nothing deleted
  keys.pop_back();                     // exactly the limit
  Result<std::vector<KeyFailure>> failures = store_->DeleteMany(keys);
  ASSERT_TRUE(failures) << failures.error().ToString();
  EXPECT_TRUE(failures->empty());
  EXPECT_EQ(store_->Get("d/0000").error().code, ErrorCode::kNotFound);
}

TEST_P(ObjectStoreContractTest, SignedReadUrlChecksItsArgumentsAndSaysWhetherItCanSign) {
  ASSERT_TRUE(store_->Put("images/1/a.jpg", Bytes("jpeg"), "image/jpeg"));
  EXPECT_EQ(store_->SignedReadUrl("../x", std::chrono::seconds(60)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->SignedReadUrl("images/1/a.jpg", std::chrono::seconds(0)).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      store_->SignedReadUrl("images/1/a.jpg", kMaxSignedUrlLifetime + std::chrono::seconds(1)).error().code,
      ErrorCode::kInvalidArgument);
  for (std::chrono::seconds lifetime : {std::chrono::seconds(1), kMaxSignedUrlLifetime}) {
    Result<std::optional<SignedUrl>> url = store_->SignedReadUrl("images/1/a.jpg", lifetime);
    ASSERT_TRUE(url) << url.error().ToString();
    if (*url) {  // a store that signs: a URL naming the key, expiring in `lifetime`
      EXPECT_NE((*url)->url.find("images/1/a.jpg"), std::string::npos) << (*url)->url;
      EXPECT_GT((*url)->expires_at, RealClock().Now() + lifetime - std::chrono::seconds(60));
      EXPECT_LE((*url)->expires_at, RealClock().Now() + lifetime);
    }
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

std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) { return info.param.name; }

#ifndef MASKFLEET_OBJECTSTORE_CONTRACT_S3
INSTANTIATE_TEST_SUITE_P(objectstore, ObjectStoreContractTest, ::testing::Values(kLocal, kFake), FactoryName);
// The fake again, signing URLs, so that the signing branch of the contract runs too.
INSTANTIATE_TEST_SUITE_P(objectstore_signing, ObjectStoreContractTest,
                         ::testing::Values(StoreFactory{
                             "fake",
                             [](const std::filesystem::path&, bool) -> Result<std::unique_ptr<ObjectStore>> {
                               auto store = std::make_unique<FakeObjectStore>();
                               store->EnableSignedUrls("http://objects.invalid/");
                               return std::unique_ptr<ObjectStore>(std::move(store));
                             }}),
                         FactoryName);
#else
// S3 on the moto test bed (objectstore_s3_contract_test, one moto server for the
// binary): every store is a fresh key prefix in the bed's bucket, used as the worker.
const StoreFactory kS3{
    "s3", [](const std::filesystem::path&, bool) -> Result<std::unique_ptr<ObjectStore>> {
      aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
      static const Status bucket = MakeTestBucket(bed, bed.bucket());
      if (!bucket) return std::unexpected(bucket.error());
      static std::atomic<int> stores{0};
      auto store = S3ObjectStore::Open(
          std::shared_ptr<aws::Client>(bed.ClientFor("worker", "", 4)),
          {.bucket = bed.bucket(), .key_prefix = "contract-" + std::to_string(++stores) + "/"});
      if (!store) return std::unexpected(store.error());
      return std::unique_ptr<ObjectStore>(std::move(*store));
    }};
INSTANTIATE_TEST_SUITE_P(objectstore, ObjectStoreContractTest, ::testing::Values(kS3), FactoryName);
#endif

}  // namespace
}  // namespace maskfleet::objectstore
