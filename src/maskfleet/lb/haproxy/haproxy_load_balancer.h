// HaproxyLoadBalancer: the LoadBalancer of the local mode, an HAProxy whose server
// slots (haproxy_config.h) it fills and empties through the runtime API.
//
// It does not start HAProxy; HaproxyProcess does. The manager holds both:
//
//   HaproxyConfig config{.state_dir = data_dir / "haproxy", .frontend_port = 8080};
//   HaproxyProcess process(config);
//   if (Status s = process.Start(); !s) ...;
//   HaproxyLoadBalancer balancer(config);
//   balancer.AddServer({.id = "worker-1", .address = "127.0.0.1", .port = 9001});
//   ...
//   process.Stop();  // soft stop: requests in flight finish
//
// Slots: a server takes the free slot that has been free the longest (slots are used
// in turn, w1, w2, ... w64, w1 ...), so that a slot just emptied, whose last requests
// may still be in flight and whose statistics still describe the old worker, is not
// given to the next worker at once. Which id holds which slot is kept in memory only:
// a new HaproxyLoadBalancer starts with every slot free, as a freshly started HAProxy
// has them. If HAProxy is restarted under a live HaproxyLoadBalancer, call Reset() and
// add the servers again.
//
// Taking over an HAProxy that an earlier manager left running (HaproxyProcess adopts
// it): AdoptSlots() reads its slots; each one that holds a server is kept as it is
// (but a draining one is emptied), unclaimed, so that the requests it serves go on. AddServer of a server at
// that slot's address and port claims the slot without touching it (no new health check, no gap); an
// unclaimed slot whose server is down (a worker that the new pool stopped or found gone) is emptied by the
// next ListServers.
//
// Adding: the slot gets the address, then leaves maintenance marked down, so that it
// receives requests only after its first passed health check. Draining is HAProxy's
// "drain" state; removing puts the slot back into maintenance, which cuts nothing in
// flight.
//
// Thread safety: safe across threads; calls are serialised by a mutex (each is one to
// three runtime API commands on loopback, well under a millisecond).
#ifndef MASKFLEET_LB_HAPROXY_HAPROXY_LOAD_BALANCER_H_
#define MASKFLEET_LB_HAPROXY_HAPROXY_LOAD_BALANCER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "maskfleet/lb/haproxy/haproxy_config.h"
#include "maskfleet/lb/haproxy/runtime_api.h"
#include "maskfleet/lb/load_balancer.h"

namespace maskfleet::lb::haproxy {

// The requests people sent through the entry frontend, cumulative since the HAProxy
// process that counted them started.
struct EntryRequestCounts {
  // Names that process: "<pid>-<start time in clock ticks after boot>" ("<pid>" where
  // /proc does not show it), so that a restarted HAProxy, or another one adopted, is
  // told from the one before even when its counters have grown past the old ones.
  std::string generation;
  // Requests received (FrontendCounters::requests).
  std::uint64_t offered = 0;
  // Of those, the ones answered below 500 (FrontendCounters::answered_below_500): served
  // by a worker, not refused with 503 by HAProxy or a worker, not failed.
  std::uint64_t served = 0;
};

class HaproxyLoadBalancer : public LoadBalancer {
 public:
  // Drives the HAProxy that runs with `config`. `entry_url` is what EntryUrl() returns;
  // empty (the default) means "http://<frontend_host>:<frontend_port>/".
  explicit HaproxyLoadBalancer(const HaproxyConfig& config, std::string entry_url = "");

  Status AddServer(const ServerAddress& server) override;
  Status DrainServer(std::string_view id) override;
  Status RemoveServer(std::string_view id) override;
  Result<std::vector<ServerStatus>> ListServers() override;
  std::string EntryUrl() const override { return entry_url_; }
  // 0: a ListServers() is one runtime API command on loopback.
  std::chrono::milliseconds ListInterval() const override { return std::chrono::milliseconds(0); }

  // Forgets every server: all slots free, as a freshly started HAProxy has them. For
  // after a restart of HAProxy (the caller then adds its servers again).
  void Reset();

  // Forgets every server, then takes the slots of a running HAProxy as it has them
  // (above). Returns the number of unclaimed slots taken. Errors: the runtime API's
  // (kUnavailable ...), with every slot free then.
  Result<int> AdoptSlots();

  // The entry frontend's counts now: what the local mode's metrics read each collection
  // pass for the auto-scaler (one runtime API command). Errors: the runtime API's
  // (kUnavailable while HAProxy is down, kInternal for an answer it cannot read).
  Result<EntryRequestCounts> ReadEntryRequestCounts() const;

  // The slot name that holds `id` ("w3"), for logs and tests. Errors: kNotFound.
  Result<std::string> SlotOf(std::string_view id) const;

 private:
  const RuntimeApi api_;
  const std::string entry_url_;

  const int slots_;

  mutable std::mutex mu_;
  std::map<std::string, int, std::less<>> slot_by_id_;  // guarded by mu_
  std::deque<int> free_slots_;                          // guarded by mu_; longest free first
  // Slots of an adopted HAProxy that hold a server no id has claimed yet, by
  // "address:port"; guarded by mu_.
  std::map<std::string, int, std::less<>> unclaimed_;
};

// The balancer's state of a slot, from HAProxy's view (exposed for tests).
ServerState StateOfSlot(const ServerSlotState& slot);

}  // namespace maskfleet::lb::haproxy

#endif  // MASKFLEET_LB_HAPROXY_HAPROXY_LOAD_BALANCER_H_
