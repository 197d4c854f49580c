#include "maskfleet/schema/schema.h"

#include "maskfleet/accounts/schema.h"
#include "maskfleet/manager/schema.h"
#include "maskfleet/metrics/schema.h"
#include "maskfleet/photos/schema.h"

namespace maskfleet::schema {

storage::MigrationRegistry Maskfleet() {
  storage::MigrationRegistry registry;
  accounts::RegisterMigrations(registry);
  photos::RegisterMigrations(registry);
  metrics::RegisterMigrations(registry);
  manager::RegisterMigrations(registry);
  return registry;
}

}  // namespace maskfleet::schema
