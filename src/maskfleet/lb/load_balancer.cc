#include "maskfleet/lb/load_balancer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace maskfleet::lb {

std::string_view ServerStateName(ServerState state) {
  switch (state) {
    case ServerState::kUp: return "up";
    case ServerState::kDown: return "down";
    case ServerState::kDraining: return "draining";
    case ServerState::kMaintenance: return "maintenance";
  }
  return "down";
}

Status ValidateServerAddress(const ServerAddress& server) {
  if (server.id.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "load balancer: empty server id");
  }
  unsigned char buffer[sizeof(in6_addr)];
  const bool numeric = inet_pton(AF_INET, server.address.c_str(), buffer) == 1 ||
                       inet_pton(AF_INET6, server.address.c_str(), buffer) == 1;
  if (!numeric || server.port == 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "load balancer: server '" + server.id + "': '" + server.address + "' port " +
                         std::to_string(server.port) + " is not a numeric address and a port");
  }
  return {};
}

}  // namespace maskfleet::lb
