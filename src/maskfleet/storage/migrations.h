// Versioned schema migrations: how each component brings its tables, and how
// Database::Open applies them.
//
// A migration has a version (1, 2, 3 ... without gaps), a name, and the statements that
// take the schema from the previous version to its own, per back end where their SQL
// differs. Each component owns the tables of its stores and registers their migrations
// (accounts/schema.h, photos/schema.h, metrics/schema.h, manager/schema.h); schema/
// puts every component's into one MigrationRegistry, which the Database is opened with.
// A version may have parts from several components (version 1: accounts' users,
// sessions and reset tokens, then photos' images and faces); they run in registration
// order, and the version's recorded name is their names joined by ", ". Applied versions
// are recorded in schema_migrations(version, name, applied_at). New tables come with a
// new version; a released migration is never edited. Every process that opens a
// database must know all its versions (a newer one is refused).
//
// Several processes may open the same database at once (workers start together), so
// the check-and-apply runs under a database-wide lock:
//   SQLite      BEGIN IMMEDIATE (the write lock; all migrations in that one transaction)
//   PostgreSQL  pg_advisory_lock (each migration in its own transaction)
//   MySQL       GET_LOCK (MySQL commits DDL at once, so a migration that fails halfway
//               leaves its earlier statements applied; each is written to be rerun
//               only after a person looked: the process refuses to start)
// A process that finds everything applied changes nothing.
//
// Thread safety: a MigrationRegistry is filled at start, then only read.
#ifndef MASKFLEET_STORAGE_MIGRATIONS_H_
#define MASKFLEET_STORAGE_MIGRATIONS_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database_url.h"

namespace soci {
class session;
}

namespace maskfleet::storage {

// Column and table clauses that differ between the back ends. Everything else in a
// migration is SQL that all three accept.
struct Dialect {
  std::string_view id_column;   // an auto-incremented BIGINT primary key named id
  std::string_view table_tail;  // after the closing parenthesis of CREATE TABLE
  std::string_view exact_text;  // a string type compared byte for byte, "(n)" follows

  std::string ExactText(int n) const { return std::string(exact_text) + "(" + std::to_string(n) + ")"; }
};

Dialect DialectOf(Backend backend);

// The statements of one part of a migration for `backend`, run in order.
using MigrationStatements = std::vector<std::string> (*)(Backend backend);

struct Migration {
  int version = 0;
  std::string name;
  std::vector<MigrationStatements> parts;

  // Every part's statements for `backend`, in order.
  std::vector<std::string> Statements(Backend backend) const;
};

class MigrationRegistry {
 public:
  // Adds a part to migration `version` (see above).
  void Register(int version, std::string_view name, MigrationStatements statements);
  // Ok, or kInternal when the versions do not run 1, 2, 3 ... without a gap.
  Status Check() const;
  // Every migration, in version order.
  const std::vector<Migration>& migrations() const { return migrations_; }

 private:
  std::vector<Migration> migrations_;
};

struct MigrationLock {
  Backend backend = Backend::kSqlite;
  // The server's database name (MySQL's lock is server-wide, so it is named after it).
  std::string database;
  // How long to wait for another process's migration. Default 120 s.
  std::chrono::seconds timeout{120};
  // SQLite: the connection's normal busy timeout, restored afterwards. Default 10 s.
  std::chrono::milliseconds normal_busy_timeout{10'000};
};

// Applies the missing migrations on `s` under the lock and returns the schema version.
// Throws what SOCI throws (Database::Run converts it). Errors: kUnavailable when the lock
// is not had within the timeout; kInternal when the database has a version this program
// does not know (a newer program migrated it).
Result<int> ApplyMigrations(soci::session& s, const MigrationLock& lock,
                            const std::vector<Migration>& migrations, Clock& clock);

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_MIGRATIONS_H_
