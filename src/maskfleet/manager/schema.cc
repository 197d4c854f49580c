#include "maskfleet/manager/schema.h"

#include <string>
#include <vector>

namespace maskfleet::manager {
namespace {

// Version 3: the manager's own state. scaling_policy holds at most one row (id 1), the
// auto-scaler's policy with one typed column per field of scaler::ScalingPolicy
// (durations in whole seconds); no row means that policy's defaults, which live in the
// code only (policy_store.h). scaling_decisions is the auto-scaler's log
// (decision_log.h); manager_settings holds small named strings
// (settings_store.h), whose names are compared byte for byte.
std::vector<std::string> ManagerState(storage::Backend backend) {
  const storage::Dialect d = storage::DialectOf(backend);
  const std::string tail(d.table_tail);
  const std::string id(d.id_column);
  return {
      "CREATE TABLE scaling_policy ("
      "  id INTEGER NOT NULL PRIMARY KEY,"
      "  grow_threshold DOUBLE PRECISION NOT NULL,"
      "  shrink_threshold DOUBLE PRECISION NOT NULL,"
      "  expand_ratio DOUBLE PRECISION NOT NULL,"
      "  shrink_ratio DOUBLE PRECISION NOT NULL,"
      "  min_workers INTEGER NOT NULL,"
      "  max_workers INTEGER NOT NULL,"
      "  check_interval_seconds INTEGER NOT NULL,"
      "  window_seconds INTEGER NOT NULL,"
      "  shrink_stabilisation_seconds INTEGER NOT NULL,"
      "  paused SMALLINT NOT NULL,"
      "  updated_at BIGINT NOT NULL,"
      "  CONSTRAINT scaling_policy_one_row CHECK (id = 1)"
      ")" +
          tail,

      "CREATE TABLE scaling_decisions ("
      "  " +
          id +
          ","
          "  decided_at BIGINT NOT NULL,"
          // NULL: the check had no CPU figure (missing or stale metrics, paused).
          "  average_cpu DOUBLE PRECISION,"
          "  size_before INTEGER NOT NULL,"
          "  size_after INTEGER NOT NULL,"
          "  action VARCHAR(8) NOT NULL,"
          "  reason VARCHAR(1000) NOT NULL,"
          "  CONSTRAINT scaling_decisions_action_check CHECK (action IN ('grow', 'shrink', 'hold'))"
          ")" +
          tail,
      // The log's page (newest first, ties by id) and its retention (decided_at <).
      "CREATE INDEX scaling_decisions_decided_at ON scaling_decisions (decided_at, id)",

      "CREATE TABLE manager_settings ("
      "  name " +
          d.ExactText(100) +
          " NOT NULL PRIMARY KEY,"
          "  value TEXT NOT NULL"
          ")" +
          tail,
  };
}

}  // namespace

void RegisterMigrations(storage::MigrationRegistry& registry) {
  registry.Register(3, "scaling policy, scaling decisions, manager settings", &ManagerState);
}

}  // namespace maskfleet::manager
