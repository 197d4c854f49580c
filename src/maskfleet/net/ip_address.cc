#include "maskfleet/net/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <span>

namespace maskfleet::net {
namespace {

struct Range {
  std::array<std::uint8_t, 16> prefix;
  int length;  // bits
  AddressClass address_class;
};

bool PrefixMatches(std::span<const std::uint8_t> address, std::span<const std::uint8_t> prefix, int length) {
  const int full_bytes = length / 8;
  if (std::memcmp(address.data(), prefix.data(), full_bytes) != 0) return false;
  const int rest = length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (address[full_bytes] & mask) == (prefix[full_bytes] & mask);
}

// Most specific first: the first match wins.
constexpr Range kV4Ranges[] = {
    {{0, 0, 0, 0}, 32, AddressClass::kUnspecified},
    {{0}, 8, AddressClass::kReserved},  // "this network"
    {{10}, 8, AddressClass::kPrivate},
    {{100, 64}, 10, AddressClass::kCarrierGradeNat},
    {{127}, 8, AddressClass::kLoopback},
    {{169, 254}, 16, AddressClass::kLinkLocal},
    {{172, 16}, 12, AddressClass::kPrivate},
    {{192, 0, 0}, 24, AddressClass::kReserved},  // IETF protocol assignments
    {{192, 0, 2}, 24, AddressClass::kDocumentation},
    {{192, 88, 99}, 24, AddressClass::kReserved},  // deprecated 6to4 relay anycast
    {{192, 168}, 16, AddressClass::kPrivate},
    {{198, 18}, 15, AddressClass::kReserved},  // benchmarking
    {{198, 51, 100}, 24, AddressClass::kDocumentation},
    {{203, 0, 113}, 24, AddressClass::kDocumentation},
    {{224}, 4, AddressClass::kMulticast},
    {{255, 255, 255, 255}, 32, AddressClass::kBroadcast},
    {{240}, 4, AddressClass::kReserved},
};

constexpr Range kV6Ranges[] = {
    {{}, 128, AddressClass::kUnspecified},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, AddressClass::kLoopback},
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, AddressClass::kPrivate},  // local-use NAT64
    {{}, 8, AddressClass::kReserved},             // IPv4-compatible, IPv4-translated (SIIT), ...
    {{0x01, 0x00}, 64, AddressClass::kReserved},  // discard-only
    {{0x20, 0x01, 0x0d, 0xb8}, 32, AddressClass::kDocumentation},
    {{0x3f, 0xff, 0x00}, 20, AddressClass::kDocumentation},   // RFC 9637
    {{0x20, 0x01, 0x00, 0x00}, 23, AddressClass::kReserved},  // Teredo, ORCHID, ...
    {{0xfc}, 7, AddressClass::kUniqueLocal},
    {{0xfe, 0x80}, 10, AddressClass::kLinkLocal},
    {{0xfe, 0xc0}, 10, AddressClass::kPrivate},  // site-local, deprecated
    {{0xff}, 8, AddressClass::kMulticast},
};

constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::uint8_t kNat64Prefix[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

AddressClass ClassifyV4(std::span<const std::uint8_t> bytes) {
  for (const Range& range : kV4Ranges) {
    if (PrefixMatches(bytes, range.prefix, range.length)) return range.address_class;
  }
  return AddressClass::kPublic;
}

IpAddress V4From(const std::uint8_t* p) { return IpAddress::V4(p[0], p[1], p[2], p[3]); }

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  const std::string terminated(text);
  IpAddress address;
  if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) {
    address.family = Family::kV4;
    return address;
  }
  if (inet_pton(AF_INET6, terminated.c_str(), address.bytes.data()) == 1) {
    address.family = Family::kV6;
    return address;
  }
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::FromSockaddr(const sockaddr* address) {
  if (address == nullptr) return std::nullopt;
  IpAddress out;
  if (address->sa_family == AF_INET) {
    sockaddr_in in;
    std::memcpy(&in, address, sizeof in);
    std::memcpy(out.bytes.data(), &in.sin_addr, 4);
    out.family = Family::kV4;
    return out;
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof in6);
    std::memcpy(out.bytes.data(), &in6.sin6_addr, 16);
    out.family = Family::kV6;
    return out;
  }
  return std::nullopt;
}

IpAddress IpAddress::V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress out;
  out.bytes[0] = a;
  out.bytes[1] = b;
  out.bytes[2] = c;
  out.bytes[3] = d;
  return out;
}

std::string IpAddress::ToString() const {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::kV4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return text;
}

std::optional<IpAddress> IpAddress::MappedV4() const {
  if (family != Family::kV6 || std::memcmp(bytes.data(), kMappedPrefix, 12) != 0) {
    return std::nullopt;
  }
  return V4From(bytes.data() + 12);
}

std::string_view AddressClassName(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic: return "public";
    case AddressClass::kUnspecified: return "unspecified";
    case AddressClass::kLoopback: return "loopback";
    case AddressClass::kPrivate: return "private";
    case AddressClass::kCarrierGradeNat: return "carrier-grade NAT";
    case AddressClass::kLinkLocal: return "link-local";
    case AddressClass::kUniqueLocal: return "unique local";
    case AddressClass::kMulticast: return "multicast";
    case AddressClass::kBroadcast: return "broadcast";
    case AddressClass::kDocumentation: return "documentation";
    case AddressClass::kReserved: return "reserved";
  }
  return "reserved";
}

AddressClass ClassifyAddress(const IpAddress& address) {
  const std::span<const std::uint8_t> bytes(address.bytes);
  if (address.family == IpAddress::Family::kV4) return ClassifyV4(bytes.first(4));
  // IPv6 forms that carry an IPv4 address are as good or bad as that address.
  if (std::memcmp(bytes.data(), kMappedPrefix, 12) == 0 || std::memcmp(bytes.data(), kNat64Prefix, 12) == 0) {
    return ClassifyV4(bytes.subspan(12, 4));
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x02) return ClassifyV4(bytes.subspan(2, 4));  // 6to4
  for (const Range& range : kV6Ranges) {
    if (PrefixMatches(bytes, range.prefix, range.length)) return range.address_class;
  }
  // Only 2000::/3 is allocated for global unicast; everything else is unassigned.
  return (bytes[0] & 0xe0) == 0x20 ? AddressClass::kPublic : AddressClass::kReserved;
}

std::optional<IpNetwork> IpNetwork::Parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  std::optional<IpAddress> base = IpAddress::Parse(text.substr(0, slash));
  if (!base) return std::nullopt;
  const int max_length = base->family == IpAddress::Family::kV4 ? 32 : 128;
  int length = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || length < 0 ||
        length > max_length) {
      return std::nullopt;
    }
  }
  return IpNetwork{*base, length};
}

bool IpNetwork::Contains(const IpAddress& address) const {
  if (address.family != base.family) {
    std::optional<IpAddress> v4 = address.MappedV4();
    return v4 && base.family == IpAddress::Family::kV4 && Contains(*v4);
  }
  return PrefixMatches(address.bytes, base.bytes, prefix_length);
}

}  // namespace maskfleet::net
