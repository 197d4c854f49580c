// maskfleet's whole database schema: every component's migrations in one registry.
//
// Every process that opens the database (worker, manager, `maskfleet user`) opens it
// with this schema, whatever tables it uses itself: the versions are shared, and a
// process refuses a database with a version it does not know.
#ifndef MASKFLEET_SCHEMA_SCHEMA_H_
#define MASKFLEET_SCHEMA_SCHEMA_H_

#include "maskfleet/storage/migrations.h"

namespace maskfleet::schema {

// Version 1: accounts (users, sessions, reset tokens), then photos (images, faces);
// 2: metrics; 3: the manager's policy, decisions and settings.
storage::MigrationRegistry Maskfleet();

}  // namespace maskfleet::schema

#endif  // MASKFLEET_SCHEMA_SCHEMA_H_
