// GET /healthz (liveness), GET /readyz (readiness) and GET /metrics.
#include "maskfleet/http/http_util.h"
#include "maskfleet/observability/metrics.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker::routes {

using httplib::Request;
using httplib::Response;

void RegisterOperationRoutes(httplib::Server& server, const Deps& d) {
  const auto answer = [&d](Response& res, const Status& fine) {
    http::RespondJson(res, fine ? 200 : 503,
                      {{"status", fine ? "ok" : "unavailable"},
                       {"worker", d.name},
                       {"detail", fine ? "" : fine.error().message}});
  };
  server.Get("/healthz", Route("/healthz", [&d, answer](const Request&, Response& res) {
               answer(res, d.hooks.health ? d.hooks.health() : Status());
             }));
  server.Get("/readyz", Route("/readyz", [&d, answer](const Request&, Response& res) {
               const auto& check = d.hooks.ready ? d.hooks.ready : d.hooks.health;
               answer(res, check ? check() : Status());
             }));
  // /metrics is for the manager, which reads each worker at its own address. A request
  // that came through a load balancer (HAProxy and AWS's both add X-Forwarded-For) is
  // from the outside: it gets the same 404 as any unknown path. HAProxy also refuses
  // the path itself (lb/haproxy/haproxy_config.cc); this holds behind any balancer.
  server.Get("/metrics", Route("/metrics", [&d](const Request& req, Response& res) {
               if (req.has_header("X-Forwarded-For") || req.has_header("Forwarded")) {
                 return FailV1(res, http::ErrorForStatus(req, 404));
               }
               res.set_content(d.hooks.metrics ? d.hooks.metrics() : "",
                               std::string(observability::kMetricsContentType));
             }));
}

}  // namespace maskfleet::worker::routes
