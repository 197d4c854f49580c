// The accounts' tables: users, sessions, password reset tokens (version 1, first part;
// photos/schema.h adds the images to the same version); user name keys and the
// sign-in throttles (version 4).
#ifndef MASKFLEET_ACCOUNTS_SCHEMA_H_
#define MASKFLEET_ACCOUNTS_SCHEMA_H_

#include "maskfleet/storage/migrations.h"

namespace maskfleet::accounts {

// Adds this component's migrations to `registry` (storage/migrations.h).
void RegisterMigrations(storage::MigrationRegistry& registry);

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_SCHEMA_H_
