// WorkerBackends: what a worker needs from the deployment mode, as interfaces. A mode's
// factory makes them (modes/modes.h: MakeWorkerBackends; the local mode's in
// modes/local/local_mode.cc); WorkerApp only uses them.
//
// Thread safety: moved into WorkerApp::Create once; each part is as its interface says.
#ifndef MASKFLEET_WORKER_WORKER_BACKENDS_H_
#define MASKFLEET_WORKER_WORKER_BACKENDS_H_

#include <memory>

#include "maskfleet/mail/mailer.h"
#include "maskfleet/metrics/request_count_publisher.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/storage/database.h"
#include "maskfleet/worker/photo_service.h"

namespace maskfleet::worker {

struct WorkerBackends {
  // The shared database, opened with maskfleet's whole schema (schema/schema.h).
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<objectstore::ObjectStore> objects;
  std::unique_ptr<mail::Mailer> mailer;
  // What an analysis waits for before it uses the CPU (the local mode's in-worker CPU
  // governor, when its pool asked for one); empty: nothing.
  CpuBudget cpu_budget;
  // Where the worker's requests per minute go (metrics/request_count_publisher.h): the
  // AWS mode's CloudWatch publisher. WorkerApp hands it every completed minute, once a
  // minute, off the request path. Null: the counts are only served on GET /metrics,
  // where the local mode's manager scrapes them.
  std::unique_ptr<metrics::RequestCountPublisher> request_counts;
};

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_WORKER_BACKENDS_H_
