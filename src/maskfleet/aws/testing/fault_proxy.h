// The fault proxy of tests/aws/fault_proxy.py in front of the moto test bed, for tests
// of what the AWS client and the adapters do when AWS throttles, fails or loses an
// answer. The script's header describes the faults; this starts it, routes a client
// through it, sets faults and reads its log.
//
// Thread safety: a FaultProxy may be used from many threads (each call is one HTTP
// exchange with the proxy).
#ifndef MASKFLEET_AWS_TESTING_FAULT_PROXY_H_
#define MASKFLEET_AWS_TESTING_FAULT_PROXY_H_

#include <memory>
#include <string>
#include <vector>

#include "maskfleet/aws/client.h"
#include "maskfleet/aws/testing/helper_script.h"
#include "maskfleet/common/error.h"

namespace maskfleet::aws::testing {

// One request the proxy saw.
struct ProxiedRequest {
  std::string service;    // the signing name: "ec2", "s3" ...
  std::string operation;  // "RunInstances", "GetObject" ...
  std::string fault;      // "throttle", "slowdown", "500", "drop", or "" (forwarded)
  int status = 0;         // what the client got; 0 when the answer was dropped
  std::string request_id;
  std::string client_token;  // a Query request's ClientToken, if it had one
};

class FaultProxy {
 public:
  // Starts a proxy forwarding to `target` ("http://127.0.0.1:PORT"). Errors:
  // kFailedPrecondition (no Python in the build's venv), kUnavailable.
  static Result<std::unique_ptr<FaultProxy>> Start(const std::string& target);

  const std::string& endpoint() const { return endpoint_; }
  // `options` with every service's endpoint set to the proxy.
  ClientOptions Route(ClientOptions options) const;

  // Adds a fault, OPERATION=KIND[:COUNT] (fault_proxy.py). Errors: kInvalidArgument
  // (refused by the proxy), kUnavailable.
  Status AddFault(const std::string& spec);
  // Removes every fault and empties the log.
  Status Reset();
  // Every request seen since the last Reset(), oldest first; only those of
  // `operation` when it is not empty.
  Result<std::vector<ProxiedRequest>> Log(const std::string& operation = "");

 private:
  FaultProxy() = default;
  Result<std::string> Control(const std::string& method, const std::string& path, const std::string& body);

  std::unique_ptr<HelperScript> helper_;
  std::string endpoint_;
  std::string control_;
};

}  // namespace maskfleet::aws::testing

#endif  // MASKFLEET_AWS_TESTING_FAULT_PROXY_H_
