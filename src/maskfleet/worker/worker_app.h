// WorkerApp: one running worker. The mode's backends (database, object store, mailer,
// CPU budget: worker_backends.h) come in as interfaces; every other part is built from
// a WorkerConfig and owned here, in dependency order: the stores, model and detector
// pool, the URL fetcher, the services, the HTTP server.
//
// Thread safety: Create, Start and Stop from one thread.
#ifndef MASKFLEET_WORKER_WORKER_APP_H_
#define MASKFLEET_WORKER_WORKER_APP_H_

#include <memory>
#include <string>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/worker/worker_backends.h"
#include "maskfleet/worker/worker_config.h"

namespace maskfleet::worker {

class WorkerApp {
 public:
  // Loads the model and creates the configured first administrator when there is none
  // yet. `backends` come from the mode's factory. Errors: the failing part's, with its
  // name as context.
  static Result<std::unique_ptr<WorkerApp>> Create(const WorkerConfig& config, WorkerBackends backends,
                                                   Clock& clock = RealClock());
  ~WorkerApp();

  // Serves on the configured host and port (0: any free port). Returns the port.
  Result<int> Start();
  // Finishes running requests and stops serving. Idempotent.
  void Stop();

 private:
  struct Parts;
  explicit WorkerApp(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_WORKER_APP_H_
