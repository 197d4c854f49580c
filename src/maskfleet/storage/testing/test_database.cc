#include "maskfleet/storage/testing/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <utility>

#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/soci_headers.h"

namespace maskfleet::storage::testing {
namespace {

std::string RandomSuffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  std::uniform_int_distribution<unsigned> dist(0, 0xffffff);
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(dist(rd));
}

// `url` with its database name replaced by `name`.
std::string WithDatabase(const std::string& url, const std::string& name) {
  auto authority = url.find("://");
  auto slash = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  auto query = url.find('?', slash);
  std::string out = url.substr(0, slash + 1) + name;
  if (query != std::string::npos) out += url.substr(query);
  return out;
}

// Runs one statement on a fresh connection to `url`.
Status Execute(const std::string& url, const std::string& sql) {
  auto parsed = ParseDatabaseUrl(url);
  if (!parsed) return std::unexpected(parsed.error());
  try {
    soci::session s(parsed->backend == Backend::kPostgresql ? *factory_postgresql() : *factory_mysql(),
                    parsed->connect_string);
    s << sql;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kUnavailable, std::string("test database: ") + e.what());
  }
  return {};
}

}  // namespace

std::vector<std::string> TestBackendNames() { return {"sqlite", "postgresql", "mysql"}; }

std::string ServerUrlFromEnvironment(const std::string& backend_name) {
  const char* value = nullptr;
  if (backend_name == "postgresql") value = std::getenv("MASKFLEET_TEST_POSTGRES_URL");
  if (backend_name == "mysql") value = std::getenv("MASKFLEET_TEST_MYSQL_URL");
  return value ? value : "";
}

Result<std::unique_ptr<ScratchDatabase>> ScratchDatabase::Create(const std::string& backend_name,
                                                                 const std::string& server_url) {
  std::unique_ptr<ScratchDatabase> db(new ScratchDatabase());
  if (backend_name == "sqlite") {
    std::string pattern = (std::filesystem::temp_directory_path() / "maskfleet-storage-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return MakeError(ErrorCode::kInternal, "mkdtemp failed");
    }
    db->folder_ = pattern;
    db->url_ = "sqlite:" + pattern + "/test.db";
    return db;
  }
  auto parsed = ParseDatabaseUrl(server_url);
  if (!parsed) return std::unexpected(parsed.error());
  db->backend_ = parsed->backend;
  db->name_ = "maskfleet_t_" + RandomSuffix();
  db->admin_url_ = server_url;
  // Identifiers cannot be bound; the name is ours, made of [a-z0-9_].
  std::string create = "CREATE DATABASE " + db->name_;
  if (db->backend_ == Backend::kMysql) create += " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
  if (auto st = Execute(server_url, create); !st) return std::unexpected(st.error());
  db->url_ = WithDatabase(server_url, db->name_);
  return db;
}

ScratchDatabase::~ScratchDatabase() {
  if (!folder_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
    return;
  }
  if (!name_.empty()) {
    std::string drop = "DROP DATABASE IF EXISTS " + name_;
    if (backend_ == Backend::kPostgresql) drop += " WITH (FORCE)";
    (void)Execute(admin_url_, drop);
  }
}

Result<ScratchSqlite> OpenScratchSqlite(const MigrationRegistry& migrations, Clock& clock) {
  ScratchSqlite out;
  Result<std::unique_ptr<ScratchDatabase>> scratch = ScratchDatabase::Create("sqlite", "");
  if (!scratch) return std::unexpected(scratch.error());
  out.scratch = std::move(*scratch);
  Result<std::unique_ptr<Database>> db = Database::Open({.url = out.scratch->url(), .migrations = migrations},
                                                        clock);
  if (!db) return std::unexpected(db.error());
  out.database = std::move(*db);
  return out;
}

void ScratchDatabaseTest::SetUp() {
  std::string server;
  if (GetParam() != "sqlite") {
    server = ServerUrlFromEnvironment(GetParam());
    if (server.empty()) GTEST_SKIP() << "no " << GetParam() << " server configured";
  }
  auto scratch = ScratchDatabase::Create(GetParam(), server);
  ASSERT_TRUE(scratch) << scratch.error().ToString();
  scratch_ = std::move(*scratch);
  DatabaseOptions options;
  options.url = scratch_->url();
  options.migrations = schema::Maskfleet();
  options.pool_size = 2;
  auto db = Database::Open(options, clock_);
  ASSERT_TRUE(db) << db.error().ToString();
  db_ = std::move(*db);
}

std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

}  // namespace maskfleet::storage::testing
