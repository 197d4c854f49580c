// The pool: GET /api/v1/pool, POST /api/v1/pool/grow and /shrink, PUT /api/v1/pool/size.
#include <algorithm>

#include "maskfleet/http/http_util.h"
#include "maskfleet/manager/routes.h"

namespace maskfleet::manager::routes {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

namespace {

Json BalancerJson(const std::optional<lb::ServerStatus>& s) {
  if (!s) return nullptr;
  return {{"state", lb::ServerStateName(s->state)},
          {"healthy", s->healthy},
          {"check", s->check_status},
          {"check_detail", s->check_detail},
          {"active_connections", s->active_connections}};
}

// The balancer's word on a worker, for people: "up (L7OK)", "down (Target.FailedHealthChecks)".
std::string BalancerHealth(const lb::ServerStatus& s) {
  std::string text(lb::ServerStateName(s.state));
  if (!s.check_status.empty()) text += " (" + s.check_status + ")";
  return text;
}

Json WorkerJson(const WorkerView& w) {
  Json details = Json::object();
  for (const auto& [key, value] : w.info.details) details[key] = value;
  // The pool's labelled details in its order, then the balancer's health check.
  Json labelled = Json::array();
  for (const auto& [label, value] : w.info.labelled_details) labelled.push_back({label, value});
  if (w.balancer) labelled.push_back({"load balancer", BalancerHealth(*w.balancer)});
  return {{"id", w.info.id},
          {"address", w.info.address},
          {"port", w.info.port},
          {"state", pool::WorkerStateName(w.info.state)},
          {"launched_at", http::IsoTime(w.info.launched_at)},
          {"state_since", http::IsoTime(w.info.state_since)},
          {"reason", w.info.reason},
          {"details", std::move(details)},
          {"labelled_details", std::move(labelled)},
          {"balancer", BalancerJson(w.balancer)}};
}

void Resized(Response& res, Result<int> size) {
  if (!size) return Fail(res, size.error());
  http::RespondJson(res, 202, {{"desired_size", *size}});
}

}  // namespace

void RegisterPoolRoutes(httplib::Server& server, const Deps& d) {
  PoolController& controller = d.services.controller;
  server.Get("/api/v1/pool", [&d, &controller](const Request& req, Response& res) {
    if (!Admin(d, req, res, false)) return;
    const PoolView view = controller.View();
    Json workers = Json::array();
    for (const WorkerView& w : view.workers) workers.push_back(WorkerJson(w));
    http::RespondJson(
        res, 200,
        {{"desired_size", view.desired_size},
         {"counts",
          {{"starting", view.starting}, {"in_service", view.in_service}, {"draining", view.draining}}},
         {"load_balancer", {{"kind", d.facts.balancer_kind}, {"entry_url", d.facts.entry_url}}},
         {"cpu_limit",
          {{"mechanism", d.facts.cpu_limit},
           {"allotment_cpus", d.facts.allotment_cpus},
           {"note", d.facts.cpu_limit_note}}},
         {"bounds", {{"min", controller.min_size()}, {"max", controller.max_size()}}},
         {"workers", std::move(workers)}});
  });
  server.Post("/api/v1/pool/grow", [&d, &controller](const Request& req, Response& res) {
    if (!Admin(d, req, res, true)) return;
    Resized(res, controller.Grow());
  });
  server.Post("/api/v1/pool/shrink", [&d, &controller](const Request& req, Response& res) {
    if (!Admin(d, req, res, true)) return;
    Resized(res, controller.Shrink());
  });
  server.Put("/api/v1/pool/size", [&d, &controller](const Request& req, Response& res) {
    if (!Admin(d, req, res, true)) return;
    Result<Json> body = http::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    if (!body->contains("size") || !(*body)["size"].is_number_integer()) {
      return Fail(res, {ErrorCode::kInvalidArgument, "size must be a whole number"});
    }
    const std::int64_t size = (*body)["size"].get<std::int64_t>();
    Resized(res, controller.SetDesiredSize(static_cast<int>(std::clamp<std::int64_t>(size, -1, 1000))));
  });
}

}  // namespace maskfleet::manager::routes
