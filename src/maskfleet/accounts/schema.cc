#include "maskfleet/accounts/schema.h"

#include <string>
#include <vector>

namespace maskfleet::accounts {
namespace {

// Version 1, first part: users, sessions and password reset tokens.
//
// Times are UTC epoch seconds (BIGINT): portable across the three back ends and free of
// time-zone conversions. Booleans are SMALLINT 0/1.
std::vector<std::string> AccountTables(storage::Backend backend) {
  const storage::Dialect d = storage::DialectOf(backend);
  const std::string tail(d.table_tail);
  const std::string id(d.id_column);
  return {
      "CREATE TABLE users ("
      "  " +
          id +
          ","
          "  username " +
          d.ExactText(100) +
          " NOT NULL,"
          "  email VARCHAR(254),"
          "  password_hash VARCHAR(255) NOT NULL,"
          "  is_admin SMALLINT NOT NULL DEFAULT 0,"
          "  created_at BIGINT NOT NULL,"
          "  CONSTRAINT users_username_key UNIQUE (username)"
          ")" +
          tail,

      "CREATE TABLE sessions ("
      "  token_hash " +
          d.ExactText(128) +
          " NOT NULL PRIMARY KEY,"
          "  user_id BIGINT NOT NULL,"
          "  csrf_token VARCHAR(128) NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  expires_at BIGINT NOT NULL,"
          "  last_seen BIGINT NOT NULL,"
          "  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE"
          ")" +
          tail,
      "CREATE INDEX sessions_user_id ON sessions (user_id)",
      "CREATE INDEX sessions_expires_at ON sessions (expires_at)",

      "CREATE TABLE password_reset_tokens ("
      "  token_hash " +
          d.ExactText(128) +
          " NOT NULL PRIMARY KEY,"
          "  user_id BIGINT NOT NULL,"
          "  created_at BIGINT NOT NULL,"
          "  expires_at BIGINT NOT NULL,"
          "  used_at BIGINT,"
          "  CONSTRAINT password_reset_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id)"
          "    ON DELETE CASCADE"
          ")" +
          tail,
      "CREATE INDEX password_reset_tokens_user_id ON password_reset_tokens (user_id)",
      "CREATE INDEX password_reset_tokens_expires_at ON password_reset_tokens (expires_at)",
  };
}

// Version 4, first part: user names unique regardless of case. name_key holds the name
// folded to lower case (UserStore's NameKey; names are ASCII) under a unique index.
// Names that already clash by case ("alice" and "ALICE") cannot both have the key: the
// oldest account (lowest id) gets it, the others keep NULL and log in by their exact
// name only; UserStore::NameClashes lists them and every app logs them at start
// (accounts/setup.h: ReportNameClashes), for an administrator to rename or delete.
// MySQL's LOWER() leaves binary strings as they are, hence the CONVERT there, and it
// cannot read the table it updates but through a derived table.
std::vector<std::string> NameKeys(storage::Backend backend) {
  const storage::Dialect d = storage::DialectOf(backend);
  const bool mysql = backend == storage::Backend::kMysql;
  const std::string folded = mysql ? "LOWER(CONVERT(username USING utf8mb4))" : "LOWER(username)";
  const std::string first_of_each = "SELECT MIN(id) AS id FROM users GROUP BY " + folded;
  return {
      "ALTER TABLE users ADD COLUMN name_key " + d.ExactText(100),
      "UPDATE users SET name_key = " + folded + " WHERE id IN (" +
          (mysql ? "SELECT id FROM (" + first_of_each + ") AS first_of_each" : first_of_each) + ")",
      "CREATE UNIQUE INDEX users_name_key_unique ON users (name_key)",
  };
}

// Version 4, second part: the sign-in throttles' counters (throttle_store.h), shared by
// every process. Times are epoch milliseconds; keys are hexadecimal digests.
std::vector<std::string> ThrottleTable(storage::Backend backend) {
  const storage::Dialect d = storage::DialectOf(backend);
  return {
      "CREATE TABLE auth_throttle ("
      "  scope VARCHAR(16) NOT NULL,"
      "  key_hash " +
          d.ExactText(64) +
          " NOT NULL,"
          "  hits BIGINT NOT NULL,"
          "  until_at BIGINT NOT NULL,"
          "  last_hit_at BIGINT NOT NULL,"
          "  PRIMARY KEY (scope, key_hash)"
          ")" +
          std::string(d.table_tail),
      "CREATE INDEX auth_throttle_last_hit_at ON auth_throttle (last_hit_at)",
  };
}

}  // namespace

void RegisterMigrations(storage::MigrationRegistry& registry) {
  registry.Register(1, "users, sessions, password reset tokens", &AccountTables);
  registry.Register(4, "user names unique regardless of case", &NameKeys);
  registry.Register(4, "sign-in throttles", &ThrottleTable);
}

}  // namespace maskfleet::accounts
