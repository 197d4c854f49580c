// Which database to open, from one connection URL.
//
//   sqlite:PATH                 relative or absolute file name (sqlite:data/maskfleet.db)
//   sqlite:///ABS/PATH          the same, URL style
//   postgresql://USER:PASS@HOST:PORT/DB?sslmode=require   (postgres:// too)
//   mysql://USER:PASS@HOST:PORT/DB?sslca=/etc/rds.pem     (mariadb:// too)
//
// User, password and database are percent-decoded. Query parameters are passed to the
// back end's client library (libpq keywords for PostgreSQL; SOCI's MySQL keywords such as
// sslca, connect_timeout); their names must be [a-z_]+. connect_timeout defaults to 10 s. ParseDatabaseUrl
// only parses: it neither connects nor touches the file. Pure functions, safe across threads.
#ifndef MASKFLEET_STORAGE_DATABASE_URL_H_
#define MASKFLEET_STORAGE_DATABASE_URL_H_

#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::storage {

enum class Backend { kSqlite, kPostgresql, kMysql };

// "sqlite", "postgresql", "mysql".
std::string_view BackendName(Backend backend);

struct DatabaseUrl {
  Backend backend = Backend::kSqlite;
  // SOCI's connection string for the back end. Holds the password: never log it.
  std::string connect_string;
  // The URL with the password replaced by "***": the form to log and show.
  std::string redacted;
  // The SQLite file name, or the server's database name.
  std::string database;
};

// Parses `url`. Errors: kInvalidArgument (unknown scheme, missing host or database,
// a bad port, a character the back end's connection string cannot carry); the message
// never contains the password.
Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url);

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_DATABASE_URL_H_
