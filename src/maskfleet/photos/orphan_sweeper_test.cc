#include "maskfleet/photos/orphan_sweeper.h"

#include <gtest/gtest.h>

#include "maskfleet/accounts/user_store.h"
#include "maskfleet/objectstore/fake/fake_object_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::photos {
namespace {

using objectstore::FakeObjectStore;
using std::chrono::seconds;

constexpr seconds kGrace{60};

class OrphanSweeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    ASSERT_TRUE(scratch.has_value()) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    images_ = std::make_unique<ImageStore>(*db_, clock_);
    accounts::UserStore users(*db_, clock_);
    owner_ = users.Create({"owner", std::nullopt, "hash", false})->id;
    other_owner_ = users.Create({"other", std::nullopt, "hash", false})->id;
  }

  // A photo's row as an upload makes it, for objects under "u/<owner>/<name>/".
  NewImage Row(std::int64_t owner, const std::string& name) {
    NewImage row;
    row.owner_id = owner;
    row.source_name = "p.jpg";
    row.format = "jpeg";
    row.width = row.height = 10;
    const std::string prefix = "u/" + std::to_string(owner) + "/" + name + "/";
    row.original_key = prefix + "original.jpeg";
    row.annotated_key = prefix + "annotated.jpg";
    row.thumbnail_key = prefix + "thumbnail.jpg";
    return row;
  }

  // Stores the row's three objects, as an upload does before it inserts the row.
  void PutObjects(const NewImage& row) {
    for (const std::string& key : {row.original_key, row.annotated_key, row.thumbnail_key}) {
      ASSERT_TRUE(objects_.Put(key, bytes_, "image/jpeg").has_value());
    }
  }

  // Walks the whole listing once; returns the sum of its steps.
  SweepStep Walk(OrphanSweeper& sweeper) {
    SweepStep total;
    for (int pages = 0; pages < 100; ++pages) {
      Result<SweepStep> step = sweeper.SweepPage();
      EXPECT_TRUE(step.has_value()) << step.error().ToString();
      if (!step) return total;
      total.keys_listed += step->keys_listed;
      total.suspected += step->suspected;
      total.deleted += step->deleted;
      total.delete_failed += step->delete_failed;
      if (step->walk_finished) return total;
    }
    ADD_FAILURE() << "the walk did not finish";
    return total;
  }

  SimulatedClock clock_;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<ImageStore> images_;
  FakeObjectStore objects_;
  std::int64_t owner_ = 0;
  std::int64_t other_owner_ = 0;
  const std::vector<std::uint8_t> bytes_{1, 2, 3};
};

// What a worker killed between storing an upload's objects and inserting its row leaves.
TEST_F(OrphanSweeperTest, ObjectsOfAnUploadKilledBeforeItsRowGoAfterTheGraceNotBefore) {
  NewImage stored = Row(owner_, "stored");
  PutObjects(stored);
  ASSERT_TRUE(images_->Insert(stored).has_value());
  PutObjects(Row(owner_, "killed"));
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace});

  SweepStep first = Walk(sweeper);
  EXPECT_EQ(first.keys_listed, 6);
  EXPECT_EQ(first.suspected, 3);
  EXPECT_EQ(first.deleted, 0);

  clock_.Advance(kGrace - seconds(1));  // one second under the grace
  EXPECT_EQ(Walk(sweeper).deleted, 0);
  EXPECT_EQ(objects_.size(), 6u);

  clock_.Advance(seconds(1));  // at the grace
  SweepStep at_grace = Walk(sweeper);
  EXPECT_EQ(at_grace.deleted, 3);
  EXPECT_EQ(objects_.size(), 3u);
  EXPECT_FALSE(objects_.Contains("u/" + std::to_string(owner_) + "/killed/original.jpeg"));
  EXPECT_TRUE(objects_.Contains(stored.original_key));
  EXPECT_EQ(sweeper.suspects(), 0u);

  clock_.Advance(10 * kGrace);
  EXPECT_EQ(Walk(sweeper).deleted, 0);
  EXPECT_EQ(objects_.size(), 3u);
}

TEST_F(OrphanSweeperTest, AnUploadWhoseRowComesAfterTheFirstLookIsKept) {
  NewImage in_flight = Row(owner_, "in-flight");
  PutObjects(in_flight);
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace});
  EXPECT_EQ(Walk(sweeper).suspected, 3);
  ASSERT_TRUE(images_->Insert(in_flight).has_value());
  clock_.Advance(kGrace + seconds(1));
  EXPECT_EQ(Walk(sweeper).deleted, 0);
  EXPECT_EQ(objects_.size(), 3u);
  EXPECT_EQ(sweeper.suspects(), 0u);
}

TEST_F(OrphanSweeperTest, AnotherOwnersRowDoesNotKeepAnObject) {
  // The keys of other_owner's row, stored under owner's folder: not owner's row.
  NewImage foreign = Row(owner_, "x");
  foreign.owner_id = other_owner_;
  ASSERT_TRUE(images_->Insert(foreign).has_value());
  PutObjects(foreign);
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace});
  Walk(sweeper);
  clock_.Advance(kGrace);
  EXPECT_EQ(Walk(sweeper).deleted, 3);
}

TEST_F(OrphanSweeperTest, KeysNotOfAPhotoOwnerAreNeverDeleted) {
  for (const char* key : {"u/x/original.jpeg", "u/12a/p/original.jpeg", "readiness/probe-1", "v/1/a"}) {
    ASSERT_TRUE(objects_.Put(key, bytes_, "text/plain").has_value());
  }
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace});
  Walk(sweeper);
  clock_.Advance(10 * kGrace);
  EXPECT_EQ(Walk(sweeper).deleted, 0);
  EXPECT_EQ(objects_.size(), 4u);
}

TEST_F(OrphanSweeperTest, WalksAPageAtATimeAndStartsAgainAtTheEnd) {
  for (int i = 0; i < 3; ++i) PutObjects(Row(owner_, "p" + std::to_string(i)));  // 9 keys
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace, .page_size = 4});
  std::vector<int> listed;
  for (int i = 0; i < 4; ++i) {
    Result<SweepStep> step = sweeper.SweepPage();
    ASSERT_TRUE(step.has_value()) << step.error().ToString();
    listed.push_back(step->keys_listed);
    EXPECT_EQ(step->walk_finished, i == 2) << i;
  }
  EXPECT_EQ(listed, (std::vector<int>{4, 4, 1, 4}));
  EXPECT_EQ(objects_.calls(FakeObjectStore::Op::kList), 4);
}

TEST_F(OrphanSweeperTest, AListingThatFailsDeletesNothingAndIsTriedAgain) {
  PutObjects(Row(owner_, "a"));
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace});
  Walk(sweeper);
  clock_.Advance(kGrace);
  objects_.FailNth(FakeObjectStore::Op::kList, 1);
  Result<SweepStep> failed = sweeper.SweepPage();
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(objects_.size(), 3u);
  EXPECT_EQ(Walk(sweeper).deleted, 3);
}

TEST_F(OrphanSweeperTest, ADeleteThatFailsIsCountedAndTriedOnTheNextWalk) {
  PutObjects(Row(owner_, "a"));
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace});
  Walk(sweeper);
  clock_.Advance(kGrace);
  objects_.FailNth(FakeObjectStore::Op::kDelete, 1);
  SweepStep step = Walk(sweeper);
  EXPECT_EQ(step.delete_failed, 1);
  EXPECT_EQ(step.deleted, 2);
  EXPECT_EQ(sweeper.suspects(), 1u);
  EXPECT_EQ(Walk(sweeper).deleted, 1);
  EXPECT_EQ(objects_.size(), 0u);
}

TEST_F(OrphanSweeperTest, SuspectsAreBoundedAndTheRestWaitForALaterWalk) {
  PutObjects(Row(owner_, "a"));
  PutObjects(Row(owner_, "b"));
  OrphanSweeper sweeper(*images_, objects_, clock_, {.grace = kGrace, .max_suspects = 4});
  EXPECT_EQ(Walk(sweeper).suspected, 4);
  EXPECT_EQ(sweeper.suspects(), 4u);
  clock_.Advance(kGrace);
  SweepStep second = Walk(sweeper);
  EXPECT_EQ(second.deleted, 4);
  EXPECT_EQ(second.suspected, 2);
  clock_.Advance(kGrace);
  EXPECT_EQ(Walk(sweeper).deleted, 2);
  EXPECT_EQ(objects_.size(), 0u);
}

TEST_F(OrphanSweeperTest, ReferencedKeysFindsEachColumnOfTheOwnersRowsOnly) {
  NewImage row = Row(owner_, "r");
  ASSERT_TRUE(images_->Insert(row).has_value());
  std::vector<std::string> asked{row.thumbnail_key, "u/1/none/original.jpeg", row.original_key,
                                 row.annotated_key};
  // More keys than one query takes (100), so the query is made in parts.
  for (int i = 0; i < 150; ++i) asked.push_back("u/1/filler" + std::to_string(i) + "/a.jpg");
  Result<std::set<std::string>> found = images_->ReferencedKeys(owner_, asked);
  ASSERT_TRUE(found.has_value()) << found.error().ToString();
  EXPECT_EQ(*found, (std::set<std::string>{row.original_key, row.annotated_key, row.thumbnail_key}));
  Result<std::set<std::string>> other = images_->ReferencedKeys(other_owner_, asked);
  ASSERT_TRUE(other.has_value());
  EXPECT_TRUE(other->empty());
}

}  // namespace
}  // namespace maskfleet::photos
