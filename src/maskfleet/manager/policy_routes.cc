// The auto-scaler's policy (GET and PUT /api/v1/policy) and its decisions
// (GET /api/v1/decisions).
#include <spdlog/spdlog.h>

#include "maskfleet/http/http_util.h"
#include "maskfleet/manager/routes.h"

namespace maskfleet::manager::routes {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

namespace {

// The policy, and the warnings on it (scaler::Warnings) under "warnings".
Json PolicyJson(const scaler::ScalingPolicy& p, std::chrono::seconds metrics_period) {
  Json warnings = Json::array();
  for (const scaler::PolicyWarning& w : scaler::Warnings(p, metrics_period)) {
    warnings.push_back({{"field", w.field}, {"message", w.message}});
  }
  return {{"grow_threshold", p.grow_threshold},
          {"shrink_threshold", p.shrink_threshold},
          {"expand_ratio", p.expand_ratio},
          {"shrink_ratio", p.shrink_ratio},
          {"min_workers", p.min_workers},
          {"max_workers", p.max_workers},
          {"check_interval_seconds", p.check_interval.count()},
          {"window_seconds", p.window.count()},
          {"shrink_stabilisation_seconds", p.shrink_stabilisation.count()},
          {"paused", p.paused},
          {"warnings", std::move(warnings)}};
}

// The whole policy object; every field is required, so that a client that forgot one
// does not silently reset it to its default.
Result<scaler::ScalingPolicy> PolicyFromJson(const Json& body) {
  scaler::ScalingPolicy p;
  const auto number = [&body](const char* field, double& out) -> Status {
    if (!body.contains(field) || !body[field].is_number()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " must be a number");
    }
    out = body[field].get<double>();
    return {};
  };
  const auto whole = [&body](const char* field, auto& out) -> Status {
    if (!body.contains(field) || !body[field].is_number_integer()) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " must be a whole number");
    }
    const std::int64_t v = body[field].get<std::int64_t>();
    if (v < -1'000'000'000 || v > 1'000'000'000) {
      return MakeError(ErrorCode::kInvalidArgument, std::string(field) + " is out of range");
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    return {};
  };
  std::int64_t check = 0, window = 0, stabilisation = 0;
  for (Status s : {number("grow_threshold", p.grow_threshold), number("shrink_threshold", p.shrink_threshold),
                   number("expand_ratio", p.expand_ratio), number("shrink_ratio", p.shrink_ratio),
                   whole("min_workers", p.min_workers), whole("max_workers", p.max_workers),
                   whole("check_interval_seconds", check), whole("window_seconds", window),
                   whole("shrink_stabilisation_seconds", stabilisation)}) {
    if (!s) return std::unexpected(s.error());
  }
  if (!body.contains("paused") || !body["paused"].is_boolean()) {
    return MakeError(ErrorCode::kInvalidArgument, "paused must be true or false");
  }
  p.paused = body["paused"].get<bool>();
  p.check_interval = std::chrono::seconds(check);
  p.window = std::chrono::seconds(window);
  p.shrink_stabilisation = std::chrono::seconds(stabilisation);
  if (Status valid = scaler::Validate(p); !valid) return std::unexpected(valid.error());
  return p;
}

}  // namespace

void RegisterPolicyRoutes(httplib::Server& server, const Deps& d) {
  ManagerServices& s = d.services;
  server.Get("/api/v1/policy", [&d, &s](const Request& req, Response& res) {
    if (!Admin(d, req, res, false)) return;
    Result<scaler::ScalingPolicy> policy = s.policies.Load();
    if (!policy) return Fail(res, policy.error());
    http::RespondJson(res, 200, PolicyJson(*policy, d.options.metrics_period));
  });
  server.Put("/api/v1/policy", [&d, &s](const Request& req, Response& res) {
    if (!Admin(d, req, res, true)) return;
    Result<Json> body = http::ParseJsonObject(req);
    if (!body) return Fail(res, body.error());
    Result<scaler::ScalingPolicy> policy = PolicyFromJson(*body);
    if (!policy) return Fail(res, policy.error());
    if (Status saved = s.policies.Save(*policy); !saved) return Fail(res, saved.error());
    const Json answer = PolicyJson(*policy, d.options.metrics_period);
    spdlog::info("auto-scaling policy changed: {}", answer.dump());
    http::RespondJson(res, 200, answer);
  });
  server.Get("/api/v1/decisions", [&d, &s](const Request& req, Response& res) {
    if (!Admin(d, req, res, false)) return;
    Result<std::int64_t> limit = http::IntParam(req, "limit", 50, 1, 500);
    if (!limit) return Fail(res, limit.error());
    Result<std::vector<DecisionRecord>> records = s.decisions.Recent(static_cast<int>(*limit));
    if (!records) return Fail(res, records.error());
    Json out = Json::array();
    for (const DecisionRecord& r : *records) {
      out.push_back({{"time", http::IsoTime(r.time)},
                     {"average_cpu", r.average_cpu ? Json(*r.average_cpu) : Json(nullptr)},
                     {"size_before", r.size_before},
                     {"size_after", r.size_after},
                     {"action", r.action},
                     {"reason", r.reason}});
    }
    http::RespondJson(res, 200, {{"decisions", std::move(out)}});
  });
}

}  // namespace maskfleet::manager::routes
