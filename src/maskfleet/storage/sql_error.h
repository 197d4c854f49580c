// Turns what SOCI throws into an Error: the one place that does (private to storage/;
// Database::Run calls it).
//
// The code says what the caller can do: kUnavailable when retrying later can help (a
// lost connection, SQLite's "database is locked", a MySQL lock-wait timeout or deadlock,
// a PostgreSQL deadlock or serialisation failure), kInternal otherwise. Duplicates and
// missing rows are not decided here but by the stores, which know what they asked for.
//
// The message is `context` plus SOCI's bare message (soci_error::get_error_message()),
// never what(): SOCI's what() appends the bound values ("with :hash=..."), which may be
// password hashes or token hashes and must not reach a log.
#ifndef MASKFLEET_STORAGE_SQL_ERROR_H_
#define MASKFLEET_STORAGE_SQL_ERROR_H_

#include <exception>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::storage {

Error SqlError(const std::exception& e, std::string_view context);

// Whether `e` says the connection itself is gone (so the session should reconnect).
bool IsConnectionLost(const std::exception& e);

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_SQL_ERROR_H_
