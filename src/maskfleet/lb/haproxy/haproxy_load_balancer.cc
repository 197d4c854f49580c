#include "maskfleet/lb/haproxy/haproxy_load_balancer.h"

#include <algorithm>

#include <fmt/format.h>

#include "maskfleet/process/proc_stat.h"

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

std::string AddressKey(std::string_view address, std::uint16_t port) {
  return fmt::format("{}:{}", address, port);
}

// 3 for "w3"; 0 for a name of another form.
int SlotNumber(std::string_view name) {
  if (name.size() < 2 || name[0] != 'w') return 0;
  int n = 0;
  for (char c : name.substr(1)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n;
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
  unclaimed_.clear();
  free_slots_.clear();
  for (int slot = 1; slot <= slots_; ++slot) free_slots_.push_back(slot);
}

Result<int> HaproxyLoadBalancer::AdoptSlots() {
  Reset();
  Result<std::vector<ServerSlotState>> slots = api_.ShowServers(kBackendName);
  if (!slots) return std::unexpected(slots.error().WithContext("load balancer: reading HAProxy's slots"));
  std::lock_guard lock(mu_);
  for (const ServerSlotState& s : *slots) {
    const ServerState state = StateOfSlot(s);
    if (state == ServerState::kMaintenance) continue;
    if (state == ServerState::kDraining) {
      // On its way out when the earlier manager stopped: emptied (it finishes what it
      // serves); a pool that keeps its worker adds it again to a fresh slot.
      (void)api_.SetServerState(kBackendName, s.name, AdminState::kMaint);
      continue;
    }
    const int slot = SlotNumber(s.name);
    auto free = std::find(free_slots_.begin(), free_slots_.end(), slot);
    if (free == free_slots_.end()) continue;
    free_slots_.erase(free);
    unclaimed_[AddressKey(s.address, s.port)] = slot;
  }
  return static_cast<int>(unclaimed_.size());
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
  if (auto adopted = unclaimed_.find(AddressKey(server.address, server.port)); adopted != unclaimed_.end()) {
    slot_by_id_.emplace(server.id, adopted->second);
    unclaimed_.erase(adopted);
    return {};
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
  // An adopted slot that nobody claimed and whose server is down is emptied.
  for (auto it = unclaimed_.begin(); it != unclaimed_.end();) {
    auto found = by_name.find(SlotName(it->second));
    const bool down = found == by_name.end() || found->second->operational_state == kOpStopped;
    if (!down || !api_.SetServerState(kBackendName, SlotName(it->second), AdminState::kMaint)) {
      ++it;
      continue;
    }
    free_slots_.push_back(it->second);
    it = unclaimed_.erase(it);
  }
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

Result<EntryRequestCounts> HaproxyLoadBalancer::ReadEntryRequestCounts() const {
  Result<FrontendCounters> counters = api_.ShowFrontendCounters(kFrontendName);
  if (!counters)
    return std::unexpected(counters.error().WithContext("load balancer: reading the request counts"));
  EntryRequestCounts counts{std::to_string(counters->pid), counters->requests, counters->answered_below_500};
  if (Result<process::ProcStat> stat = process::ReadProcStat(counters->pid); stat) {
    counts.generation += "-" + std::to_string(stat->start_ticks);
  }
  return counts;
}

Result<std::string> HaproxyLoadBalancer::SlotOf(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = slot_by_id_.find(id);
  if (it == slot_by_id_.end()) return std::unexpected(NoSuchServer(id));
  return SlotName(it->second);
}

}  // namespace maskfleet::lb::haproxy
