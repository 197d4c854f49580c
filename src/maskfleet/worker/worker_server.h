// WorkerServer: the worker's HTTP front (docs/api.md), on cpp-httplib.
//
// It translates between HTTP and the services: parsing, session cookie and CSRF
// checks, JSON in and out, pages and static files. Decisions live in
// AccountService and PhotoService. The routes are one unit per resource (routes.h).
// Every answer carries X-Request-Id and
// X-Maskfleet-Worker; every request is counted and logged (without query strings,
// bodies or cookies).
//
// Thread safety: Start() and Stop() from one controlling thread; requests are
// served by the server's own pool of `http_threads` threads.
#ifndef MASKFLEET_WORKER_WORKER_SERVER_H_
#define MASKFLEET_WORKER_WORKER_SERVER_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/http/account_routes.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/photos/image_store.h"
#include "maskfleet/worker/photo_service.h"

namespace maskfleet::worker {

namespace routes {
struct Deps;
}  // namespace routes

// Hooks the server calls; empty ones are skipped.
struct ServerHooks {
  // Liveness: whether the worker process works (the pool and the manager watch it):
  // answers /healthz (true: 200, false: 503).
  std::function<Status()> health;
  // Readiness: whether the worker can store (HAProxy sends traffic only to ready
  // workers): answers /readyz (true: 200, false: 503). Empty: as health.
  std::function<Status()> ready;
  // The Prometheus text of /metrics.
  std::function<std::string()> metrics;
  // Called after every request: route label ("/api/upload", "page" ...), method,
  // status, time from arrival to answer.
  std::function<void(const std::string& route, const std::string& method, int status,
                     std::chrono::nanoseconds taken)>
      observe;
  // Called after every stored detection with its counts.
  std::function<void(int masked, int unmasked)> detected;
};

struct ServerOptions {
  // Shown in X-Maskfleet-Worker and /healthz. Default: "<host>:<port>", as bound.
  std::string name;
  // Built web assets: `web_dir`/pages/*.html and `web_dir`/static/. Default: none
  // (pages answer 503 "not built").
  std::filesystem::path web_dir;
  // Set the Secure flag on the session cookie (serving over TLS). Default false.
  bool secure_cookies = false;
  // Take the client address from X-Forwarded-For (behind our own load balancer).
  // Default false: a client could otherwise pick its own rate-limit key.
  bool trust_forwarded_for = false;
  // HTTP threads; should exceed the photo service's admission bound so that the
  // overload answer (503) is given rather than queued. Default 24.
  int http_threads = 24;
};

class WorkerServer {
 public:
  // All references must outlive the server.
  WorkerServer(accounts::AccountService& accounts, PhotoService& photos, photos::ImageStore& images,
               objectstore::ObjectStore& objects, ServerHooks hooks, ServerOptions options);
  ~WorkerServer();

  // Binds `host`:`port` (port 0: any free port) and serves in a background thread.
  // Returns the port. Errors: kUnavailable when the address cannot be bound.
  Result<int> Start(const std::string& host, int port);
  // Stops accepting, lets running requests finish, joins. Idempotent.
  void Stop();

 private:
  void RegisterRoutes();

  PhotoService& photos_;
  const ServerHooks hooks_;
  const ServerOptions options_;
  std::string name_;  // set by Start(), before the first request
  const http::AccountRoutes account_routes_;
  std::unique_ptr<const routes::Deps> deps_;  // what the route units read (routes.h)
  httplib::Server http_;
  std::thread thread_;
};

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_WORKER_SERVER_H_
