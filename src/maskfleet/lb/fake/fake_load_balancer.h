// FakeLoadBalancer: a LoadBalancer in memory, for the manager's tests.
//
// It follows the interface's rules (the same argument checks, ids unique, kNotFound
// for unknown ids, a capacity that gives kResourceExhausted) and lets the test play
// the balancer's part: whether added servers pass their health check at once, a server
// that starts or stops passing (SetHealthy), requests in flight (SetActiveConnections),
// and failures: the next N calls fail with a given error, or every call fails while
// "down" (HAProxy gone), each without any effect.
//
// Thread safety: every method, including the controls, is safe from many threads; one
// mutex guards all state.
#ifndef MASKFLEET_LB_FAKE_FAKE_LOAD_BALANCER_H_
#define MASKFLEET_LB_FAKE_FAKE_LOAD_BALANCER_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/lb/load_balancer.h"

namespace maskfleet::lb {

class FakeLoadBalancer : public LoadBalancer {
 public:
  struct Options {
    // Where EntryUrl() points. Default "http://127.0.0.1:8080/".
    std::string entry_url = "http://127.0.0.1:8080/";
    // The most servers at once. Default 64, as HAProxy's slots.
    std::size_t capacity = 64;
    // Whether an added server passes its first check at once (kUp) or stays kDown
    // until SetHealthy(id, true). Default true.
    bool healthy_on_add = true;
    // What ListInterval() answers. Default 0.
    std::chrono::milliseconds list_interval{0};
  };

  FakeLoadBalancer() : FakeLoadBalancer(Options{}) {}
  explicit FakeLoadBalancer(Options options) : options_(std::move(options)) {}

  Status AddServer(const ServerAddress& server) override;
  Status DrainServer(std::string_view id) override;
  Status RemoveServer(std::string_view id) override;
  Result<std::vector<ServerStatus>> ListServers() override;
  std::string EntryUrl() const override { return options_.entry_url; }
  std::chrono::milliseconds ListInterval() const override { return options_.list_interval; }

  // The balancer's side. Errors: kNotFound (no such id).
  Status SetHealthy(std::string_view id, bool healthy);
  Status SetActiveConnections(std::string_view id, int connections);

  // The next `count` calls of AddServer, DrainServer, RemoveServer or ListServers fail
  // with `error`, without effect.
  void FailNextCalls(int count,
                     Error error = Error{ErrorCode::kUnavailable, "injected load balancer failure"});
  // While down, every call fails with kUnavailable, without effect.
  void SetDown(bool down);

  // Inspection.
  std::optional<ServerStatus> Find(std::string_view id) const;
  // Calls of the four interface methods so far, failed ones included.
  int calls() const;
  // Calls of ListServers so far, failed ones included.
  int list_calls() const;

 private:
  // Counts the call and returns the failure it should end in, if any. Holds mu_.
  std::optional<Error> NextFailure();

  const Options options_;
  mutable std::mutex mu_;
  std::map<std::string, ServerStatus, std::less<>> servers_;  // guarded by mu_
  int failures_left_ = 0;                                     // guarded by mu_
  Error failure_;                                             // guarded by mu_
  bool down_ = false;                                         // guarded by mu_
  int calls_ = 0;                                             // guarded by mu_
  int list_calls_ = 0;                                        // guarded by mu_
};

}  // namespace maskfleet::lb

#endif  // MASKFLEET_LB_FAKE_FAKE_LOAD_BALANCER_H_
