#include "maskfleet/lb/haproxy/haproxy_load_balancer.h"

#include <fmt/format.h>

namespace maskfleet::lb::haproxy {
namespace {

// srv_admin_state bits (management.txt, "show servers state").
constexpr unsigned kForcedDrain = 0x08;
constexpr unsigned kInheritedDrain = 0x10;
// srv_op_state values.
constexpr int kOpStopped = 0;
constexpr int kOpStopping = 3;

std::string DefaultEntryUrl(const HaproxyConfig& config) {
  const bool v6 = config.frontend_host.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}/", v6 ? "[" : "", config.frontend_host, v6 ? "]" : "",
                     config.frontend_port);
}

Error NoSuchServer(std::string_view id) {
  return Error{ErrorCode::kNotFound, fmt::format("load balancer: no server '{}'", id)};
}

}  // namespace

ServerState StateOfSlot(const ServerSlotState& slot) {
  // The admin mask also keeps 0x04 ("disabled" in the configuration) after a slot has
  // left maintenance, so maintenance is read from the status HAProxy shows instead.
  if (slot.status.starts_with("MAINT")) return ServerState::kMaintenance;
  // A draining server that fails its checks shows "DOWN"; the mask still says drain.
  if ((slot.admin_state & (kForcedDrain | kInheritedDrain)) != 0) return ServerState::kDraining;
  if (slot.operational_state == kOpStopped) return ServerState::kDown;
  if (slot.operational_state == kOpStopping) return ServerState::kDraining;
  return ServerState::kUp;
}

HaproxyLoadBalancer::HaproxyLoadBalancer(const HaproxyConfig& config, std::string entry_url)
    : api_(SocketPath(config)),
      entry_url_(entry_url.empty() ? DefaultEntryUrl(config) : std::move(entry_url)),
      slots_(config.slots) {
  Reset();
}

void HaproxyLoadBalancer::Reset() {
  std::lock_guard lock(mu_);
  slot_by_id_.clear();
  free_slots_.clear();
  for (int slot = 1; slot <= slots_; ++slot) free_slots_.push_back(slot);
}

Status HaproxyLoadBalancer::AddServer(const ServerAddress& server) {
  if (Status valid = ValidateServerAddress(server); !valid) return valid;
  std::lock_guard lock(mu_);
  if (slot_by_id_.contains(server.id)) {
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("load balancer: server '{}' is already added", server.id));
  }
  if (free_slots_.empty()) {
    return MakeError(ErrorCode::kResourceExhausted,
                     fmt::format("load balancer: all {} HAProxy slots are taken; server '{}' "
                                 "not added",
                                 slot_by_id_.size(), server.id));
  }
  const int slot = free_slots_.front();
  const std::string name = SlotName(slot);
  const std::string context = fmt::format("load balancer: adding server '{}'", server.id);
  if (Status s = api_.SetServerAddress(kBackendName, name, server.address, server.port); !s) {
    return std::unexpected(s.error().WithContext(context));
  }
  if (Status s = api_.ReadyServerDown(kBackendName, name); !s) {
    // Leave the slot as it was found; if even this fails, the slot is in an unknown
    // state, and the next AddServer on it sets it again from scratch.
    (void)api_.SetServerState(kBackendName, name, AdminState::kMaint);
    return std::unexpected(s.error().WithContext(context));
  }
  free_slots_.pop_front();
  slot_by_id_.emplace(server.id, slot);
  return {};
}

Status HaproxyLoadBalancer::DrainServer(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = slot_by_id_.find(id);
  if (it == slot_by_id_.end()) return std::unexpected(NoSuchServer(id));
  if (Status s = api_.SetServerState(kBackendName, SlotName(it->second), AdminState::kDrain); !s) {
    return std::unexpected(s.error().WithContext(fmt::format("load balancer: draining server '{}'", id)));
  }
  return {};
}

Status HaproxyLoadBalancer::RemoveServer(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = slot_by_id_.find(id);
  if (it == slot_by_id_.end()) return std::unexpected(NoSuchServer(id));
  if (Status s = api_.SetServerState(kBackendName, SlotName(it->second), AdminState::kMaint); !s) {
    return std::unexpected(s.error().WithContext(fmt::format("load balancer: removing server '{}'", id)));
  }
  free_slots_.push_back(it->second);
  slot_by_id_.erase(it);
  return {};
}

Result<std::vector<ServerStatus>> HaproxyLoadBalancer::ListServers() {
  std::lock_guard lock(mu_);
  Result<std::vector<ServerSlotState>> slots = api_.ShowServers(kBackendName);
  if (!slots) return std::unexpected(slots.error().WithContext("load balancer: listing servers"));
  std::map<std::string, const ServerSlotState*> by_name;
  for (const ServerSlotState& s : *slots) by_name[s.name] = &s;
  std::vector<ServerStatus> out;
  for (const auto& [id, slot] : slot_by_id_) {
    auto found = by_name.find(SlotName(slot));
    if (found == by_name.end()) {
      return MakeError(ErrorCode::kInternal,
                       fmt::format("load balancer: HAProxy has no slot {} (server '{}'): was it "
                                   "started with another configuration?",
                                   SlotName(slot), id));
    }
    const ServerSlotState& s = *found->second;
    ServerStatus status{
        .id = id,
        .address = s.address,
        .port = s.port,
        .state = StateOfSlot(s),
        .healthy = s.operational_state != kOpStopped,
        .check_status = s.check_status,
        .check_detail = s.check_description,
        .active_connections = s.current_sessions,
    };
    if (status.check_status == "INI") status.check_detail = "no check has run yet";
    if (s.check_code != 0) {
      // "Layer7 wrong status" says less than the status it got.
      status.check_detail += fmt::format("{}HTTP status {}", status.check_detail.empty() ? "" : ", ",
                                         s.check_code);
    }
    out.push_back(std::move(status));
  }
  return out;
}

Result<std::string> HaproxyLoadBalancer::SlotOf(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = slot_by_id_.find(id);
  if (it == slot_by_id_.end()) return std::unexpected(NoSuchServer(id));
  return SlotName(it->second);
}

}  // namespace maskfleet::lb::haproxy
