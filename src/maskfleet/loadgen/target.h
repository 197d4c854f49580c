// Where a load-generator run sends its requests: an http:// URL taken apart.
//
// Only plain HTTP: the generator measures the service, and a TLS handshake per
// connection would measure something else; put it in front of a worker or a
// load balancer's HTTP port. Pure functions; safe from any thread.
#ifndef MASKFLEET_LOADGEN_TARGET_H_
#define MASKFLEET_LOADGEN_TARGET_H_

#include <chrono>
#include <string>
#include <string_view>

#include "maskfleet/common/error.h"

namespace maskfleet::loadgen {

struct HttpTarget {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  int port = 80;
  std::string path;  // "/api/upload" (with the query, if any); "/" when the URL has none
};

// Parses "http://host[:port][/path]". Errors: kInvalidArgument saying what is
// wrong (no scheme, https, a bad port, user info).
Result<HttpTarget> ParseHttpUrl(std::string_view url);

// Opens a TCP connection to the target and closes it, to tell an unreachable
// URL from a failing service before a run. Errors: kNotFound when the name does
// not resolve, kUnavailable when no address accepts a connection within
// `timeout` (the message says why: refused, timed out ...).
Status CheckReachable(const HttpTarget& target, std::chrono::milliseconds timeout);

}  // namespace maskfleet::loadgen

#endif  // MASKFLEET_LOADGEN_TARGET_H_
