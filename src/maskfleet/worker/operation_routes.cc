// GET /healthz and GET /metrics.
#include "maskfleet/http/http_util.h"
#include "maskfleet/observability/metrics.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker::routes {

using httplib::Request;
using httplib::Response;

void RegisterOperationRoutes(httplib::Server& server, const Deps& d) {
  server.Get("/healthz", Route("/healthz", [&d](const Request&, Response& res) {
    const Status healthy = d.hooks.health ? d.hooks.health() : Status();
    http::RespondJson(res, healthy ? 200 : 503,
                      {{"status", healthy ? "ok" : "unavailable"},
                       {"worker", d.name},
                       {"detail", healthy ? "" : healthy.error().message}});
  }));
  server.Get("/metrics", Route("/metrics", [&d](const Request&, Response& res) {
    res.set_content(d.hooks.metrics ? d.hooks.metrics() : "", std::string(observability::kMetricsContentType));
  }));
}

}  // namespace maskfleet::worker::routes
