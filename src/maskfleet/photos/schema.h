// The photos' tables: images and their faces (version 1, second part, after the
// accounts' users, which they reference).
#ifndef MASKFLEET_PHOTOS_SCHEMA_H_
#define MASKFLEET_PHOTOS_SCHEMA_H_

#include "maskfleet/storage/migrations.h"

namespace maskfleet::photos {

// Adds this component's migrations to `registry` (storage/migrations.h).
void RegisterMigrations(storage::MigrationRegistry& registry);

}  // namespace maskfleet::photos

#endif  // MASKFLEET_PHOTOS_SCHEMA_H_
