// The manager's own tables: the scaling policy, the decision log and its settings
// (version 3).
#ifndef MASKFLEET_MANAGER_SCHEMA_H_
#define MASKFLEET_MANAGER_SCHEMA_H_

#include "maskfleet/storage/migrations.h"

namespace maskfleet::manager {

// Adds this component's migrations to `registry` (storage/migrations.h).
void RegisterMigrations(storage::MigrationRegistry& registry);

}  // namespace maskfleet::manager

#endif  // MASKFLEET_MANAGER_SCHEMA_H_
