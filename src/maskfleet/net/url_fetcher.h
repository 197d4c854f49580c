// Fetches a photo from a URL that a user typed, without letting that URL reach
// what it must not.
//
// A user-supplied URL is a request the server makes on the user's behalf, so it is
// guarded against server-side request forgery:
//  - only http and https, parsed by curl's own URL parser (so the URL checked is
//    the URL fetched); URLs with a user name or password are refused;
//  - the host is resolved once, here, and EVERY address it resolves to must be
//    public (see ip_address.h) unless `allow_private` is set or the address lies in
//    `allowed_networks`; curl is then pinned to exactly those addresses
//    (CURLOPT_RESOLVE), so a DNS answer that changes between check and connect
//    (DNS rebinding) cannot redirect it; as a second line, curl's socket-opening
//    callback refuses any address that was not checked;
//  - proxies from the environment are ignored (a proxy would resolve the host
//    itself);
//  - redirects are followed here, not by curl, at most `max_redirects`, each new
//    URL checked in the same way;
//  - one deadline covers the whole fetch, redirects included, plus a connect
//    timeout per connection;
//  - the body is bounded while it arrives; an announced Content-Length over the
//    bound is refused before the body is read; no compression is requested, so
//    the bound is on the bytes that are returned.
// What the bytes are is the caller's business (image/probe.h checks them).
//
// Limits: name resolution uses the system resolver (getaddrinfo), whose time is
// bounded by /etc/resolv.conf (timeout, attempts), not by `timeout`; the deadline is
// checked after it. Internationalised host names are not converted (a UTF-8 host
// fails to resolve); their punycode form works.
//
// A UrlFetcher holds only its options and is safe to use from many threads at once;
// each Fetch uses its own curl handle.
#ifndef MASKFLEET_NET_URL_FETCHER_H_
#define MASKFLEET_NET_URL_FETCHER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/net/ip_address.h"

namespace maskfleet::net {

// Resolves a host name to its addresses.
// Errors: kInvalidArgument if the name does not exist; kUnavailable if the resolver
// failed (retry later).
using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;

// The system resolver (getaddrinfo, IPv4 and IPv6).
Result<std::vector<IpAddress>> ResolveWithSystem(const std::string& host);

struct FetchOptions {
  // Most bytes of body accepted. Default 10 MiB (the upload limit).
  std::size_t max_bytes = 10 * 1024 * 1024;
  // Deadline for the whole fetch, redirects included. Default 20 s.
  std::chrono::milliseconds timeout{20'000};
  // Deadline for each TCP (and TLS) connection. Default 5 s.
  std::chrono::milliseconds connect_timeout{5'000};
  // Redirects followed at most. Default 5.
  int max_redirects = 5;
  // Allow every address class (loopback, private, link-local ...). Default false;
  // true only for tests and closed networks.
  bool allow_private = false;
  // CIDR blocks allowed even though not public, e.g. {"10.1.2.0/24"} for an
  // internal image server. Default none.
  std::vector<std::string> allowed_networks;
  // User-Agent header. Default "maskfleet-fetch/1".
  std::string user_agent = "maskfleet-fetch/1";
  // Name resolution. Default (empty): ResolveWithSystem. Tests substitute a fake.
  Resolver resolver;
};

struct FetchedResource {
  std::vector<std::uint8_t> body;
  // As the server sent it (may be empty or wrong; check the bytes).
  std::string content_type;
  // The URL that answered, after redirects, as curl normalised it.
  std::string final_url;
};

class UrlFetcher {
 public:
  // Errors: kInvalidArgument if an `allowed_networks` entry is not a CIDR block or
  // a limit is not positive.
  static Result<UrlFetcher> Create(FetchOptions options);

  // Fetches `url`, following redirects.
  // Errors (the message says which URL and why):
  //  kInvalidArgument  malformed URL, scheme other than http/https, user:password
  //                    in the URL, an address refused (the message names the
  //                    address and its class), unknown host, too many redirects,
  //                    a 4xx answer other than 404/408/410/429;
  //  kTooLarge         body (or announced Content-Length) over max_bytes;
  //  kDeadlineExceeded the deadline passed;
  //  kNotFound         HTTP 404 or 410;
  //  kUnavailable      connection failed or was cut, TLS failed, DNS failed
  //                    temporarily, an answer that is not HTTP, HTTP 5xx, 408
  //                    or 429;
  //  kInternal         curl itself failed (out of memory).
  Result<FetchedResource> Fetch(std::string_view url) const;

 private:
  struct Target;
  explicit UrlFetcher(FetchOptions options, std::vector<IpNetwork> allowed)
      : options_(std::move(options)), allowed_(std::move(allowed)) {}
  Result<Target> CheckUrl(std::string_view url) const;
  Status CheckAddresses(const std::string& host, const std::vector<IpAddress>& addresses) const;

  FetchOptions options_;
  std::vector<IpNetwork> allowed_;
};

}  // namespace maskfleet::net

#endif  // MASKFLEET_NET_URL_FETCHER_H_
