// The typed stores, against every configured back end (SQLite always; PostgreSQL and
// MariaDB when scripts/test-services.sh's variables are set).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "maskfleet/accounts/reset_token_store.h"
#include "maskfleet/accounts/session_store.h"
#include "maskfleet/accounts/throttle_store.h"
#include "maskfleet/accounts/user_store.h"
#include "maskfleet/photos/image_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/soci_headers.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::storage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
// The stores of accounts/ and photos/, tested here on every back end.
using accounts::NewUser;
using accounts::ResetTokenStore;
using accounts::SessionStore;
using accounts::User;
using accounts::UserStore;
using photos::Face;
using photos::ImageCategory;
using photos::ImagePage;
using photos::ImageSource;
using photos::ImageStore;
using photos::kMaxPageSize;
using photos::kMaxSourceNameLength;
using photos::NewImage;

// Strings that break naive SQL, quoting or encodings; each must come back byte for byte.
const std::vector<std::string>& HostileStrings() {
  static const std::vector<std::string> strings = {
      "Robert'); DROP TABLE users;--",
      "' OR '1'='1",
      "\\' OR 1=1 -- ",
      "a\"b`c",
      "back\\slash\\",
      "%_wildcards%",
      ":name ? $1 @p",
      "名前 😀 Zoë",
      "line\nbreak\ttab",
  };
  return strings;
}

class StoresTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string server;
    if (GetParam() != "sqlite") {
      server = testing::ServerUrlFromEnvironment(GetParam());
      if (server.empty()) GTEST_SKIP() << "no " << GetParam() << " server configured";
    }
    auto scratch = testing::ScratchDatabase::Create(GetParam(), server);
    ASSERT_TRUE(scratch) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    auto db = Open(scratch_->url());
    ASSERT_TRUE(db) << db.error().ToString();
    db_ = std::move(*db);
    users_ = std::make_unique<UserStore>(*db_, clock_);
    sessions_ = std::make_unique<SessionStore>(*db_, clock_);
    tokens_ = std::make_unique<ResetTokenStore>(*db_, clock_);
    images_ = std::make_unique<ImageStore>(*db_, clock_);
  }

  void TearDown() override {
    users_.reset();
    sessions_.reset();
    tokens_.reset();
    images_.reset();
    db_.reset();
    scratch_.reset();
  }

  Result<std::unique_ptr<Database>> Open(const std::string& url, std::size_t pool_size = 4) {
    DatabaseOptions options;
    options.url = url;
    options.migrations = schema::Maskfleet();
    options.pool_size = pool_size;
    return Database::Open(options, clock_);
  }

  User MakeUser(const std::string& name, bool admin = false) {
    auto user = users_->Create(NewUser{name, std::nullopt, "hash-of-" + name, admin});
    EXPECT_TRUE(user) << user.error().ToString();
    return user.value_or(User{});
  }

  // An image of `owner` whose faces' masked flags are `masks`.
  std::int64_t MakeImage(std::int64_t owner, const std::vector<bool>& masks,
                         const std::string& name = "photo.jpg") {
    NewImage image;
    image.owner_id = owner;
    image.source_name = name;
    image.format = "jpeg";
    image.width = 640;
    image.height = 480;
    static std::atomic<int> counter{0};
    std::string base = "images/" + std::to_string(owner) + "/" + std::to_string(counter++);
    image.original_key = base + "/original.jpg";
    image.annotated_key = base + "/annotated.jpg";
    image.thumbnail_key = base + "/thumbnail.jpg";
    int i = 0;
    for (bool masked : masks) {
      image.faces.push_back(Face{10 * i, 20 * i, 30, 40, masked, 0.5 + 0.01 * i});
      ++i;
    }
    auto stored = images_->Insert(image);
    EXPECT_TRUE(stored) << stored.error().ToString();
    return stored ? stored->image.id : 0;
  }

  static std::vector<std::int64_t> Ids(const ImagePage& page) {
    std::vector<std::int64_t> ids;
    for (const auto& item : page.items) ids.push_back(item.image.id);
    return ids;
  }

  SimulatedClock clock_;
  std::unique_ptr<testing::ScratchDatabase> scratch_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<UserStore> users_;
  std::unique_ptr<SessionStore> sessions_;
  std::unique_ptr<ResetTokenStore> tokens_;
  std::unique_ptr<ImageStore> images_;
};

// ---- users ----------------------------------------------------------------------------

TEST_P(StoresTest, CreateAndFindUser) {
  auto created = users_->Create(NewUser{"alice", "alice@example.org", "h1", true});
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->created_at, clock_.Now());

  auto by_name = users_->FindByName("alice");
  ASSERT_TRUE(by_name) << by_name.error().ToString();
  EXPECT_EQ(by_name->id, created->id);
  EXPECT_EQ(by_name->email, "alice@example.org");
  EXPECT_EQ(by_name->password_hash, "h1");
  EXPECT_TRUE(by_name->is_admin);
  EXPECT_EQ(by_name->created_at, clock_.Now());

  auto by_id = users_->FindById(created->id);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "alice");

  User bob = MakeUser("bob");
  auto bob_found = users_->FindById(bob.id);
  ASSERT_TRUE(bob_found);
  EXPECT_FALSE(bob_found->email.has_value());
  EXPECT_FALSE(bob_found->is_admin);
}

TEST_P(StoresTest, DuplicateUsernameIsAlreadyExists) {
  MakeUser("alice");
  auto again = users_->Create(NewUser{"alice", std::nullopt, "other", false});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

// "alice" and "ALICE" were two accounts; a name is now one account in any case, and
// apart from case names still compare byte for byte (a trailing space is another name).
TEST_P(StoresTest, UsernamesAreOneAccountRegardlessOfCase) {
  User alice = MakeUser("aLice");
  for (const char* variant : {"alice", "ALICE", "Alice", "aLice"}) {
    auto again = users_->Create(NewUser{variant, std::nullopt, "h", false});
    ASSERT_FALSE(again) << variant;
    EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists) << variant;
    auto found = users_->FindByName(variant);
    ASSERT_TRUE(found) << variant;
    EXPECT_EQ(found->id, alice.id) << variant;
    EXPECT_EQ(found->username, "aLice") << "the name keeps the case it was created with";
  }
  auto spaced = users_->Create(NewUser{"alice ", std::nullopt, "h", false});
  EXPECT_TRUE(spaced) << spaced.error().ToString();
  EXPECT_EQ(users_->FindByName("alic").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(users_->List()->size(), 2u);
  EXPECT_TRUE(users_->NameClashes()->empty());
}

TEST_P(StoresTest, ConcurrentCreatesOfCaseVariantsLetExactlyOneWin) {
  constexpr int kThreads = 4;
  const char* names[kThreads] = {"racer", "RACER", "Racer", "rAcEr"};
  std::latch start(kThreads);
  std::atomic<int> created{0}, duplicates{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto user = users_->Create(NewUser{names[i], std::nullopt, "h", false});
      if (user)
        ++created;
      else if (user.error().code == ErrorCode::kAlreadyExists)
        ++duplicates;
      else
        ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(duplicates, kThreads - 1);
  EXPECT_EQ(other, 0);
}

TEST_P(StoresTest, ConcurrentCreatesOfOneNameLetExactlyOneWin) {
  constexpr int kThreads = 4;
  std::latch start(kThreads);
  std::atomic<int> created{0}, duplicates{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto user = users_->Create(NewUser{"racer", std::nullopt, "h", false});
      if (user)
        ++created;
      else if (user.error().code == ErrorCode::kAlreadyExists)
        ++duplicates;
      else
        ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, 1);
  EXPECT_EQ(duplicates, kThreads - 1);
  EXPECT_EQ(other, 0);
}

TEST_P(StoresTest, InvalidUserFieldsAreInvalidArgument) {
  EXPECT_EQ(users_->Create(NewUser{"", std::nullopt, "h", false}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(users_->Create(NewUser{std::string(101, 'a'), std::nullopt, "h", false}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(users_->Create(NewUser{std::string(100, 'a'), std::nullopt, "h", false}));
  EXPECT_EQ(users_->Create(NewUser{"x", std::nullopt, "", false}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(users_->Create(NewUser{"y", std::string(255, 'e'), "h", false}).error().code,
            ErrorCode::kInvalidArgument);
}

TEST_P(StoresTest, MissingUserIsNotFound) {
  EXPECT_EQ(users_->FindByName("nobody").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(users_->FindById(12345).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(users_->Delete(12345).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(users_->SetPasswordHash(12345, "h").error().code, ErrorCode::kNotFound);
}

TEST_P(StoresTest, ListUsersByName) {
  MakeUser("carol");
  MakeUser("alice");
  MakeUser("bob");
  auto list = users_->List();
  ASSERT_TRUE(list) << list.error().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].username, "alice");
  EXPECT_EQ((*list)[1].username, "bob");
  EXPECT_EQ((*list)[2].username, "carol");
}

TEST_P(StoresTest, SetPasswordHash) {
  User alice = MakeUser("alice");
  ASSERT_TRUE(users_->SetPasswordHash(alice.id, "new-hash"));
  EXPECT_EQ(users_->FindById(alice.id)->password_hash, "new-hash");
  // Setting the same hash again still finds the user (MySQL counts changed rows otherwise).
  EXPECT_TRUE(users_->SetPasswordHash(alice.id, "new-hash"));
  EXPECT_EQ(users_->SetPasswordHash(alice.id, "").error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoresTest, CountAdmins) {
  EXPECT_EQ(users_->CountAdmins().value(), 0);
  MakeUser("root", true);
  MakeUser("alice");
  MakeUser("admin2", true);
  EXPECT_EQ(users_->CountAdmins().value(), 2);
}

TEST_P(StoresTest, DeleteUserCascadesAndReturnsObjectKeys) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  std::int64_t a1 = MakeImage(alice.id, {true, false});
  MakeImage(alice.id, {});
  std::int64_t b1 = MakeImage(bob.id, {true});
  ASSERT_TRUE(sessions_->Create("sess-a", alice.id, "csrf", hours(1)));
  ASSERT_TRUE(tokens_->Create("tok-a", alice.id, clock_.Now() + hours(1)));

  auto keys = users_->Delete(alice.id);
  ASSERT_TRUE(keys) << keys.error().ToString();
  EXPECT_EQ(keys->size(), 6u);
  for (const auto& key : *keys) EXPECT_TRUE(key.starts_with("images/" + std::to_string(alice.id) + "/"));

  EXPECT_EQ(users_->FindById(alice.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sessions_->FindValid("sess-a", clock_.Now()).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tokens_->Consume("tok-a", clock_.Now()).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(images_->Get(alice.id, a1).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(images_->Count().value(), 1);
  EXPECT_TRUE(images_->Get(bob.id, b1));
  // The faces went with the images.
  long long faces = -1;
  ASSERT_TRUE(db_->Run("count faces", [&](soci::session& s) -> Status {
    s << "SELECT COUNT(*) FROM faces", soci::into(faces);
    return {};
  }));
  EXPECT_EQ(faces, 1);
}

TEST_P(StoresTest, HostileStringsAreStoredVerbatim) {
  int i = 0;
  for (const std::string& text : HostileStrings()) {
    auto user = users_->Create(NewUser{text, text, text, false});
    ASSERT_TRUE(user) << text << ": " << user.error().ToString();
    auto found = users_->FindByName(text);
    ASSERT_TRUE(found) << text;
    EXPECT_EQ(found->username, text);
    EXPECT_EQ(found->email, text);
    EXPECT_EQ(found->password_hash, text);

    std::string token = "tok" + std::to_string(i++) + text;
    ASSERT_TRUE(sessions_->Create(token, user->id, text, hours(1)));
    auto session = sessions_->FindValid(token, clock_.Now());
    ASSERT_TRUE(session) << text;
    EXPECT_EQ(session->session.csrf_token, text);
    EXPECT_EQ(session->user.username, text);

    std::int64_t image = MakeImage(user->id, {true}, text);
    auto detail = images_->Get(user->id, image);
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->image.source_name, text);
  }
  EXPECT_EQ(users_->List()->size(), HostileStrings().size());
  // No pattern matching crept in: a wildcard finds only itself.
  EXPECT_EQ(users_->FindByName("%").error().code, ErrorCode::kNotFound);
}

// ---- try later: a database that takes no writes ----------------------------------------

// A full disk and a read-only database made logins, registrations and uploads answer 500;
// they are conditions to retry later (503), and the readiness check reports them.
TEST_P(StoresTest, ReadOnlyOrFullDatabaseIsUnavailable) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "SQLite's own limits stand in for a full disk here";
  auto one = Open(scratch_->url(), /*pool_size=*/1);  // the pragmas are per connection
  ASSERT_TRUE(one) << one.error().ToString();
  UserStore users(**one, clock_);
  ASSERT_TRUE((*one)->CheckWritable());
  ASSERT_TRUE((*one)->Run("read only", [](soci::session& s) -> Status {
    s << "PRAGMA query_only = 1";
    return {};
  }));
  Status writable = (*one)->CheckWritable();
  ASSERT_FALSE(writable);
  EXPECT_EQ(writable.error().code, ErrorCode::kUnavailable) << writable.error().ToString();
  auto refused = users.Create(NewUser{"reader", std::nullopt, "h", false});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().ToString();
  ASSERT_TRUE((*one)->Run("writable again", [](soci::session& s) -> Status {
    s << "PRAGMA query_only = 0";
    return {};
  }));
  EXPECT_TRUE((*one)->CheckWritable());

  // No page left to grow into: SQLite's "database or disk is full".
  ASSERT_TRUE((*one)->Run("full", [](soci::session& s) -> Status {
    long long pages = 0;
    s << "PRAGMA page_count", soci::into(pages);
    s << "PRAGMA max_page_count = " + std::to_string(pages);
    return {};
  }));
  std::optional<Error> full;
  for (int i = 0; i < 10000 && !full; ++i) {
    auto user = users.Create(NewUser{"filler" + std::to_string(i) + std::string(90, 'x'), std::nullopt,
                                     std::string(200, 'h'), false});
    if (!user) full = user.error();
  }
  ASSERT_TRUE(full.has_value()) << "the database never filled up";
  EXPECT_EQ(full->code, ErrorCode::kUnavailable) << full->ToString();
}

// ---- sign-in throttles ------------------------------------------------------------------

TEST_P(StoresTest, ThrottleCountsHitsAndForgetsQuietCounters) {
  accounts::ThrottleStore throttles(*db_);
  const accounts::ThrottleKey key{"login_account", std::string(32, 'a')};
  const Clock::TimePoint t0 = clock_.Now();
  EXPECT_EQ(throttles.Read({key})->at(0).hits, 0);
  for (int i = 1; i <= 3; ++i) {
    auto counter = throttles.Hit(key, t0 + seconds(i), t0);
    ASSERT_TRUE(counter) << counter.error().ToString();
    EXPECT_EQ(counter->hits, i);
    EXPECT_EQ(counter->last_hit, t0 + seconds(i));
  }
  ASSERT_TRUE(throttles.SetUntil(key, t0 + minutes(5), t0));
  auto read = throttles.Read({key, {"login_address", std::string(32, 'a')}});
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ((*read)[0].hits, 3);
  EXPECT_EQ((*read)[0].until, t0 + minutes(5));
  EXPECT_EQ((*read)[1].hits, 0) << "scopes are apart";
  // Last hit at t0 + 3 s; a hit that forgets what came before t0 + 3 s keeps counting,
  // one that forgets what came before t0 + 3 s + 1 ms starts again.
  EXPECT_EQ(throttles.Hit(key, t0 + seconds(4), t0 + seconds(3))->hits, 4);
  EXPECT_EQ(throttles.Hit(key, t0 + seconds(5), t0 + seconds(4) + std::chrono::milliseconds(1))->hits, 1);
  EXPECT_EQ(throttles.Read({key})->at(0).until, t0 + minutes(5)) << "the wait is the caller's to set";
  // SetUntil creates a counter with no hits.
  const accounts::ThrottleKey known{"login_known", std::string(32, 'b')};
  ASSERT_TRUE(throttles.SetUntil(known, t0 + hours(1), t0));
  ASSERT_TRUE(throttles.SetUntil(known, t0 + hours(1), t0)) << "setting the same time again";
  EXPECT_EQ(throttles.Read({known})->at(0).hits, 0);
  EXPECT_EQ(throttles.Read({known})->at(0).until, t0 + hours(1));
  // Stale: last hit and until both before the bound.
  EXPECT_EQ(throttles.DeleteStale(t0 + minutes(5)).value(), 0);
  EXPECT_EQ(throttles.DeleteStale(t0 + minutes(5) + std::chrono::milliseconds(1)).value(), 1);
  EXPECT_EQ(throttles.Read({key})->at(0).hits, 0);
  EXPECT_EQ(throttles.DeleteStale(t0 + hours(2)).value(), 1);
  ASSERT_TRUE(throttles.Hit(key, t0, t0));
  ASSERT_TRUE(throttles.Forget(key));
  EXPECT_EQ(throttles.Read({key})->at(0).hits, 0);
  EXPECT_EQ(throttles.Hit({"", "k"}, t0, t0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(throttles.Hit({"s", std::string(65, 'k')}, t0, t0).error().code, ErrorCode::kInvalidArgument);
}

// Every worker counts into the same row: hits from many threads at once all count.
TEST_P(StoresTest, ConcurrentThrottleHitsAllCount) {
  auto other = Open(scratch_->url());
  ASSERT_TRUE(other) << other.error().ToString();
  accounts::ThrottleStore first(*db_), second(**other);
  const accounts::ThrottleKey key{"login_address", std::string(32, 'c')};
  constexpr int kThreads = 4, kHits = 10;
  std::latch start(kThreads);
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      accounts::ThrottleStore& store = i % 2 ? first : second;
      start.arrive_and_wait();
      for (int k = 0; k < kHits; ++k) {
        if (!store.Hit(key, clock_.Now(), clock_.Now() - minutes(15))) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(first.Read({key})->at(0).hits, kThreads * kHits - failed);
}

// ---- sessions ---------------------------------------------------------------------------

TEST_P(StoresTest, SessionLifecycle) {
  User alice = MakeUser("alice");
  auto created = sessions_->Create("hash1", alice.id, "csrf1", hours(2));
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_EQ(created->expires_at, clock_.Now() + hours(2));

  auto found = sessions_->FindValid("hash1", clock_.Now());
  ASSERT_TRUE(found) << found.error().ToString();
  EXPECT_EQ(found->session.user_id, alice.id);
  EXPECT_EQ(found->session.csrf_token, "csrf1");
  EXPECT_EQ(found->user.username, "alice");
  EXPECT_EQ(found->session.created_at, clock_.Now());
  EXPECT_EQ(found->session.last_seen, clock_.Now());

  clock_.Advance(minutes(30));
  ASSERT_TRUE(sessions_->Touch("hash1", clock_.Now(), clock_.Now() + hours(2)));
  found = sessions_->FindValid("hash1", clock_.Now());
  ASSERT_TRUE(found);
  EXPECT_EQ(found->session.last_seen, clock_.Now());
  EXPECT_EQ(found->session.expires_at, clock_.Now() + hours(2));

  // Touch without a new expiry keeps it.
  clock_.Advance(minutes(1));
  ASSERT_TRUE(sessions_->Touch("hash1", clock_.Now()));
  EXPECT_EQ(sessions_->FindValid("hash1", clock_.Now())->session.expires_at,
            clock_.Now() - minutes(1) + hours(2));

  ASSERT_TRUE(sessions_->Delete("hash1"));
  EXPECT_EQ(sessions_->FindValid("hash1", clock_.Now()).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sessions_->Delete("hash1"));  // idempotent
  EXPECT_EQ(sessions_->Touch("hash1", clock_.Now()).error().code, ErrorCode::kNotFound);
}

TEST_P(StoresTest, ExpiredSessionIsNotFound) {
  User alice = MakeUser("alice");
  ASSERT_TRUE(sessions_->Create("hash1", alice.id, "csrf", hours(1)));
  EXPECT_TRUE(sessions_->FindValid("hash1", clock_.Now() + hours(1) - seconds(1)));
  EXPECT_EQ(sessions_->FindValid("hash1", clock_.Now() + hours(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sessions_->FindValid("unknown", clock_.Now()).error().code, ErrorCode::kNotFound);
}

TEST_P(StoresTest, SessionForMissingUserIsNotFound) {
  EXPECT_EQ(sessions_->Create("h", 999, "c", hours(1)).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(sessions_->Create("", 1, "c", hours(1)).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(sessions_->Create("h", 1, "c", seconds(0)).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoresTest, DeleteSessionsOfUserAndExpired) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  ASSERT_TRUE(sessions_->Create("a1", alice.id, "c", hours(1)));
  ASSERT_TRUE(sessions_->Create("a2", alice.id, "c", hours(3)));
  ASSERT_TRUE(sessions_->Create("b1", bob.id, "c", hours(1)));
  ASSERT_TRUE(sessions_->Create("b2", bob.id, "c", hours(3)));

  EXPECT_EQ(sessions_->DeleteExpired(clock_.Now() + hours(2)).value(), 2);
  EXPECT_EQ(sessions_->DeleteAllOfUser(alice.id).value(), 1);
  EXPECT_EQ(sessions_->FindValid("a2", clock_.Now()).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(sessions_->FindValid("b2", clock_.Now()));
}

// ---- reset tokens --------------------------------------------------------------------------

TEST_P(StoresTest, ResetTokenIsSingleUse) {
  User alice = MakeUser("alice");
  ASSERT_TRUE(tokens_->Create("tok", alice.id, clock_.Now() + hours(1)));
  auto first = tokens_->Consume("tok", clock_.Now());
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(*first, alice.id);
  auto second = tokens_->Consume("tok", clock_.Now());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kNotFound);
  EXPECT_NE(second.error().message.find("already used"), std::string::npos);
}

TEST_P(StoresTest, ExpiredOrUnknownResetTokenIsNotFound) {
  User alice = MakeUser("alice");
  ASSERT_TRUE(tokens_->Create("tok", alice.id, clock_.Now() + minutes(30)));
  clock_.Advance(minutes(30));
  auto expired = tokens_->Consume("tok", clock_.Now());
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kNotFound);
  EXPECT_NE(expired.error().message.find("expired"), std::string::npos);
  EXPECT_EQ(tokens_->Consume("nope", clock_.Now()).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(tokens_->DeleteExpired(clock_.Now()).value(), 1);
  EXPECT_EQ(tokens_->Create("t2", 999, clock_.Now() + hours(1)).error().code, ErrorCode::kNotFound);
}

TEST_P(StoresTest, ConcurrentConsumesLetExactlyOneWin) {
  User alice = MakeUser("alice");
  ASSERT_TRUE(tokens_->Create("tok", alice.id, clock_.Now() + hours(1)));
  constexpr int kThreads = 4;
  std::latch start(kThreads);
  std::atomic<int> won{0}, lost{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      auto r = tokens_->Consume("tok", clock_.Now());
      if (r)
        ++won;
      else if (r.error().code == ErrorCode::kNotFound)
        ++lost;
      else
        ++other;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(lost, kThreads - 1);
  EXPECT_EQ(other, 0);
}

// ---- images ---------------------------------------------------------------------------------

TEST_P(StoresTest, InsertAndGetImageWithFaces) {
  User alice = MakeUser("alice");
  NewImage image;
  image.owner_id = alice.id;
  image.source = ImageSource::kUrl;
  image.source_name = "https://example.org/a.png?x=1";
  image.format = "png";
  image.width = 1024;
  image.height = 768;
  image.original_key = "o";
  image.annotated_key = "a";
  image.thumbnail_key = "t";
  image.faces = {Face{1, 2, 3, 4, true, 0.875}, Face{5, 6, 7, 8, false, 0.5}};
  auto stored = images_->Insert(image);
  ASSERT_TRUE(stored) << stored.error().ToString();
  const std::int64_t id = stored->image.id;

  auto detail = images_->Get(alice.id, id);
  ASSERT_TRUE(detail) << detail.error().ToString();
  EXPECT_EQ(detail->image.id, id);
  EXPECT_EQ(detail->image.owner_id, alice.id);
  EXPECT_EQ(detail->image.created_at, clock_.Now());
  EXPECT_EQ(detail->image.source, ImageSource::kUrl);
  EXPECT_EQ(detail->image.source_name, image.source_name);
  EXPECT_EQ(detail->image.format, "png");
  EXPECT_EQ(detail->image.width, 1024);
  EXPECT_EQ(detail->image.height, 768);
  EXPECT_EQ(detail->image.original_key, "o");
  EXPECT_EQ(detail->image.annotated_key, "a");
  EXPECT_EQ(detail->image.thumbnail_key, "t");
  EXPECT_EQ(detail->faces, image.faces);
  // Insert answers what Get reads back.
  EXPECT_EQ(stored->image.created_at, detail->image.created_at);
  EXPECT_EQ(stored->image.source_name, detail->image.source_name);
  EXPECT_EQ(stored->image.owner_id, detail->image.owner_id);
  EXPECT_EQ(stored->image.thumbnail_key, detail->image.thumbnail_key);
  EXPECT_EQ(stored->faces, detail->faces);
}

TEST_P(StoresTest, AnotherOwnersImageIsNotFound) {
  User alice = MakeUser("alice");
  User mallory = MakeUser("mallory");
  std::int64_t id = MakeImage(alice.id, {true});
  auto stolen = images_->Get(mallory.id, id);
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(images_->Get(alice.id, id + 1000).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(images_->Delete(mallory.id, id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(images_->Get(alice.id, id));
  auto list = images_->List(mallory.id, ImageCategory::kAllMasked, 1, 10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 0);
}

TEST_P(StoresTest, ImageForMissingOwnerOrBadFieldsIsRefused) {
  EXPECT_EQ(images_->Insert(NewImage{999, ImageSource::kUpload, "a.jpg", "jpeg", 1, 1, "o", "a", "t", {}})
                .error()
                .code,
            ErrorCode::kNotFound);
  User alice = MakeUser("alice");
  NewImage image{alice.id, ImageSource::kUpload, "a.jpg", "jpeg", 1, 1, "o", "a", "t", {}};
  image.source_name = std::string(kMaxSourceNameLength + 1, 'u');
  EXPECT_EQ(images_->Insert(image).error().code, ErrorCode::kInvalidArgument);
  image.source_name = std::string(kMaxSourceNameLength, 'u');
  EXPECT_TRUE(images_->Insert(image));
  image.original_key = "";
  EXPECT_EQ(images_->Insert(image).error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoresTest, FourCategoriesFromFaceRows) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  std::int64_t none = MakeImage(alice.id, {});
  std::int64_t all2 = MakeImage(alice.id, {true, true});
  std::int64_t all1 = MakeImage(alice.id, {true});
  std::int64_t unmasked3 = MakeImage(alice.id, {false, false, false});
  std::int64_t some = MakeImage(alice.id, {true, false});
  std::int64_t some3 = MakeImage(alice.id, {false, true, false});
  MakeImage(bob.id, {true});  // someone else's, in no list of alice's

  auto list = [&](std::optional<ImageCategory> c) {
    auto page = images_->List(alice.id, c, 1, 50);
    EXPECT_TRUE(page) << page.error().ToString();
    return page.value_or(ImagePage{});
  };
  ImagePage no_faces = list(ImageCategory::kNoFaces);
  ImagePage all_masked = list(ImageCategory::kAllMasked);
  ImagePage none_masked = list(ImageCategory::kNoneMasked);
  ImagePage some_masked = list(ImageCategory::kSomeMasked);

  // Without a category: all of alice's, newest first, none of bob's.
  ImagePage everything = list(std::nullopt);
  EXPECT_EQ(Ids(everything), (std::vector<std::int64_t>{some3, some, unmasked3, all1, all2, none}));
  EXPECT_EQ(everything.total, 6);

  EXPECT_EQ(Ids(no_faces), (std::vector<std::int64_t>{none}));
  EXPECT_EQ(Ids(all_masked), (std::vector<std::int64_t>{all1, all2}));  // newest first
  EXPECT_EQ(Ids(none_masked), (std::vector<std::int64_t>{unmasked3}));
  EXPECT_EQ(Ids(some_masked), (std::vector<std::int64_t>{some3, some}));
  EXPECT_EQ(no_faces.total, 1);
  EXPECT_EQ(all_masked.total, 2);
  EXPECT_EQ(none_masked.total, 1);
  EXPECT_EQ(some_masked.total, 2);

  EXPECT_EQ(no_faces.items[0].face_count, 0);
  EXPECT_EQ(no_faces.items[0].masked_count, 0);
  EXPECT_EQ(all_masked.items[1].face_count, 2);
  EXPECT_EQ(all_masked.items[1].masked_count, 2);
  EXPECT_EQ(none_masked.items[0].face_count, 3);
  EXPECT_EQ(none_masked.items[0].masked_count, 0);
  EXPECT_EQ(some_masked.items[0].face_count, 3);
  EXPECT_EQ(some_masked.items[0].masked_count, 1);
  EXPECT_EQ(some_masked.items[0].image.original_key.empty(), false);
}

TEST_P(StoresTest, PagingNewestFirstWithTotal) {
  User alice = MakeUser("alice");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 25; ++i) {
    ids.push_back(MakeImage(alice.id, {}));
    if (i % 2 == 0) clock_.Advance(seconds(1));  // some share a second: id breaks the tie
  }
  std::reverse(ids.begin(), ids.end());

  std::vector<std::int64_t> seen;
  for (int page = 1; page <= 3; ++page) {
    auto p = images_->List(alice.id, ImageCategory::kNoFaces, page, 10);
    ASSERT_TRUE(p) << p.error().ToString();
    EXPECT_EQ(p->total, 25);
    EXPECT_EQ(p->items.size(), page < 3 ? 10u : 5u);
    for (auto id : Ids(*p)) seen.push_back(id);
  }
  EXPECT_EQ(seen, ids);
  auto past_end = images_->List(alice.id, ImageCategory::kNoFaces, 4, 10);
  ASSERT_TRUE(past_end);
  EXPECT_TRUE(past_end->items.empty());
  EXPECT_EQ(past_end->total, 25);

  EXPECT_EQ(images_->List(alice.id, ImageCategory::kNoFaces, 0, 10).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(images_->List(alice.id, ImageCategory::kNoFaces, 1, 0).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(images_->List(alice.id, ImageCategory::kNoFaces, 1, kMaxPageSize + 1).error().code,
            ErrorCode::kInvalidArgument);
}

// A failure in the faces insert (here: the table is gone) must roll the image row back.
TEST_P(StoresTest, FailedFacesInsertLeavesNoHalfImage) {
  User alice = MakeUser("alice");
  auto rename = [&](const std::string& from, const std::string& to) {
    return db_->Run("rename faces", [&](soci::session& s) -> Status {
      s << "ALTER TABLE " + from + " RENAME TO " + to;
      return {};
    });
  };
  ASSERT_TRUE(rename("faces", "faces_away"));
  NewImage image{alice.id, ImageSource::kUpload,         "a.jpg", "jpeg", 1, 1, "o", "a",
                 "t",      {Face{1, 1, 1, 1, true, 0.9}}};
  auto id = images_->Insert(image);
  ASSERT_TRUE(rename("faces_away", "faces"));
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kInternal);
  EXPECT_EQ(images_->Count().value(), 0);
  // And the store still works afterwards.
  EXPECT_TRUE(images_->Insert(image));
  EXPECT_EQ(images_->Count().value(), 1);
}

TEST_P(StoresTest, DeleteImageAndDeleteAll) {
  User alice = MakeUser("alice");
  User bob = MakeUser("bob");
  std::int64_t a1 = MakeImage(alice.id, {true});
  MakeImage(alice.id, {false});
  MakeImage(bob.id, {});
  EXPECT_EQ(images_->Count().value(), 3);

  auto keys = images_->Delete(alice.id, a1);
  ASSERT_TRUE(keys) << keys.error().ToString();
  EXPECT_EQ(keys->size(), 3u);
  EXPECT_EQ(images_->Get(alice.id, a1).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(images_->Count().value(), 2);

  auto all = images_->DeleteAll();
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(all->size(), 6u);
  EXPECT_EQ(images_->Count().value(), 0);
  EXPECT_TRUE(users_->FindById(alice.id));  // users stay
  auto again = images_->DeleteAll();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

// ---- the database itself ----------------------------------------------------------------

TEST_P(StoresTest, ExhaustedPoolIsUnavailable) {
  DatabaseOptions options;
  options.url = scratch_->url();
  options.migrations = schema::Maskfleet();
  options.pool_size = 1;
  options.acquire_timeout = std::chrono::milliseconds(50);
  auto db = Database::Open(options, clock_);
  ASSERT_TRUE(db) << db.error().ToString();
  Status inner;
  auto outer = (*db)->Run("outer", [&](soci::session&) -> Status {
    inner = (*db)->Run("inner", [](soci::session&) -> Status { return {}; });
    return {};
  });
  EXPECT_TRUE(outer);
  ASSERT_FALSE(inner);
  EXPECT_EQ(inner.error().code, ErrorCode::kUnavailable);
}

TEST_P(StoresTest, ErrorsNeitherThrowNorLeakBoundValues) {
  auto st = db_->Run("bad statement", [](soci::session& s) -> Status {
    std::string secret = "hunter2-secret";
    s << "SELECT no_such_column FROM users WHERE username = :u", soci::use(secret);
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInternal);
  EXPECT_TRUE(st.error().message.starts_with("bad statement: ")) << st.error().message;
  EXPECT_EQ(st.error().message.find("hunter2"), std::string::npos) << st.error().message;
}

TEST_P(StoresTest, TransactionRollsBackOnReturnedError) {
  User alice = MakeUser("alice");
  auto st = db_->RunInTransaction("half", [&](soci::session& s) -> Status {
    long long id = alice.id;
    s << "UPDATE users SET password_hash = 'changed' WHERE id = :id", soci::use(id);
    return MakeError(ErrorCode::kFailedPrecondition, "changed my mind");
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(users_->FindById(alice.id)->password_hash, "hash-of-alice");
}

TEST_P(StoresTest, WrongPasswordIsUnavailableAndNotLeaked) {
  if (GetParam() == "sqlite") GTEST_SKIP() << "SQLite has no password";
  // postgresql://user:PASSWORD@host... with the password replaced.
  std::string url = scratch_->url();
  auto colon = url.find(':', url.find("://") + 3);
  auto at = url.find('@');
  ASSERT_NE(colon, std::string::npos);
  ASSERT_NE(at, std::string::npos);
  url = url.substr(0, colon + 1) + "wrong-secret-pw" + url.substr(at);
  auto db = Open(url);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(db.error().message.find("wrong-secret-pw"), std::string::npos) << db.error().message;
  EXPECT_NE(db.error().message.find("***"), std::string::npos) << db.error().message;
}

// A connection the server drops (restart, failover, idle timeout) fails the call with
// kUnavailable, and the pool's connection reconnects for the next call.
TEST_P(StoresTest, LostConnectionIsUnavailableThenRecovers) {
  if (GetParam() == "sqlite") GTEST_SKIP() << "SQLite has no server connection";
  auto db = Open(scratch_->url(), /*pool_size=*/1);
  ASSERT_TRUE(db) << db.error().ToString();
  long long id = 0;
  const bool postgres = GetParam() == "postgresql";
  ASSERT_TRUE((*db)->Run("own id", [&](soci::session& s) -> Status {
    s << (postgres ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()"), soci::into(id);
    return {};
  }));
  // Another connection kills this one.
  ASSERT_TRUE(db_->Run("kill", [&](soci::session& s) -> Status {
    if (postgres) {
      s << "SELECT pg_terminate_backend(:p)", soci::use(id);
    } else {
      s << "KILL " + std::to_string(id);
    }
    return {};
  }));
  UserStore users(**db, clock_);
  auto failed = users.CountAdmins();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable) << failed.error().ToString();
  auto recovered = users.CountAdmins();
  EXPECT_TRUE(recovered) << recovered.error().ToString();
}

INSTANTIATE_TEST_SUITE_P(storage, StoresTest, ::testing::ValuesIn(testing::TestBackendNames()),
                         [](const auto& param_info) { return param_info.param; });

// SQLite only: a write blocked by another process's lock for longer than the busy
// timeout is kUnavailable (retry later), not kInternal.
TEST(storage_SqliteStoresTest, LockedDatabaseIsUnavailable) {
  auto scratch = testing::ScratchDatabase::Create("sqlite", "");
  ASSERT_TRUE(scratch);
  SimulatedClock clock;
  DatabaseOptions options;
  options.url = (*scratch)->url();
  options.migrations = schema::Maskfleet();
  options.pool_size = 1;
  options.busy_timeout = std::chrono::milliseconds(100);
  auto holder = Database::Open(options, clock);
  auto waiter = Database::Open(options, clock);
  ASSERT_TRUE(holder && waiter);
  UserStore waiting_users(**waiter, clock);
  Result<User> blocked = MakeError(ErrorCode::kInternal, "not run");
  auto st = (*holder)->RunInTransaction("hold the write lock", [&](soci::session&) -> Status {
    blocked = waiting_users.Create(NewUser{"alice", std::nullopt, "h", false});
    return {};
  });
  ASSERT_TRUE(st) << st.error().ToString();
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable) << blocked.error().ToString();
}

TEST(storage_SqliteStoresTest, UnopenableFileIsAnErrorNotAnException) {
  SimulatedClock clock;
  DatabaseOptions options;
  options.url = "sqlite:/nonexistent-maskfleet-folder/sub/x.db";
  options.migrations = schema::Maskfleet();
  auto db = Database::Open(options, clock);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInternal);
  EXPECT_NE(db.error().message.find("open database"), std::string::npos) << db.error().message;
}

TEST(storage_SqliteStoresTest, ZeroPoolSizeIsInvalid) {
  SimulatedClock clock;
  DatabaseOptions options;
  options.url = "sqlite:unused.db";
  options.migrations = schema::Maskfleet();
  options.pool_size = 0;
  EXPECT_EQ(Database::Open(options, clock).error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace maskfleet::storage
