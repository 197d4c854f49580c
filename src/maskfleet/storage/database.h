// Database: the SQL database that holds maskfleet's records, and the stores' only way in.
//
// One Database is one SOCI connection pool to one database, chosen by a URL (see
// database_url.h): a SQLite file shared by all local processes, or a PostgreSQL or
// MySQL/MariaDB server. Open() brings the schema up to date (the migrations it is given,
// migrations.h) before it returns, safely when several processes open the same database
// at the same moment.
//
// storage/ knows no table: each component keeps its typed stores and their migrations
// (accounts/: users, sessions, reset tokens; photos/: images; metrics/: metric samples;
// manager/: policy, decisions, settings). Run() and RunInTransaction() are how those
// stores run SQL (sql.h), and are the one place where SOCI's exceptions become Errors
// (sql_error.h). Nothing SOCI throws leaves a Run.
//
// Thread safety: a Database is safe to use from many threads at once; each call leases
// its own connection from the pool, and waits up to acquire_timeout for one.
#ifndef MASKFLEET_STORAGE_DATABASE_H_
#define MASKFLEET_STORAGE_DATABASE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/storage/database_url.h"
#include "maskfleet/storage/migrations.h"

namespace soci {
class session;
class connection_pool;
}  // namespace soci

namespace maskfleet::storage {

struct DatabaseOptions {
  // Connection URL (database_url.h). Required; there is no default database.
  std::string url;
  // The schema Open() brings the database to: every component's migrations
  // (schema/schema.h has maskfleet's). Open() refuses a registry with a gap.
  MigrationRegistry migrations;
  // Connections kept open. Default 4: one per request thread is plenty, since every
  // call holds a connection only for its own statements.
  std::size_t pool_size = 4;
  // How long a call waits for a free connection before failing with kUnavailable.
  // Default 10 s.
  std::chrono::milliseconds acquire_timeout{10'000};
  // SQLite only: how long a statement waits for another process's lock before failing
  // with kUnavailable. Default 10 s.
  std::chrono::milliseconds busy_timeout{10'000};
  // How long Open() waits for another process that is migrating the same database.
  // Default 120 s.
  std::chrono::seconds migration_lock_timeout{120};
};

class Database {
 public:
  // Work on one connection. Returning an error (or throwing a SOCI exception) makes the
  // call fail; inside RunInTransaction it also rolls the transaction back.
  using Work = std::function<Status(soci::session&)>;

  // Connects `options.pool_size` times and applies the migrations of
  // `options.migrations` that are missing. `clock` stamps the migrations and must outlive the Database.
  // Errors: kInvalidArgument (bad URL or options), kUnavailable (server unreachable,
  // database locked for longer than the timeouts), kInternal (a migration failed, or the
  // database has a newer schema than this program knows, or the registry has a gap).
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options, Clock& clock);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Backend backend() const { return url_.backend; }
  // The URL without its password, for logs.
  const std::string& redacted_url() const { return url_.redacted; }
  // The highest migration version applied.
  int schema_version() const { return schema_version_; }

  // Runs `work` on a leased connection, without a transaction (each statement commits on
  // its own). `context` ("find user") prefixes any error's message. Errors: whatever
  // `work` returns; kUnavailable when no connection frees up in time or the connection
  // is lost or locked; kInternal for other database errors.
  Status Run(std::string_view context, const Work& work);

  // Whether the database takes writes now: a write statement that changes nothing, in
  // a transaction. Errors: kUnavailable (unreachable, read-only, full disk, locked),
  // kInternal.
  Status CheckWritable();

  // Runs `work` inside one transaction, committed when `work` succeeds and rolled back
  // otherwise. On SQLite the transaction takes the write lock at once (BEGIN IMMEDIATE),
  // so that two writers wait for each other instead of failing on a lock upgrade.
  Status RunInTransaction(std::string_view context, const Work& work);

 private:
  Database(DatabaseUrl url, DatabaseOptions options);
  Status Connect();
  Status Migrate(Clock& clock);
  Status RunImpl(std::string_view context, bool transaction, const Work& work);

  const DatabaseUrl url_;
  const DatabaseOptions options_;
  std::unique_ptr<soci::connection_pool> pool_;
  int schema_version_ = 0;
};

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_DATABASE_H_
