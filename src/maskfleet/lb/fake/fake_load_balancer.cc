#include "maskfleet/lb/fake/fake_load_balancer.h"

namespace maskfleet::lb {
namespace {

Error NoSuchServer(std::string_view id) {
  return Error{ErrorCode::kNotFound, "load balancer: no server '" + std::string(id) + "'"};
}

// A draining server stays draining whatever its checks say; others follow them.
void ApplyHealth(ServerStatus& s, bool healthy) {
  s.healthy = healthy;
  s.check_status = healthy ? "L7OK" : "L7STS";
  s.check_detail = healthy ? "HTTP status 200" : "HTTP status 503";
  if (s.state != ServerState::kDraining) s.state = healthy ? ServerState::kUp : ServerState::kDown;
}

}  // namespace

std::optional<Error> FakeLoadBalancer::NextFailure() {
  ++calls_;
  if (down_) return Error{ErrorCode::kUnavailable, "load balancer: fake is down"};
  if (failures_left_ > 0) {
    --failures_left_;
    return failure_;
  }
  return std::nullopt;
}

Status FakeLoadBalancer::AddServer(const ServerAddress& server) {
  std::lock_guard lock(mu_);
  if (std::optional<Error> failure = NextFailure()) return std::unexpected(*failure);
  if (Status valid = ValidateServerAddress(server); !valid) return valid;
  if (servers_.contains(server.id)) {
    return MakeError(ErrorCode::kAlreadyExists, "load balancer: server '" + server.id + "' is already added");
  }
  if (servers_.size() >= options_.capacity) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "load balancer: full; server '" + server.id + "' not added");
  }
  ServerStatus status{.id = server.id,
                      .address = server.address,
                      .port = server.port,
                      .state = ServerState::kDown,
                      .healthy = false,
                      .check_status = "INI",
                      .check_detail = "no check has run yet",
                      .active_connections = 0};
  if (options_.healthy_on_add) ApplyHealth(status, true);
  servers_.emplace(server.id, std::move(status));
  return {};
}

Status FakeLoadBalancer::DrainServer(std::string_view id) {
  std::lock_guard lock(mu_);
  if (std::optional<Error> failure = NextFailure()) return std::unexpected(*failure);
  auto it = servers_.find(id);
  if (it == servers_.end()) return std::unexpected(NoSuchServer(id));
  it->second.state = ServerState::kDraining;
  return {};
}

Status FakeLoadBalancer::RemoveServer(std::string_view id) {
  std::lock_guard lock(mu_);
  if (std::optional<Error> failure = NextFailure()) return std::unexpected(*failure);
  auto it = servers_.find(id);
  if (it == servers_.end()) return std::unexpected(NoSuchServer(id));
  servers_.erase(it);
  return {};
}

Result<std::vector<ServerStatus>> FakeLoadBalancer::ListServers() {
  std::lock_guard lock(mu_);
  ++list_calls_;
  if (std::optional<Error> failure = NextFailure()) return std::unexpected(*failure);
  std::vector<ServerStatus> out;
  for (const auto& [id, status] : servers_) out.push_back(status);
  return out;
}

Status FakeLoadBalancer::SetHealthy(std::string_view id, bool healthy) {
  std::lock_guard lock(mu_);
  auto it = servers_.find(id);
  if (it == servers_.end()) return std::unexpected(NoSuchServer(id));
  ApplyHealth(it->second, healthy);
  return {};
}

Status FakeLoadBalancer::SetActiveConnections(std::string_view id, int connections) {
  std::lock_guard lock(mu_);
  auto it = servers_.find(id);
  if (it == servers_.end()) return std::unexpected(NoSuchServer(id));
  it->second.active_connections = connections;
  return {};
}

void FakeLoadBalancer::FailNextCalls(int count, Error error) {
  std::lock_guard lock(mu_);
  failures_left_ = count;
  failure_ = std::move(error);
}

void FakeLoadBalancer::SetDown(bool down) {
  std::lock_guard lock(mu_);
  down_ = down;
}

std::optional<ServerStatus> FakeLoadBalancer::Find(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = servers_.find(id);
  if (it == servers_.end()) return std::nullopt;
  return it->second;
}

int FakeLoadBalancer::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

int FakeLoadBalancer::list_calls() const {
  std::lock_guard lock(mu_);
  return list_calls_;
}

}  // namespace maskfleet::lb
