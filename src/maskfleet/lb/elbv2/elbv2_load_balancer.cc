#include "maskfleet/lb/elbv2/elbv2_load_balancer.h"

namespace maskfleet::lb::elbv2 {
namespace {

using aws::Idempotency;

ServerState StateOf(std::string_view target_state) {
  if (target_state == "healthy") return ServerState::kUp;
  if (target_state == "draining") return ServerState::kDraining;
  return ServerState::kDown;  // initial, unhealthy, unused, unavailable
}

}  // namespace

Result<std::unique_ptr<Elbv2LoadBalancer>> Elbv2LoadBalancer::Open(std::shared_ptr<aws::Client> client,
                                                                   Elbv2LoadBalancerOptions options) {
  if (options.target_group_arn.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "elbv2: no target group ARN");
  }
  if (options.entry_url.empty()) return MakeError(ErrorCode::kInvalidArgument, "elbv2: no entry URL");
  if (!options.entry_url.ends_with('/')) options.entry_url += '/';
  auto groups = client->Query(aws::kElbv2, "DescribeTargetGroups",
                              {{"TargetGroupArns.member.1", options.target_group_arn}},
                              Idempotency::kIdempotent);
  if (!groups) return std::unexpected(aws::ToError(groups.error()));
  std::vector<std::string> load_balancers;
  for (pugi::xml_node group :
       groups->root().child("DescribeTargetGroupsResult").child("TargetGroups").children("member")) {
    for (pugi::xml_node arn : group.child("LoadBalancerArns").children("member")) {
      load_balancers.emplace_back(arn.child_value());
    }
  }
  return std::unique_ptr<Elbv2LoadBalancer>(
      new Elbv2LoadBalancer(std::move(client), std::move(options), std::move(load_balancers)));
}

Status Elbv2LoadBalancer::AddServer(const ServerAddress& server) {
  if (Status st = ValidateServerAddress(server); !st) return st;
  std::lock_guard lock(mu_);
  if (servers_.contains(server.id)) {
    return MakeError(ErrorCode::kAlreadyExists, "elbv2: server " + server.id + " is already added");
  }
  // Registering a registered target again changes nothing: safe to repeat.
  auto registered = client_->Query(aws::kElbv2, "RegisterTargets",
                                   {{"TargetGroupArn", options_.target_group_arn},
                                    {"Targets.member.1.Id", server.id},
                                    {"Targets.member.1.Port", std::to_string(server.port)}},
                                   Idempotency::kIdempotent);
  if (!registered) return std::unexpected(aws::ToError(registered.error()).WithContext("add " + server.id));
  servers_.emplace(server.id, Added{server});
  return {};
}

Status Elbv2LoadBalancer::Deregister(const std::string& id, std::uint16_t port) {
  auto deregistered = client_->Query(aws::kElbv2, "DeregisterTargets",
                                     {{"TargetGroupArn", options_.target_group_arn},
                                      {"Targets.member.1.Id", id},
                                      {"Targets.member.1.Port", std::to_string(port)}},
                                     Idempotency::kIdempotent);
  if (!deregistered) return std::unexpected(aws::ToError(deregistered.error()));
  return {};
}

Status Elbv2LoadBalancer::DrainServer(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = servers_.find(id);
  if (it == servers_.end()) return MakeError(ErrorCode::kNotFound, "elbv2: no server " + std::string(id));
  if (it->second.drained) return {};
  if (Status st = Deregister(it->first, it->second.address.port); !st) {
    return std::unexpected(st.error().WithContext("drain " + it->first));
  }
  it->second.drained = true;
  return {};
}

Status Elbv2LoadBalancer::RemoveServer(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = servers_.find(id);
  if (it == servers_.end()) return MakeError(ErrorCode::kNotFound, "elbv2: no server " + std::string(id));
  if (!it->second.drained) {
    if (Status st = Deregister(it->first, it->second.address.port); !st) {
      return std::unexpected(st.error().WithContext("remove " + it->first));
    }
  }
  servers_.erase(it);
  return {};
}

Result<std::vector<ServerStatus>> Elbv2LoadBalancer::ListServers() {
  std::lock_guard lock(mu_);
  auto health = client_->Query(aws::kElbv2, "DescribeTargetHealth",
                               {{"TargetGroupArn", options_.target_group_arn}}, Idempotency::kIdempotent);
  if (!health) return std::unexpected(aws::ToError(health.error()));
  struct Seen {
    std::string state, reason, description;
  };
  std::map<std::string, Seen> seen;
  for (pugi::xml_node member : health->root()
                                   .child("DescribeTargetHealthResult")
                                   .child("TargetHealthDescriptions")
                                   .children("member")) {
    const pugi::xml_node target_health = member.child("TargetHealth");
    seen[member.child("Target").child_value("Id")] = Seen{target_health.child_value("State"),
                                                          target_health.child_value("Reason"),
                                                          target_health.child_value("Description")};
  }
  std::vector<ServerStatus> servers;
  for (const auto& [id, added] : servers_) {  // ordered by id
    ServerStatus status{.id = id, .address = added.address.address, .port = added.address.port};
    auto it = seen.find(id);
    if (it != seen.end()) {
      status.state = StateOf(it->second.state);
      status.healthy = it->second.state == "healthy";
      status.check_status = it->second.reason;
      status.check_detail = it->second.description;
    }
    // Drained: the ALB may list it as draining, or no longer at all once drained.
    if (added.drained) status.state = ServerState::kDraining;
    servers.push_back(std::move(status));
  }
  return servers;
}

}  // namespace maskfleet::lb::elbv2
