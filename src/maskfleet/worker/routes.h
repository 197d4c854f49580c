// What the worker's route units share (private to worker/): the request's context,
// the two error styles, and the parts the handlers call. One unit per resource:
// operation_routes.cc (/healthz, /metrics), testing_api_routes.cc (the specification's
// /api/register and /api/upload), account_routes.cc (sessions, passwords, users),
// image_routes.cc (/api/v1/images), page_routes.cc (pages and static files).
#ifndef MASKFLEET_WORKER_ROUTES_H_
#define MASKFLEET_WORKER_ROUTES_H_

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include <httplib.h>

#include "maskfleet/accounts/account_service.h"
#include "maskfleet/common/error.h"
#include "maskfleet/http/account_routes.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/photos/image_store.h"
#include "maskfleet/worker/photo_service.h"
#include "maskfleet/worker/worker_server.h"

namespace maskfleet::worker::routes {

struct Deps;

// What the pre-routing handler learns about a request, for the handlers and the
// logger, which run on the same server thread.
struct RequestContext {
  std::string id;
  std::string route = "unmatched";
  std::chrono::steady_clock::time_point start;
};
// The request this server thread is serving (worker_server.cc sets it).
extern thread_local RequestContext current;

// An error answer in the /api/v1 style, or the specification's (/api/register, /api/upload).
void FailV1(httplib::Response& res, const Error& error);
void FailSpec(httplib::Response& res, const Error& error);

// Names the route for metrics and logs, then runs `handler`.
httplib::Server::Handler Route(std::string label, httplib::Server::Handler handler);

// What a POST route registers: `handler` with its body bounded by the largest upload
// whatever its framing (http::BoundedBody), refused in the specification's style when
// `spec` and in /api/v1's otherwise.
httplib::Server::HandlerWithContentReader Bounded(const Deps& deps, httplib::Server::Handler handler,
                                                  bool spec = false);

// The id in the path's first group. Errors: kNotFound when it is no number.
Result<std::int64_t> PathId(const httplib::Request& req);

// What the handlers use; owned by the WorkerServer, so it outlives them.
struct Deps {
  accounts::AccountService& accounts;
  const http::AccountRoutes& account_routes;
  PhotoService& photos;
  photos::ImageStore& images;
  objectstore::ObjectStore& objects;
  const ServerHooks& hooks;
  const ServerOptions& options;
  // "<host>:<port>" or the configured name; set by Start() before the first request.
  const std::string& name;
};

// An uploaded file's bytes.
std::span<const std::uint8_t> FileBytes(const httplib::MultipartFormData& file);

// The address login rate limits count by: X-Forwarded-For's first when trusted.
std::string ClientAddress(const httplib::Request& req, bool trust_forwarded_for);

void RegisterOperationRoutes(httplib::Server& server, const Deps& deps);
void RegisterTestingApiRoutes(httplib::Server& server, const Deps& deps);
void RegisterAccountRoutes(httplib::Server& server, const Deps& deps);
void RegisterImageRoutes(httplib::Server& server, const Deps& deps);
void RegisterPageRoutes(httplib::Server& server, const Deps& deps);

}  // namespace maskfleet::worker::routes

#endif  // MASKFLEET_WORKER_ROUTES_H_
