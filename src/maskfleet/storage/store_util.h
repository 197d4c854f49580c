// Statement helpers for the stores of every component (reached through sql.h). They throw what SOCI
// throws; Database::Run converts it.
#ifndef MASKFLEET_STORAGE_STORE_UTIL_H_
#define MASKFLEET_STORAGE_STORE_UTIL_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/storage/database_url.h"
#include "maskfleet/storage/soci_headers.h"

namespace maskfleet::storage {

// Adds the statement's into() and use() elements, in the order of the SQL.
using Bind = std::function<void(soci::statement&)>;

// Prepares `sql` with the elements `bind` adds; the caller executes it.
soci::statement Prepare(soci::session& s, std::string_view sql, const Bind& bind);

// Executes `sql` (an INSERT without RETURNING into `table`, whose key is an auto-numbered
// column id) and returns the new row's id: RETURNING on PostgreSQL, the connection's last
// insert id on SQLite and MySQL.
long long InsertReturningId(soci::session& s, Backend backend, std::string_view table, std::string_view sql,
                            const Bind& bind);

// Runs `sql`, which selects (original_key, annotated_key, thumbnail_key) rows with at
// most one bound id, and returns the keys, three per row.
std::vector<std::string> SelectImageKeys(soci::session& s, std::string_view sql, const long long* id);

// Runs a DELETE with one integer parameter named :v and returns the rows it removed.
// `context` prefixes any error (see Database::Run).
Result<std::int64_t> DeleteWithValue(Database& db, std::string_view context, std::string_view sql,
                                     long long value);

// Runs `sql`, a SELECT COUNT(*) without parameters, and returns the count. `context`
// prefixes any error (see Database::Run).
Result<std::int64_t> SelectCount(Database& db, std::string_view context, std::string_view sql);

// Whether `text` can go into a text column unchanged on every back end: well-formed
// UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) without NUL bytes.
// PostgreSQL refuses other bytes, MySQL refuses or mangles them and SQLite keeps them, so
// the stores check before writing, to give one answer everywhere.
bool IsStorableText(std::string_view text);

// The longest prefix of `text` (well-formed UTF-8) that has at most `max_bytes` bytes and
// does not cut a character in two.
std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace maskfleet::storage

#endif  // MASKFLEET_STORAGE_STORE_UTIL_H_
