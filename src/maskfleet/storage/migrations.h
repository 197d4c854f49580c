// Versioned schema migrations, applied by Database::Open (private to storage/).
//
// Each migration has a version (1, 2, 3 ... without gaps), a name, and the statements
// that take the schema from the previous version to its own, per back end where their
// SQL differs. Applied versions are recorded in schema_migrations(version, name,
// applied_at). New tables come by appending to the list in migrations.cc (version 2:
// the manager's metrics; version 3: its scaling policy, decision log and settings); a
// released migration is never edited.
//
// Several processes may open the same database at once (workers start together), so
// the check-and-apply runs under a database-wide lock:
//   SQLite      BEGIN IMMEDIATE (the write lock; all migrations in that one transaction)
//   PostgreSQL  pg_advisory_lock (each migration in its own transaction)
//   MySQL       GET_LOCK (MySQL commits DDL at once, so a migration that fails halfway
//               leaves its earlier statements applied; each is written to be rerun
//               only after a person looked: the process refuses to start)
// A process that finds everything applied changes nothing.
#ifndef MASKFLEET_STORAGE_MIGRATIONS_H_
#define MASKFLEET_STORAGE_MIGRATIONS_H_

#include <chrono>
#include <string>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database_url.h"

namespace soci {
class session;
}

namespace maskfleet::storage {

struct Migration {
  int version = 0;
  std::string name;
  // The statements for `backend`, run in order.
  std::vector<std::string> (*statements)(Backend backend) = nullptr;
};

// Every migration, in version order.
const std::vector<Migration>& AllMigrations();

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
Result<int> ApplyMigrations(soci::session& s, const MigrationLock& lock, Clock& clock);

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_MIGRATIONS_H_
