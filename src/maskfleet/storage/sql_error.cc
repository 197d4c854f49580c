#include "maskfleet/storage/sql_error.h"

#include <array>
#include <string>

#include "maskfleet/storage/soci_headers.h"

namespace maskfleet::storage {
namespace {

// Transient conditions that SOCI 4.0 does not categorise (its SQLite back end has no
// categories at all; its MySQL back end only knows lost connections). These are the
// servers' English messages; a server configured for another language downgrades them
// to kInternal, which is safe (the request fails instead of being retried). A full disk
// and a database switched to read-only are conditions to try again later too: an
// operator frees space or switches back, and nothing about the request was wrong.
constexpr std::array<std::string_view, 14> kTransientMarkers = {
    "database or disk is full",              // SQLITE_FULL
    "attempt to write a readonly database",  // SQLITE_READONLY
    "No space left on device",               // PostgreSQL (and any ENOSPC)
    "read-only transaction",                 // PostgreSQL 25006 (a standby, default_transaction_read_only)
    "--read-only option",                    // MySQL/MariaDB 1290
    "Disk full",                             // MySQL/MariaDB 1021
    "database is locked",                    // SQLITE_BUSY
    "database table is locked",              // SQLITE_LOCKED
    "Lock wait timeout exceeded",            // MySQL 1205
    "Deadlock found",                        // MySQL 1213
    "deadlock detected",                     // PostgreSQL 40P01
    "could not serialize access",            // PostgreSQL 40001
    "server closed the connection",
    "Lost connection",
};

}  // namespace

bool IsConnectionLost(const std::exception& e) {
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e)) {
    return soci_error->get_error_category() == soci::soci_error::connection_error;
  }
  return false;
}

Error SqlError(const std::exception& e, std::string_view context) {
  std::string message;
  ErrorCode code = ErrorCode::kInternal;
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e)) {
    message = soci_error->get_error_message();
    if (soci_error->get_error_category() == soci::soci_error::connection_error) {
      code = ErrorCode::kUnavailable;
    }
  } else {
    message = e.what();
  }
  for (std::string_view marker : kTransientMarkers) {
    if (message.find(marker) != std::string::npos) code = ErrorCode::kUnavailable;
  }
  return Error{code, std::string(context) + ": " + message};
}

}  // namespace maskfleet::storage
