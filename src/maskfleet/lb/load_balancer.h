// LoadBalancer: the entry point that spreads people's requests over the workers, as
// the manager drives it. The manager adds a worker once the worker's /healthz answers,
// drains it before stopping it, and removes it afterwards; the balancer health-checks
// every server itself and sends traffic only to those that pass.
//
// Implementations:
//   haproxy/  HaproxyLoadBalancer: a local HAProxy started by the manager, changed at run
//             time through its runtime API (the local mode, and the default)
//   fake/     FakeLoadBalancer: in memory, with health and faults set by the test, for
//             the manager's tests
//   elbv2/    Elbv2LoadBalancer: the workers as targets of an ALB target group (the AWS
//             mode)
//
// Servers are named by the caller's id (the worker id); how an id maps onto the
// balancer's own names (an HAProxy server slot, an EC2 instance id) is the
// implementation's business. Ids are unique among the servers currently added.
//
// A server's life: AddServer -> (kDown until its first health check passes) -> kUp
// <-> kDown as checks pass and fail -> DrainServer -> kDraining (checks go on; no new
// requests; requests in flight finish) -> RemoveServer. Requests in flight are never
// cut by any call here: RemoveServer of a server that still serves some lets them
// finish too, but callers that stop the worker afterwards should drain first and
// wait until `active_connections` is 0 (or a timeout of their choosing).
//
// Reading is paced by the balancer: ListInterval() says how often a ListServers() is
// worth making (HAProxy's runtime API answers in well under a millisecond; an ALB's
// DescribeTargetHealth is a rate-limited remote call). A caller that loops faster
// keeps the last answer in between.
//
// Thread safety: every implementation is safe to call from many threads at once;
// calls that change the same server are applied in some order, each whole.
#ifndef MASKFLEET_LB_LOAD_BALANCER_H_
#define MASKFLEET_LB_LOAD_BALANCER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::lb {

// Where a backend server listens. `address` is a numeric IPv4 or IPv6 address (no
// host names: the balancer must not depend on DNS at run time).
struct ServerAddress {
  std::string id;
  std::string address;
  std::uint16_t port = 0;
};

// The balancer's view of a server.
enum class ServerState {
  // Passes its health checks and receives new requests.
  kUp,
  // Fails its health checks, or has not passed one yet since it was added: no new
  // requests.
  kDown,
  // Drained: no new requests; those in flight finish. Checks continue (`healthy`).
  kDraining,
  // Switched off by an operator outside maskfleet (HAProxy's "maint"): no traffic and
  // no checks. maskfleet itself never leaves a server in this state.
  kMaintenance,
};

// "up", "down", "draining", "maintenance".
std::string_view ServerStateName(ServerState state);

// The checks every implementation makes on AddServer's argument: a non-empty id, a
// numeric address, a port other than 0. Errors: kInvalidArgument.
Status ValidateServerAddress(const ServerAddress& server);

struct ServerStatus {
  std::string id;
  std::string address;
  std::uint16_t port = 0;
  ServerState state = ServerState::kDown;
  // Whether the last health checks passed (enough of them to count as up). For a
  // draining server this says whether it is still alive.
  bool healthy = false;
  // The balancer's short code for the last check ("L7OK", "L7STS", "L4CON" from
  // HAProxy; an ALB reason code later); empty when no check has run.
  std::string check_status;
  // A readable detail of the last check ("HTTP status 503"), maybe empty.
  std::string check_detail;
  // Connections from the balancer to this server now open for requests (in flight).
  // Where a balancer cannot tell, -1.
  int active_connections = -1;
};

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;

  // Adds a server that receives requests once its health check passes (it is kDown
  // until then, so a request never reaches a server that has not answered a check).
  // Errors: kInvalidArgument (empty id, address not numeric, port 0),
  // kAlreadyExists (the id is in use), kResourceExhausted (no room for another
  // server: HAProxy's slots are all taken), kUnavailable (the balancer does not
  // answer: retry later), kInternal (the balancer refused the change; the message
  // carries its answer). On failure the id is not in use.
  virtual Status AddServer(const ServerAddress& server) = 0;

  // Stops sending new requests to the server; requests in flight finish. Draining a
  // draining server succeeds. Errors: kNotFound (no such id), kUnavailable,
  // kInternal.
  virtual Status DrainServer(std::string_view id) = 0;

  // Takes the server out: it receives nothing new and its id is free again. Requests in
  // flight are not cut. Errors: kNotFound (no such id), kUnavailable, kInternal; on an
  // error the server may have stopped receiving new requests but keeps its id, so the
  // call can be retried.
  virtual Status RemoveServer(std::string_view id) = 0;

  // Every server added and not removed, ordered by id, as the balancer sees it now.
  // Errors: kUnavailable, kInternal (an answer that could not be read).
  virtual Result<std::vector<ServerStatus>> ListServers() = 0;

  // Where people send requests: "http://127.0.0.1:8080/" (with a trailing slash).
  virtual std::string EntryUrl() const = 0;

  // The shortest time between two ListServers() calls worth making (see above): 0 for
  // a balancer that answers locally at once, seconds for a remote one. A caller keeps
  // the last answer until this has passed since it was read, except where it must
  // know the state now (it may always call). Constant for the balancer's life; never
  // fails.
  virtual std::chrono::milliseconds ListInterval() const = 0;
};

}  // namespace maskfleet::lb

#endif  // MASKFLEET_LB_LOAD_BALANCER_H_
