// The composition roots: one factory per deployment mode, chosen by `[deployment] mode`.
//
// A mode is put together in one file: the local mode in modes/local/local_mode.cc (the
// SQLite-or-server database, the folder object store, the outbox or SMTP mailer, the
// worker processes, HAProxy and its supervision, the measured metrics), the AWS mode in
// modes/aws/aws_mode.cc (RDS, S3, EC2 instances behind an ALB target group, CloudWatch,
// the database password from Secrets Manager). The apps take
// what a factory makes as interfaces (worker/worker_backends.h,
// manager/manager_backends.h) and never learn which mode made them.
//
// Thread safety: call from the main thread at start.
#ifndef MASKFLEET_MODES_BACKENDS_H_
#define MASKFLEET_MODES_BACKENDS_H_

#include <filesystem>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/manager/manager_backends.h"
#include "maskfleet/manager/manager_config.h"
#include "maskfleet/worker/worker_backends.h"
#include "maskfleet/worker/worker_config.h"

namespace maskfleet::modes {

// A worker's backends for `config.mode`. Errors: kInvalidArgument for a mode this
// program does not run; the failing part's, with its name as context ("database",
// "object store", "mail").
Result<worker::WorkerBackends> MakeWorkerBackends(const worker::WorkerConfig& config, Clock& clock);

// The manager's backends for `config.shared.mode`; `config` is prepared
// (ManagerConfig::Prepare). `binary` is the maskfleet program that workers run where
// the mode starts them itself. Errors: as MakeWorkerBackends, and the pool's and the
// balancer's ("worker pool", "manager.lb_host").
Result<manager::ManagerBackends> MakeManagerBackends(const manager::ManagerConfig& config,
                                                     const std::filesystem::path& binary, Clock& clock);

}  // namespace maskfleet::modes

#endif  // MASKFLEET_MODES_BACKENDS_H_
