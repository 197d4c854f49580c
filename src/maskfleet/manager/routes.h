// What the manager's route units share (private to manager/): the error answer, the
// administrator check, and the parts the handlers call. One unit per resource:
// pool_routes.cc (/api/v1/pool), metrics_routes.cc (/api/v1/metrics), policy_routes.cc
// (/api/v1/policy, /api/v1/decisions), data_routes.cc (/api/v1/data/delete,
// /api/v1/manager/stop), page_routes.cc (pages and static files); the session and
// password routes are the shared ones (http/account_routes.h).
#ifndef MASKFLEET_MANAGER_ROUTES_H_
#define MASKFLEET_MANAGER_ROUTES_H_

#include <httplib.h>

#include "maskfleet/common/error.h"
#include "maskfleet/http/account_routes.h"
#include "maskfleet/manager/manager_server.h"

namespace maskfleet::manager::routes {

// An error answer in the /api/v1 style, with this request's id.
void Fail(httplib::Response& res, const Error& error);

// What the handlers use; owned by the ManagerServer, so it outlives them.
struct Deps {
  ManagerServices& services;
  const PoolFacts& facts;
  const ManagerServerOptions& options;
  const http::AccountRoutes& account_routes;
};

// Whether the caller is an administrator who may use the manager: logged in, past the
// initial password change, with the CSRF token when `changes_state`. When not, the
// answer is written and false returned.
bool Admin(const Deps& deps, const httplib::Request& req, httplib::Response& res, bool changes_state);

void RegisterPoolRoutes(httplib::Server& server, const Deps& deps);
void RegisterMetricsRoutes(httplib::Server& server, const Deps& deps);
void RegisterPolicyRoutes(httplib::Server& server, const Deps& deps);
void RegisterDataRoutes(httplib::Server& server, const Deps& deps);
void RegisterPageRoutes(httplib::Server& server, const Deps& deps);

}  // namespace maskfleet::manager::routes

#endif  // MASKFLEET_MANAGER_ROUTES_H_
