// The metric store's tables: per-minute samples of every worker and the pool's size
// (version 2), the load balancer's request counts per minute (version 5).
#ifndef MASKFLEET_METRICS_SCHEMA_H_
#define MASKFLEET_METRICS_SCHEMA_H_

#include "maskfleet/storage/migrations.h"

namespace maskfleet::metrics {

// Adds this component's migrations to `registry` (storage/migrations.h).
void RegisterMigrations(storage::MigrationRegistry& registry);

}  // namespace maskfleet::metrics

#endif  // MASKFLEET_METRICS_SCHEMA_H_
