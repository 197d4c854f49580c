#include "maskfleet/storage/database.h"

#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "maskfleet/storage/migrations.h"
#include "maskfleet/storage/soci_headers.h"
#include "maskfleet/storage/sql_error.h"

namespace maskfleet::storage {
namespace {

const soci::backend_factory& Factory(Backend backend) {
  switch (backend) {
    case Backend::kSqlite: return *factory_sqlite3();
    case Backend::kPostgresql: return *factory_postgresql();
    case Backend::kMysql: return *factory_mysql();
  }
  return *factory_sqlite3();
}

// SQLite answers "database is locked" to a journal-mode switch at once, without its
// busy handler, while another connection makes the same switch (several processes
// opening a new file together); so the switch is retried here within the busy timeout.
void SwitchToWal(soci::session& s, std::chrono::milliseconds busy_timeout) {
  const auto give_up = std::chrono::steady_clock::now() + busy_timeout;
  for (;;) {
    try {
      std::string mode;
      s << "PRAGMA journal_mode", soci::into(mode);
      if (mode == "wal") return;
      s << "PRAGMA journal_mode = WAL";
      return;
    } catch (const soci::soci_error& e) {
      const bool locked = std::string_view(e.what()).find("database is locked") != std::string_view::npos;
      if (!locked || std::chrono::steady_clock::now() >= give_up) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Settings every new connection needs, whichever process or pool slot opens it.
void Configure(soci::session& s, Backend backend, std::chrono::milliseconds busy_timeout) {
  switch (backend) {
    case Backend::kSqlite:
      // busy_timeout first: switching to WAL needs a lock that another opener may hold.
      s << "PRAGMA busy_timeout = " + std::to_string(busy_timeout.count());
      s << "PRAGMA foreign_keys = ON";
      SwitchToWal(s, busy_timeout);
      // WAL's recommended setting: durable across application crashes, and an OS crash
      // can lose only the last transactions, never corrupt the file.
      s << "PRAGMA synchronous = NORMAL";
      break;
    case Backend::kPostgresql:
      s << "SET client_encoding = 'UTF8'";
      // libpq prints notices on stderr ("relation already exists, skipping").
      s << "SET client_min_messages = WARNING";
      break;
    case Backend::kMysql:
      // Strict: an over-long value is an error, never silently truncated.
      s << "SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,"
           "NO_ENGINE_SUBSTITUTION'";
      // PostgreSQL's default: a statement sees what others committed before it began, so
      // a conditional UPDATE that waited for another writer re-reads the row it changed.
      s << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
      break;
  }
}

// Gives a leased connection back to the pool whatever happens.
class Lease {
 public:
  Lease(soci::connection_pool& pool, std::size_t pos) : pool_(pool), pos_(pos) {}
  ~Lease() { pool_.give_back(pos_); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

 private:
  soci::connection_pool& pool_;
  std::size_t pos_;
};

}  // namespace

Database::Database(DatabaseUrl url, DatabaseOptions options)
    : url_(std::move(url)), options_(std::move(options)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options, Clock& clock) {
  auto url = ParseDatabaseUrl(options.url);
  if (!url) return std::unexpected(url.error());
  if (options.pool_size == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "database: pool_size must be at least 1");
  }
  if (Status complete = options.migrations.Check(); !complete) {
    return std::unexpected(complete.error().WithContext("database schema"));
  }
  std::unique_ptr<Database> db(new Database(std::move(*url), options));
  if (auto st = db->Connect(); !st) return std::unexpected(st.error());
  if (auto st = db->Migrate(clock); !st) return std::unexpected(st.error());
  return db;
}

Status Database::Connect() {
  const std::string context = "open database " + url_.redacted;
  try {
    pool_ = std::make_unique<soci::connection_pool>(options_.pool_size);
    for (std::size_t i = 0; i < options_.pool_size; ++i) {
      soci::session& s = pool_->at(i);
      s.open(Factory(url_.backend), url_.connect_string);
      Configure(s, url_.backend, options_.busy_timeout);
    }
  } catch (const std::exception& e) {
    Error error = SqlError(e, context);
    // A server that refuses us is worth retrying later; SOCI reports some refusals
    // (bad password, unknown database) without a category.
    if (url_.backend != Backend::kSqlite) error.code = ErrorCode::kUnavailable;
    return std::unexpected(error);
  }
  return {};
}

Status Database::Migrate(Clock& clock) {
  return Run("migrate database " + url_.redacted, [&](soci::session& s) -> Status {
    MigrationLock lock{url_.backend, url_.database, options_.migration_lock_timeout, options_.busy_timeout};
    auto version = ApplyMigrations(s, lock, options_.migrations.migrations(), clock);
    if (!version) return std::unexpected(version.error());
    schema_version_ = *version;
    return {};
  });
}

Status Database::Run(std::string_view context, const Work& work) {
  return RunImpl(context, /*transaction=*/false, work);
}

Status Database::CheckWritable() {
  return RunInTransaction("check that the database takes writes", [](soci::session& s) -> Status {
    s << "UPDATE schema_migrations SET version = version WHERE version < 0";
    return {};
  });
}

Status Database::RunInTransaction(std::string_view context, const Work& work) {
  return RunImpl(context, /*transaction=*/true, work);
}

Status Database::RunImpl(std::string_view context, bool transaction, const Work& work) {
  std::size_t pos = 0;
  try {
    if (!pool_->try_lease(pos, static_cast<int>(options_.acquire_timeout.count()))) {
      return MakeError(ErrorCode::kUnavailable, std::string(context) + ": no free database connection");
    }
  } catch (const std::exception& e) {
    return std::unexpected(SqlError(e, context));
  }
  Lease lease(*pool_, pos);
  soci::session& s = pool_->at(pos);
  bool in_transaction = false;
  try {
    if (transaction) {
      if (url_.backend == Backend::kSqlite) {
        s << "BEGIN IMMEDIATE";
      } else {
        s.begin();
      }
      in_transaction = true;
    }
    Status status = work(s);
    if (in_transaction) {
      in_transaction = false;
      if (status) {
        if (url_.backend == Backend::kSqlite) {
          s << "COMMIT";
        } else {
          s.commit();
        }
      } else {
        if (url_.backend == Backend::kSqlite) {
          s << "ROLLBACK";
        } else {
          s.rollback();
        }
      }
    }
    if (!status) return std::unexpected(status.error().WithContext(context));
    return status;
  } catch (const std::exception& e) {
    Error error = SqlError(e, context);
    if (in_transaction) {
      try {
        if (url_.backend == Backend::kSqlite) {
          s << "ROLLBACK";
        } else {
          s.rollback();
        }
      } catch (const std::exception&) {
        // The connection is broken; the reconnect below discards the transaction.
      }
    }
    // SOCI does not categorise every way a server connection dies (PostgreSQL's
    // "terminating connection due to administrator command" is not class 08), so a
    // server connection is also asked directly, on this failure path only.
    bool lost = IsConnectionLost(e);
    if (!lost && url_.backend != Backend::kSqlite) {
      try {
        lost = !s.is_connected();
      } catch (const std::exception&) {
        lost = true;
      }
    }
    if (lost) {
      error.code = ErrorCode::kUnavailable;
      try {
        s.reconnect();
        Configure(s, url_.backend, options_.busy_timeout);
      } catch (const std::exception&) {
        // Still unreachable: the next failure on this connection tries again.
      }
    }
    return std::unexpected(error);
  }
}

}  // namespace maskfleet::storage
