// The way a component's store runs SQL on the Database: what a store outside storage/
// (accounts/, photos/, metrics/, manager/) includes, and all it needs of storage/.
//
// A store receives a soci::session inside Database::Run or RunInTransaction, binds its
// statements with Prepare() and InsertReturningId() (store_util.h), stores times as
// epoch seconds (time_util.h) and checks text with IsStorableText(). SOCI throws; the
// Database converts what it throws into an Error (sql_error.h), so a store's code may
// let SOCI's exceptions pass up to Run, and never past it. The store's tables come from
// its component's migrations (migrations.h, schema_sql.h).
//
// Thread safety: as Database (a session belongs to one call on one thread).
#ifndef MASKFLEET_STORAGE_SQL_H_
#define MASKFLEET_STORAGE_SQL_H_

#include "maskfleet/storage/database.h"
#include "maskfleet/storage/soci_headers.h"
#include "maskfleet/storage/store_util.h"
#include "maskfleet/storage/time_util.h"

#endif  // MASKFLEET_STORAGE_SQL_H_
