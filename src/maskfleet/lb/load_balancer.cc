#include "maskfleet/lb/load_balancer.h"

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

}  // namespace maskfleet::lb
