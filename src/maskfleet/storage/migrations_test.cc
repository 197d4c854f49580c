#include "maskfleet/storage/migrations.h"

#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <latch>
#include <thread>
#include <vector>

#include "maskfleet/accounts/user_store.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/soci_headers.h"
#include "maskfleet/storage/testing/test_database.h"

namespace maskfleet::storage {
namespace {

// maskfleet's whole schema, as every process opens it.
const std::vector<Migration>& AllMigrations() {
  static const MigrationRegistry registry = schema::Maskfleet();
  return registry.migrations();
}

std::vector<std::string> Tables(Backend) { return {"CREATE TABLE t (x INTEGER)"}; }

struct AppliedRow {
  int version;
  std::string name;
  long long applied_at;
};

std::vector<AppliedRow> Applied(Database& db) {
  std::vector<AppliedRow> rows;
  auto st = db.Run("read schema_migrations", [&](soci::session& s) -> Status {
    AppliedRow row{};
    soci::statement q = (s.prepare << "SELECT version, name, applied_at FROM schema_migrations "
                                      "ORDER BY version",
                         soci::into(row.version), soci::into(row.name), soci::into(row.applied_at));
    q.execute();
    while (q.fetch()) rows.push_back(row);
    return {};
  });
  EXPECT_TRUE(st) << st.error().ToString();
  return rows;
}

class MigrationsTest : public ::testing::TestWithParam<std::string> {
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
  }

  Result<std::unique_ptr<Database>> Open() {
    DatabaseOptions options;
    options.url = scratch_->url();
    options.migrations = schema::Maskfleet();
    options.pool_size = 2;
    return Database::Open(options, clock_);
  }

  SimulatedClock clock_;
  std::unique_ptr<testing::ScratchDatabase> scratch_;
};

TEST_P(MigrationsTest, FreshDatabaseGetsEveryMigration) {
  auto db = Open();
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ((*db)->schema_version(), AllMigrations().back().version);
  auto rows = Applied(**db);
  ASSERT_EQ(rows.size(), AllMigrations().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].version, AllMigrations()[i].version);
    EXPECT_EQ(rows[i].name, AllMigrations()[i].name);
    EXPECT_EQ(rows[i].applied_at, 1'700'000'000);
  }
}

TEST_P(MigrationsTest, ReopeningChangesNothing) {
  {
    auto db = Open();
    ASSERT_TRUE(db) << db.error().ToString();
  }
  clock_.Advance(std::chrono::hours(1));
  auto db = Open();
  ASSERT_TRUE(db) << db.error().ToString();
  auto rows = Applied(**db);
  ASSERT_EQ(rows.size(), AllMigrations().size());
  EXPECT_EQ(rows[0].applied_at, 1'700'000'000);  // not re-applied an hour later
}

TEST_P(MigrationsTest, ManyThreadsOpeningAtOnce) {
  constexpr int kOpeners = 6;
  std::latch start(kOpeners);
  std::vector<Status> results(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto db = Open();
      results[i] = db ? Status{} : Status(std::unexpected(db.error()));
    });
  }
  for (auto& t : threads) t.join();
  for (const Status& st : results) EXPECT_TRUE(st) << st.error().ToString();
  auto db = Open();
  ASSERT_TRUE(db);
  EXPECT_EQ(Applied(**db).size(), AllMigrations().size());
}

TEST_P(MigrationsTest, ManyProcessesOpeningAtOnce) {
  constexpr int kOpeners = 4;
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kOpeners; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(gate[1]);
      char c;
      (void)::read(gate[0], &c, 1);  // returns when the parent closes its end
      auto db = Open();
      if (!db) std::fprintf(stderr, "child %d: %s\n", i, db.error().ToString().c_str());
      ::_exit(db ? 0 : 1);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // all children start now
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child failed to open";
  }
  auto db = Open();
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ(Applied(**db).size(), AllMigrations().size());
}

TEST_P(MigrationsTest, RefusesANewerSchema) {
  {
    auto db = Open();
    ASSERT_TRUE(db);
    auto st = (*db)->Run("fake a newer version", [](soci::session& s) -> Status {
      s << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)";
      return {};
    });
    ASSERT_TRUE(st) << st.error().ToString();
  }
  auto db = Open();
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInternal);
  EXPECT_NE(db.error().message.find("999"), std::string::npos);
}

TEST_P(MigrationsTest, VersionsAreConsecutive) {
  int expected = 1;
  for (const Migration& m : AllMigrations()) EXPECT_EQ(m.version, expected++);
}

// The versions and names that databases made by earlier releases recorded: the
// components' parts must add up to exactly these, or an existing database would be
// migrated again or refused.
TEST_P(MigrationsTest, ComponentsAddUpToTheReleasedMigrations) {
  ASSERT_EQ(AllMigrations().size(), 5u);
  EXPECT_EQ(AllMigrations()[0].name, "users, sessions, password reset tokens, images, faces");
  EXPECT_EQ(AllMigrations()[1].name, "metric samples, pool size samples");
  EXPECT_EQ(AllMigrations()[2].name, "scaling policy, scaling decisions, manager settings");
  EXPECT_EQ(AllMigrations()[3].name, "user names unique regardless of case, sign-in throttles");
  EXPECT_EQ(AllMigrations()[4].name, "balancer request samples");
  // Version 1's statements: the accounts' tables, then the images (which reference users).
  const std::vector<std::string> v1 = AllMigrations()[0].Statements(Backend::kSqlite);
  ASSERT_EQ(v1.size(), 10u);
  EXPECT_EQ(v1[0].rfind("CREATE TABLE users (", 0), 0u);
  EXPECT_EQ(v1[7].rfind("CREATE TABLE images (", 0), 0u);
  EXPECT_EQ(v1[9].rfind("CREATE TABLE faces (", 0), 0u);
}

TEST_P(MigrationsTest, ADatabaseAtAnEarlierVersionIsMigratedOnward) {
  {
    // What a release that knew version 1 only left behind.
    MigrationRegistry first;
    first.Register(1, AllMigrations()[0].name,
                   [](Backend backend) { return AllMigrations()[0].Statements(backend); });
    DatabaseOptions options;
    options.url = scratch_->url();
    options.migrations = first;
    auto db = Database::Open(options, clock_);
    ASSERT_TRUE(db) << db.error().ToString();
    EXPECT_EQ((*db)->schema_version(), 1);
  }
  auto db = Open();
  ASSERT_TRUE(db) << db.error().ToString();
  EXPECT_EQ((*db)->schema_version(), AllMigrations().back().version);
  EXPECT_EQ(Applied(**db).size(), AllMigrations().size());
}

// Before version 4, "alice" and "ALICE" could both exist. The migration keeps both: the
// older gets the name's key, the newer logs in by its exact name only and is reported.
TEST_P(MigrationsTest, UserNamesThatClashByCaseAreKeptAndReported) {
  {
    MigrationRegistry before;
    for (const Migration& m : AllMigrations()) {
      if (m.version >= 4) break;
      for (const MigrationStatements part : m.parts) before.Register(m.version, m.name, part);
    }
    DatabaseOptions options;
    options.url = scratch_->url();
    options.migrations = before;
    auto db = Database::Open(options, clock_);
    ASSERT_TRUE(db) << db.error().ToString();
    ASSERT_EQ((*db)->schema_version(), 3);
    ASSERT_TRUE((*db)->Run("old users", [](soci::session& s) -> Status {
      for (const char* name : {"alice", "bob", "ALICE", "Alice", "carol"}) {
        s << "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (:u, 'h', 0, 0)",
            soci::use(std::string(name));
      }
      return {};
    }));
  }
  auto db = Open();
  ASSERT_TRUE(db) << db.error().ToString();
  accounts::UserStore users(**db, clock_);
  auto clashes = users.NameClashes();
  ASSERT_TRUE(clashes) << clashes.error().ToString();
  ASSERT_EQ(clashes->size(), 2u);
  const std::int64_t alice = users.FindByName("alice")->id;
  EXPECT_EQ((*clashes)[0].username, "ALICE");
  EXPECT_EQ((*clashes)[1].username, "Alice");
  for (const accounts::NameClash& clash : *clashes) {
    EXPECT_EQ(clash.older_id, alice);
    EXPECT_EQ(clash.older_username, "alice");
    EXPECT_EQ(users.FindByName(clash.username)->id, clash.id) << "logs in by its exact name";
  }
  EXPECT_EQ(users.FindByName("aLiCe")->id, alice);
  EXPECT_EQ(users.FindByName("BOB")->username, "bob");
  EXPECT_EQ(users.Create({"Carol", std::nullopt, "h", false}).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(users.Create({"aLICE", std::nullopt, "h", false}).error().code, ErrorCode::kAlreadyExists);
  EXPECT_TRUE(users.Create({"dave", std::nullopt, "h", false}));
}

TEST(storage_MigrationRegistryTest, PartsOfOneVersionJoinInOrder) {
  MigrationRegistry registry;
  registry.Register(2, "b", &Tables);
  registry.Register(1, "a1", &Tables);
  registry.Register(1, "a2", &Tables);
  ASSERT_TRUE(registry.Check());
  ASSERT_EQ(registry.migrations().size(), 2u);
  EXPECT_EQ(registry.migrations()[0].version, 1);
  EXPECT_EQ(registry.migrations()[0].name, "a1, a2");
  EXPECT_EQ(registry.migrations()[0].Statements(Backend::kSqlite).size(), 2u);
  EXPECT_EQ(registry.migrations()[1].name, "b");
}

TEST(storage_MigrationRegistryTest, AGapIsRefusedBeforeAnythingIsOpened) {
  MigrationRegistry registry;
  registry.Register(1, "a", &Tables);
  registry.Register(3, "c", &Tables);
  Status complete = registry.Check();
  ASSERT_FALSE(complete);
  EXPECT_EQ(complete.error().code, ErrorCode::kInternal);
  MigrationRegistry late;
  late.Register(2, "b", &Tables);
  EXPECT_FALSE(late.Check());
  EXPECT_TRUE(MigrationRegistry().Check());
  SimulatedClock clock;
  DatabaseOptions options;
  options.url = "sqlite:/nonexistent-maskfleet-folder/never.db";
  options.migrations = registry;
  auto db = Database::Open(options, clock);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInternal);
}

INSTANTIATE_TEST_SUITE_P(storage, MigrationsTest, ::testing::ValuesIn(testing::TestBackendNames()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace maskfleet::storage
