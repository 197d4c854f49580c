// Fuzz target: what reads a URL or an address that a user typed, before any
// connection: the IP literal parser and the address classifier (net/ip_address.h),
// CIDR blocks, and the URL fetcher's URL check (curl's URL parser, the scheme and
// credential refusals, the host's addresses checked against the classifier).
//
// The first byte picks the part, the rest is the text. Checks: a parsed literal prints
// as text that parses back to the same address and class; an IPv4-mapped IPv6 address
// has its IPv4 address's class; a CIDR block contains its own base; and the fetcher
// never reaches the network for a URL whose host is not public: its resolver answers
// with a documentation address (refused by the classifier) and records that it was
// asked, and a literal public address can only be tried with a deadline of 1 ms.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "maskfleet/net/ip_address.h"
#include "maskfleet/net/url_fetcher.h"

namespace {

using maskfleet::net::AddressClass;
using maskfleet::net::ClassifyAddress;
using maskfleet::net::IpAddress;
using maskfleet::net::IpNetwork;

void CheckLiteral(std::string_view text) {
  const std::optional<IpAddress> address = IpAddress::Parse(text);
  if (!address) return;
  const std::string printed = address->ToString();
  const std::optional<IpAddress> again = IpAddress::Parse(printed);
  FUZZ_CHECK(again.has_value() && *again == *address);
  const AddressClass address_class = ClassifyAddress(*address);
  FUZZ_CHECK(ClassifyAddress(*again) == address_class);
  FUZZ_CHECK(!maskfleet::net::AddressClassName(address_class).empty());
  if (const std::optional<IpAddress> v4 = address->MappedV4()) {
    FUZZ_CHECK(v4->family == IpAddress::Family::kV4);
    FUZZ_CHECK(ClassifyAddress(*v4) == address_class);
  }
}

void CheckNetwork(std::string_view text) {
  const std::optional<IpNetwork> network = IpNetwork::Parse(text);
  if (!network) return;
  const int bits = network->base.family == IpAddress::Family::kV4 ? 32 : 128;
  FUZZ_CHECK(network->prefix_length >= 0 && network->prefix_length <= bits);
  FUZZ_CHECK(network->Contains(network->base));
}

const maskfleet::net::UrlFetcher& Fetcher() {
  static const maskfleet::net::UrlFetcher* fetcher = [] {
    maskfleet::net::FetchOptions options;
    options.timeout = std::chrono::milliseconds(1);
    options.connect_timeout = std::chrono::milliseconds(1);
    options.max_redirects = 0;
    options.resolver = [](const std::string& host) -> maskfleet::Result<std::vector<IpAddress>> {
      FUZZ_CHECK(!host.empty());
      // 192.0.2.1: documentation, never connected to.
      return std::vector<IpAddress>{IpAddress::V4(192, 0, 2, 1)};
    };
    maskfleet::Result<maskfleet::net::UrlFetcher> made = maskfleet::net::UrlFetcher::Create(
        std::move(options));
    FUZZ_CHECK(made.has_value());
    return new maskfleet::net::UrlFetcher(std::move(*made));
  }();
  return *fetcher;
}

void CheckUrl(std::string_view text) {
  maskfleet::Result<maskfleet::net::FetchedResource> fetched = Fetcher().Fetch(text);
  // Nothing answers in 1 ms here, and every resolved host is refused.
  FUZZ_CHECK(!fetched.has_value());
  FUZZ_CHECK(fetched.error().code != maskfleet::ErrorCode::kInternal);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: CheckLiteral(text); break;
    case 1: CheckNetwork(text); break;
    default: CheckUrl(text); break;
  }
  return 0;
}
