// "Delete all data" (POST /api/v1/data/delete, after a confirmation) and "stop manager"
// (POST /api/v1/manager/stop).
#include <spdlog/spdlog.h>

#include "maskfleet/http/http_util.h"
#include "maskfleet/manager/routes.h"

namespace maskfleet::manager::routes {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

void RegisterDataRoutes(httplib::Server& server, const Deps& d) {
  server.Post("/api/v1/data/delete", [&d](const Request& req, Response& res) {
    if (!Admin(d, req, res, true)) return;
    Result<Json> body = http::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    Result<std::string> confirm = http::JsonString(*body, "confirm", true);
    if (!confirm) return Fail(res, confirm.error());
    if (*confirm != "delete all data") {
      return Fail(res, {ErrorCode::kInvalidArgument,
                        "to delete every image and stored object, send {\"confirm\": \"delete all data\"}"});
    }
    Result<photos::ErasedData> erased = d.services.eraser.EraseAll();
    if (!erased) return Fail(res, erased.error());
    spdlog::warn("delete all data: {} images and {} objects deleted", erased->images_deleted,
                 erased->objects_deleted);
    http::RespondJson(
        res, 200, {{"images_deleted", erased->images_deleted}, {"objects_deleted", erased->objects_deleted}});
  });
  server.Post("/api/v1/manager/stop", [&d](const Request& req, Response& res) {
    if (!Admin(d, req, res, true)) return;
    spdlog::warn("stop requested from the UI");
    http::RespondJson(res, 202, {{"stopping", true}});
    if (d.options.request_stop) d.options.request_stop();
  });
}

}  // namespace maskfleet::manager::routes
