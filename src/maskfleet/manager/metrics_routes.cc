// GET /api/v1/metrics: every worker's CPU and requests per minute, and the pool's size.
#include <algorithm>

#include "maskfleet/http/http_util.h"
#include "maskfleet/manager/routes.h"

namespace maskfleet::manager::routes {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

namespace {

Json OptionalSeries(const std::vector<std::optional<double>>& values) {
  Json out = Json::array();
  for (const std::optional<double>& v : values) out.push_back(v ? Json(*v) : Json(nullptr));
  return out;
}

}  // namespace

void RegisterMetricsRoutes(httplib::Server& server, const Deps& d) {
  server.Get("/api/v1/metrics", [&d](const Request& req, Response& res) {
    if (!Admin(d, req, res, false)) return;
    ManagerServices& s = d.services;
    Result<std::int64_t> minutes = http::IntParam(req, "minutes", 30, 1, 360);
    if (!minutes) return Fail(res, minutes.error());
    const metrics::MinuteRange range = metrics::MinutesUpTo(s.clock.Now(), static_cast<int>(*minutes));
    // The pool's workers, then those of an earlier run with data in the range (the
    // pool forgets them at a restart; their charts stay).
    std::vector<std::string> ids;
    for (const WorkerView& w : s.controller.View().workers) ids.push_back(w.info.id);
    Result<std::vector<std::string>> with_data = s.metrics.WorkersWithData(range);
    if (!with_data) return Fail(res, with_data.error());
    for (std::string& id : *with_data) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
    Result<std::vector<metrics::WorkerSeries>> series = s.metrics.Samples(ids, range);
    if (!series) return Fail(res, series.error());
    Result<std::vector<std::optional<metrics::PoolSize>>> sizes = s.metrics.PoolSizes(range);
    if (!sizes) return Fail(res, sizes.error());

    Json minute_starts = Json::array();
    for (std::size_t i = 0; i < range.size(); ++i)
      minute_starts.push_back(range.minute(i).time_since_epoch().count());
    Json in_service = Json::array();
    Json starting = Json::array();
    for (const std::optional<metrics::PoolSize>& size : *sizes) {
      in_service.push_back(size ? Json(size->in_service) : Json(nullptr));
      starting.push_back(size ? Json(size->starting) : Json(nullptr));
    }
    Json workers = Json::array();
    for (const metrics::WorkerSeries& w : *series) {
      workers.push_back({{"id", w.worker_id},
                         {"cpu_percent", OptionalSeries(w.cpu_percent)},
                         {"requests_per_minute", OptionalSeries(w.requests_per_minute)}});
    }
    http::RespondJson(
        res, 200,
        {{"minutes", std::move(minute_starts)},
         {"pool_size", {{"in_service", std::move(in_service)}, {"starting", std::move(starting)}}},
         {"workers", std::move(workers)}});
  });
}

}  // namespace maskfleet::manager::routes
