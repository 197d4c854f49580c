// IP addresses and which of them a server may be asked to connect to.
//
// ClassifyAddress sorts an IPv4 or IPv6 address into the special-purpose ranges of
// the IANA registries (RFC 6890 and successors): loopback, private, link-local,
// carrier-grade NAT, multicast, documentation, reserved ... and kPublic for
// everything else. IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:0:0/96,
// NAT64 64:ff9b::/96, 6to4 2002::/16) are classified by the embedded address, so
// "::ffff:127.0.0.1" is loopback. The URL fetcher refuses every class but kPublic
// unless configured otherwise; that is what keeps a "fetch this photo" URL from
// reaching the cloud metadata service (169.254.169.254) or the worker's own
// loopback ports.
//
// Hand-written because no Debian library classifies all of these ranges (Boost.Asio's
// address has is_loopback/is_multicast/is_link_local but no private, CGNAT or
// embedded-IPv4 checks). The tables are in ip_address.cc.
//
// Values and pure functions: safe from any thread.
#ifndef MASKFLEET_NET_IP_ADDRESS_H_
#define MASKFLEET_NET_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sockaddr;

namespace maskfleet::net {

struct IpAddress {
  enum class Family { kV4, kV6 };
  Family family = Family::kV4;
  // Network byte order; an IPv4 address uses the first 4 bytes, the rest are zero.
  std::array<std::uint8_t, 16> bytes{};

  // Parses a literal: dotted-quad IPv4 ("127.0.0.1") or IPv6 without brackets and
  // without a zone ("::1"). Anything else (host names, "0x7f.1", "[::1]") gives
  // nullopt.
  static std::optional<IpAddress> Parse(std::string_view text);
  // From a struct sockaddr_in or sockaddr_in6; nullopt for other families.
  static std::optional<IpAddress> FromSockaddr(const sockaddr* address);
  static IpAddress V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);

  // Canonical text ("127.0.0.1", "::1"), as inet_ntop writes it.
  std::string ToString() const;
  // The IPv4 address inside an IPv4-mapped IPv6 address, else nullopt.
  std::optional<IpAddress> MappedV4() const;

  bool operator==(const IpAddress&) const = default;
};

enum class AddressClass {
  kPublic,
  kUnspecified,      // 0.0.0.0, ::
  kLoopback,         // 127.0.0.0/8, ::1
  kPrivate,          // 10/8, 172.16/12, 192.168/16, fec0::/10 (deprecated site-local)
  kCarrierGradeNat,  // 100.64.0.0/10
  kLinkLocal,        // 169.254.0.0/16 (cloud metadata lives here), fe80::/10
  kUniqueLocal,      // fc00::/7
  kMulticast,        // 224.0.0.0/4, ff00::/8
  kBroadcast,        // 255.255.255.255
  kDocumentation,    // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  kReserved,         // "this network" 0/8, 192.0.0/24, 198.18/15 benchmarking, 240/4;
                     // ::/8 (IPv4-compatible, IPv4-translated), discard 100::/64,
                     // 2001::/23 (Teredo ...), and all IPv6 outside 2000::/3
};

// Lower-case words for messages: "loopback", "carrier-grade NAT", ...
std::string_view AddressClassName(AddressClass address_class);

AddressClass ClassifyAddress(const IpAddress& address);

// A CIDR block such as "10.1.2.0/24" or "fd00::/8", for configured exceptions.
struct IpNetwork {
  IpAddress base;
  int prefix_length = 0;

  // nullopt unless "<literal>/<0..32 or 0..128>" (or a bare literal, meaning /32
  // or /128).
  static std::optional<IpNetwork> Parse(std::string_view text);
  // True if `address` lies in the block; an IPv4-mapped IPv6 address also matches
  // an IPv4 block.
  bool Contains(const IpAddress& address) const;
};

}  // namespace maskfleet::net

#endif  // MASKFLEET_NET_IP_ADDRESS_H_
