// WorkerApp: one running worker, every part built from a WorkerConfig and owned
// here, in dependency order: database and stores, object store, mailer, model and
// detector pool, the services, the URL fetcher, the HTTP server.
//
// Thread safety: Create, Start and Stop from one thread.
#ifndef MASKFLEET_WORKER_WORKER_APP_H_
#define MASKFLEET_WORKER_WORKER_APP_H_

#include <memory>
#include <string>

#include "maskfleet/auth/password_hash.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/mail/mailer.h"
#include "maskfleet/storage/user_store.h"
#include "maskfleet/worker/account_service.h"
#include "maskfleet/worker/worker_config.h"

namespace maskfleet::worker {

class WorkerApp {
 public:
  // Opens the database (migrating it), the object store, the mailer and the model,
  // and creates the configured first administrator when there is none yet.
  // Errors: the failing part's, with its name as context.
  static Result<std::unique_ptr<WorkerApp>> Create(const WorkerConfig& config,
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

// The mailer the configuration asks for (outbox or SMTP). Errors: its Create's.
Result<std::unique_ptr<mail::Mailer>> MakeMailer(const WorkerConfig& config);

// Creates the administrator of [admin] when the database has no administrator yet.
// Errors: kInvalidArgument (a name without a password), the stores'.
Status EnsureFirstAdmin(const WorkerConfig& config, storage::UserStore& users,
                        AccountService& accounts);

// Argon2id cost by name: "interactive" (libsodium's, ~64 MiB), "moderate"
// (~256 MiB) or "minimum" (for tests only).
auth::PasswordHashOptions HashingByName(const std::string& name);

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_WORKER_APP_H_
