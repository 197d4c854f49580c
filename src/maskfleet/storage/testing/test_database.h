// Scratch databases for tests, on every back end the environment offers.
//
// SQLite always runs (a file in a fresh temporary folder). PostgreSQL and MariaDB/MySQL
// run when MASKFLEET_TEST_POSTGRES_URL / MASKFLEET_TEST_MYSQL_URL name a server on which
// the URL's user may create databases (scripts/test-services.sh starts such servers and
// prints the variables); each test then gets a database of its own, named
// maskfleet_t_<random>, dropped afterwards, so that tests can run in parallel.
#ifndef MASKFLEET_STORAGE_TESTING_TEST_DATABASE_H_
#define MASKFLEET_STORAGE_TESTING_TEST_DATABASE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/database_url.h"

namespace maskfleet::storage::testing {

// The back ends to parameterise tests over: "sqlite", "postgresql", "mysql".
std::vector<std::string> TestBackendNames();

// The server URL for a back end from the environment; empty when it is not set (the
// test should GTEST_SKIP) and always empty for "sqlite".
std::string ServerUrlFromEnvironment(const std::string& backend_name);

class ScratchDatabase {
 public:
  // A new empty database on `backend_name`, created from `server_url` (ignored for
  // sqlite). Errors: whatever creating it fails with.
  static Result<std::unique_ptr<ScratchDatabase>> Create(const std::string& backend_name,
                                                         const std::string& server_url);
  // Drops the database (or deletes the folder). Open Database objects on it must be
  // destroyed first.
  ~ScratchDatabase();

  // The URL that opens it.
  const std::string& url() const { return url_; }

 private:
  ScratchDatabase() = default;
  std::string url_;
  std::string admin_url_;  // server: the URL to drop it through
  std::string name_;       // server: the database's name
  Backend backend_ = Backend::kSqlite;
  std::string folder_;  // sqlite: the temporary folder
};

// A migrated SQLite database in a temporary folder, for tests of one back end.
// Destroyed in reverse: the Database before its folder is deleted.
struct ScratchSqlite {
  std::unique_ptr<ScratchDatabase> scratch;
  std::unique_ptr<Database> database;
};

// Creates one and opens it with `migrations` and `clock` (which must outlive it).
// Errors: whatever creating or opening it fails with.
Result<ScratchSqlite> OpenScratchSqlite(const MigrationRegistry& migrations, Clock& clock);

// A test parameterised over TestBackendNames(): database() is a migrated Database on a
// ScratchDatabase of the parameter's back end, opened with clock_; the test is skipped
// when that back end's server is not configured. A subclass that overrides SetUp() calls
// this one first and returns when IsSkipped() or HasFatalFailure(). Instantiate with
//   INSTANTIATE_TEST_SUITE_P(storage, FooTest, ::testing::ValuesIn(TestBackendNames()),
//                            BackendTestName);
class ScratchDatabaseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  Database& database() { return *db_; }

  SimulatedClock clock_;

 private:
  // Destroyed in reverse: the Database before its scratch database is dropped.
  std::unique_ptr<ScratchDatabase> scratch_;
  std::unique_ptr<Database> db_;
};

// Names an instantiation's tests after the back end ("storage/FooTest.Bar/sqlite").
std::string BackendTestName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace maskfleet::storage::testing

#endif  // MASKFLEET_STORAGE_TESTING_TEST_DATABASE_H_
