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
      "  " + id + ","
      "  username " + d.ExactText(100) + " NOT NULL,"
      "  email VARCHAR(254),"
      "  password_hash VARCHAR(255) NOT NULL,"
      "  is_admin SMALLINT NOT NULL DEFAULT 0,"
      "  created_at BIGINT NOT NULL,"
      "  CONSTRAINT users_username_key UNIQUE (username)"
      ")" + tail,

      "CREATE TABLE sessions ("
      "  token_hash " + d.ExactText(128) + " NOT NULL PRIMARY KEY,"
      "  user_id BIGINT NOT NULL,"
      "  csrf_token VARCHAR(128) NOT NULL,"
      "  created_at BIGINT NOT NULL,"
      "  expires_at BIGINT NOT NULL,"
      "  last_seen BIGINT NOT NULL,"
      "  CONSTRAINT sessions_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE"
      ")" + tail,
      "CREATE INDEX sessions_user_id ON sessions (user_id)",
      "CREATE INDEX sessions_expires_at ON sessions (expires_at)",

      "CREATE TABLE password_reset_tokens ("
      "  token_hash " + d.ExactText(128) + " NOT NULL PRIMARY KEY,"
      "  user_id BIGINT NOT NULL,"
      "  created_at BIGINT NOT NULL,"
      "  expires_at BIGINT NOT NULL,"
      "  used_at BIGINT,"
      "  CONSTRAINT password_reset_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id)"
      "    ON DELETE CASCADE"
      ")" + tail,
      "CREATE INDEX password_reset_tokens_user_id ON password_reset_tokens (user_id)",
      "CREATE INDEX password_reset_tokens_expires_at ON password_reset_tokens (expires_at)",
  };
}

}  // namespace

void RegisterMigrations(storage::MigrationRegistry& registry) {
  registry.Register(1, "users, sessions, password reset tokens", &AccountTables);
}

}  // namespace maskfleet::accounts
