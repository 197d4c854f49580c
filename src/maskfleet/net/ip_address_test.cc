#include "maskfleet/net/ip_address.h"

#include <gtest/gtest.h>

#include <span>
#include <utility>

namespace maskfleet::net {
namespace {

AddressClass Classify(std::string_view text) {
  std::optional<IpAddress> address = IpAddress::Parse(text);
  EXPECT_TRUE(address) << text;
  return address ? ClassifyAddress(*address) : AddressClass::kReserved;
}

TEST(ClassifyAddressTest, Ipv4) {
  const std::pair<std::string_view, AddressClass> cases[] = {
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kReserved},
      {"10.0.0.1", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"11.0.0.1", AddressClass::kPublic},
      {"100.63.255.255", AddressClass::kPublic},
      {"100.64.0.1", AddressClass::kCarrierGradeNat},
      {"100.127.255.254", AddressClass::kCarrierGradeNat},
      {"100.128.0.1", AddressClass::kPublic},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"169.254.0.1", AddressClass::kLinkLocal},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.32.0.1", AddressClass::kPublic},
      {"192.0.0.8", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kDocumentation},
      {"192.167.255.255", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"198.18.0.1", AddressClass::kReserved},
      {"198.19.255.255", AddressClass::kReserved},
      {"198.51.100.7", AddressClass::kDocumentation},
      {"203.0.113.9", AddressClass::kDocumentation},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast},
      {"240.0.0.1", AddressClass::kReserved},
      {"255.255.255.254", AddressClass::kReserved},
      {"255.255.255.255", AddressClass::kBroadcast},
      {"8.8.8.8", AddressClass::kPublic},
      {"1.1.1.1", AddressClass::kPublic},
      {"93.184.216.34", AddressClass::kPublic},
      {"223.255.255.255", AddressClass::kPublic},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(Classify(text), expected) << text << " is " << AddressClassName(Classify(text));
  }
}

TEST(ClassifyAddressTest, Ipv6) {
  const std::pair<std::string_view, AddressClass> cases[] = {
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"::2", AddressClass::kReserved},
      {"::127.0.0.1", AddressClass::kReserved},         // IPv4-compatible, deprecated
      {"::ffff:0:127.0.0.1", AddressClass::kReserved},  // IPv4-translated (SIIT)
      {"4000::1", AddressClass::kReserved},             // outside 2000::/3
      {"3fff:0fff::1", AddressClass::kDocumentation},
      {"3fff:1000::1", AddressClass::kPublic},
      {"2c0f:f248::1", AddressClass::kPublic},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf:ffff::1", AddressClass::kLinkLocal},
      {"fec0::1", AddressClass::kPrivate},
      {"fc00::1", AddressClass::kUniqueLocal},
      {"fd12:3456:789a::1", AddressClass::kUniqueLocal},
      {"ff02::1", AddressClass::kMulticast},
      {"ff05::2", AddressClass::kMulticast},
      {"2001:db8::1", AddressClass::kDocumentation},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass::kReserved},  // Teredo
      {"100::1", AddressClass::kReserved},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2a00:1450:4001:80b::200e", AddressClass::kPublic},
      {"64:ff9b:1::1", AddressClass::kPrivate},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(Classify(text), expected) << text << " is " << AddressClassName(Classify(text));
  }
}

TEST(ClassifyAddressTest, Ipv6EmbeddingIpv4IsJudgedByTheIpv4Address) {
  const std::pair<std::string_view, AddressClass> cases[] = {
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:7f00:1", AddressClass::kLoopback},
      {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:192.168.0.1", AddressClass::kPrivate},
      {"::ffff:100.64.0.1", AddressClass::kCarrierGradeNat},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:255.255.255.255", AddressClass::kBroadcast},
      {"::ffff:224.0.0.1", AddressClass::kMulticast},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::127.0.0.1", AddressClass::kLoopback},
      {"64:ff9b::169.254.169.254", AddressClass::kLinkLocal},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"2002:7f00:1::1", AddressClass::kLoopback},      // 6to4 of 127.0.0.1
      {"2002:a9fe:a9fe::1", AddressClass::kLinkLocal},  // 6to4 of 169.254.169.254
      {"2002:0808:0808::1", AddressClass::kPublic},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(Classify(text), expected) << text << " is " << AddressClassName(Classify(text));
  }
}

// ---- Each range's first and last address, and the addresses just outside it.

struct ClassCase {
  const char* text;
  AddressClass expected;
};

void ExpectClasses(std::span<const ClassCase> cases) {
  for (const ClassCase& c : cases) {
    EXPECT_EQ(Classify(c.text), c.expected) << c.text << " is " << AddressClassName(Classify(c.text));
  }
}

TEST(ClassifyAddressTest, Ipv4RangeEdges) {
  constexpr auto P = AddressClass::kPublic;
  constexpr auto R = AddressClass::kReserved;
  constexpr auto D = AddressClass::kDocumentation;
  const ClassCase cases[] = {
      // 0.0.0.0/32, then "this network" 0/8
      {"0.0.0.1", R},
      {"0.255.255.255", R},
      {"1.0.0.0", P},
      // 10/8
      {"9.255.255.255", P},
      {"10.0.0.0", AddressClass::kPrivate},
      {"11.0.0.0", P},
      // 100.64/10
      {"100.64.0.0", AddressClass::kCarrierGradeNat},
      {"100.127.255.255", AddressClass::kCarrierGradeNat},
      // 127/8
      {"126.255.255.255", P},
      {"127.0.0.0", AddressClass::kLoopback},
      {"128.0.0.0", P},
      // 169.254/16
      {"169.253.255.255", P},
      {"169.254.0.0", AddressClass::kLinkLocal},
      {"169.254.255.255", AddressClass::kLinkLocal},
      {"169.255.0.0", P},
      // 172.16/12
      {"172.16.0.0", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      // 192.0.0/24, 192.0.2/24
      {"191.255.255.255", P},
      {"192.0.0.0", R},
      {"192.0.0.255", R},
      {"192.0.1.0", P},
      {"192.0.1.255", P},
      {"192.0.2.0", D},
      {"192.0.2.255", D},
      {"192.0.3.0", P},
      // 192.88.99/24
      {"192.88.98.255", P},
      {"192.88.99.0", R},
      {"192.88.99.255", R},
      {"192.88.100.0", P},
      // 192.168/16
      {"192.168.0.0", AddressClass::kPrivate},
      {"192.168.255.255", AddressClass::kPrivate},
      {"192.169.0.0", P},
      // 198.18/15
      {"198.17.255.255", P},
      {"198.18.0.0", R},
      {"198.20.0.0", P},
      // 198.51.100/24, 203.0.113/24
      {"198.51.99.255", P},
      {"198.51.100.0", D},
      {"198.51.100.255", D},
      {"198.51.101.0", P},
      {"203.0.112.255", P},
      {"203.0.113.0", D},
      {"203.0.113.255", D},
      {"203.0.114.0", P},
      // 224/4, 240/4, 255.255.255.255/32
      {"224.0.0.0", AddressClass::kMulticast},
      {"239.255.255.255", AddressClass::kMulticast},
      {"240.0.0.0", R},
      {"255.255.255.254", R},
      {"255.255.255.255", AddressClass::kBroadcast},
  };
  ExpectClasses(cases);
}

TEST(ClassifyAddressTest, Ipv6RangeEdges) {
  constexpr auto P = AddressClass::kPublic;
  constexpr auto R = AddressClass::kReserved;
  constexpr auto D = AddressClass::kDocumentation;
  const ClassCase cases[] = {
      // Global unicast is 2000::/3 only.
      {"1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", R},
      {"2000::", P},
      {"3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", P},
      {"4000::", R},
      // local-use NAT64 64:ff9b:1::/48
      {"64:ff9b:0:1::", R},
      {"64:ff9b:1::", AddressClass::kPrivate},
      {"64:ff9b:1:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
      {"64:ff9b:2::", R},
      // 2001:db8::/32
      {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", P},
      {"2001:db8::", D},
      {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", D},
      {"2001:db9::", P},
      // 3fff::/20
      {"3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", P},
      {"3fff::", D},
      {"3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", D},
      // 2001::/23
      {"2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", P},
      {"2001::", R},
      {"2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", R},
      {"2001:200::", P},
      // fc00::/7, fe80::/10, fec0::/10, ff00::/8
      {"fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", R},
      {"fc00::", AddressClass::kUniqueLocal},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kUniqueLocal},
      {"fe00::", R},
      {"fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", R},
      {"fe80::", AddressClass::kLinkLocal},
      {"febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kLinkLocal},
      {"fec0::", AddressClass::kPrivate},
      {"feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
      {"ff00::", AddressClass::kMulticast},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kMulticast},
      // ::/128, ::1/128
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"::2", R},
      {"::1:0", R},
      {"1::1", R},
  };
  ExpectClasses(cases);
}

TEST(ClassifyAddressTest, EmbeddedIpv4PrefixEdges) {
  constexpr auto P = AddressClass::kPublic;
  constexpr auto R = AddressClass::kReserved;
  constexpr auto L = AddressClass::kLoopback;
  const ClassCase cases[] = {
      // IPv4-mapped ::ffff:0:0/96: every one of the 96 bits counts.
      {"::ffff:127.0.0.1", L},
      {"::fffe:127.0.0.1", R},
      {"::feff:127.0.0.1", R},
      {"::1:ffff:127.0.0.1", R},
      {"8000::ffff:127.0.0.1", R},
      // NAT64 64:ff9b::/96
      {"64:ff9b::127.0.0.1", L},
      {"64:ff9b::1:127.0.0.1", R},
      {"64:ff9b:100::7f00:1", R},
      {"64:ff9a::127.0.0.1", R},
      {"65:ff9b::127.0.0.1", R},
      // 6to4 2002::/16: the IPv4 address is bytes 2 to 5.
      {"2002:7f00:1::", L},
      {"2002:7f00:1:ffff::", L},
      {"2002:0808:0808::", P},
      {"2002:a00:1::", AddressClass::kPrivate},
      {"2001:ffff:7f00:1::", P},
      {"2003:7f00:1::", P},
      {"2102:7f00:1::", P},
  };
  ExpectClasses(cases);
}

TEST(IpNetworkTest, PrefixLengthEdges) {
  ASSERT_TRUE(IpNetwork::Parse("10.0.0.1/32"));
  EXPECT_EQ(IpNetwork::Parse("10.0.0.1/32")->prefix_length, 32);
  EXPECT_EQ(IpNetwork::Parse("::1/128")->prefix_length, 128);
  EXPECT_EQ(IpNetwork::Parse("::/0")->prefix_length, 0);
  EXPECT_EQ(IpNetwork::Parse("::1")->prefix_length, 128);
  for (std::string_view bad : {"::/129", "10.0.0.0/33", "10.0.0.0/8x", "10.0.0.0/ 8", "/8"}) {
    EXPECT_FALSE(IpNetwork::Parse(bad)) << bad;
  }
}

TEST(IpNetworkTest, ContainsAtEachBitOfAPartialByte) {
  // 10.1.2.0/23 holds 10.1.2.0 to 10.1.3.255.
  const IpNetwork net = *IpNetwork::Parse("10.1.2.0/23");
  EXPECT_FALSE(net.Contains(*IpAddress::Parse("10.1.1.255")));
  EXPECT_TRUE(net.Contains(*IpAddress::Parse("10.1.2.0")));
  EXPECT_TRUE(net.Contains(*IpAddress::Parse("10.1.3.255")));
  EXPECT_FALSE(net.Contains(*IpAddress::Parse("10.1.4.0")));
  // /25: the top bit of the last byte.
  const IpNetwork half = *IpNetwork::Parse("192.0.2.128/25");
  EXPECT_FALSE(half.Contains(*IpAddress::Parse("192.0.2.127")));
  EXPECT_TRUE(half.Contains(*IpAddress::Parse("192.0.2.128")));
  EXPECT_TRUE(half.Contains(*IpAddress::Parse("192.0.2.255")));
  // /31 and /1.
  const IpNetwork pair = *IpNetwork::Parse("192.0.2.4/31");
  EXPECT_TRUE(pair.Contains(*IpAddress::Parse("192.0.2.5")));
  EXPECT_FALSE(pair.Contains(*IpAddress::Parse("192.0.2.6")));
  EXPECT_FALSE(pair.Contains(*IpAddress::Parse("192.0.2.3")));
  const IpNetwork low_half = *IpNetwork::Parse("0.0.0.0/1");
  EXPECT_TRUE(low_half.Contains(*IpAddress::Parse("127.255.255.255")));
  EXPECT_FALSE(low_half.Contains(*IpAddress::Parse("128.0.0.0")));
}

TEST(IpAddressTest, ParseAcceptsOnlyPlainLiterals) {
  EXPECT_TRUE(IpAddress::Parse("127.0.0.1"));
  EXPECT_TRUE(IpAddress::Parse("::1"));
  for (std::string_view bad :
       {"", "localhost", "[::1]", "0x7f.1", "2130706433", "127.1", "fe80::1%eth0", "1.2.3.4.5", "::1 "}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
}

TEST(IpAddressTest, RoundTripsAndMappedV4) {
  EXPECT_EQ(IpAddress::Parse("10.0.0.1")->ToString(), "10.0.0.1");
  EXPECT_EQ(IpAddress::Parse("2001:DB8:0:0::1")->ToString(), "2001:db8::1");
  EXPECT_EQ(IpAddress::Parse("::ffff:10.0.0.1")->MappedV4(), IpAddress::V4(10, 0, 0, 1));
  EXPECT_FALSE(IpAddress::Parse("::1")->MappedV4());
  EXPECT_FALSE(IpAddress::Parse("10.0.0.1")->MappedV4());
}

TEST(IpNetworkTest, ParseAndContains) {
  std::optional<IpNetwork> net = IpNetwork::Parse("10.1.2.0/24");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("10.1.2.200")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("10.1.3.1")));
  EXPECT_TRUE(net->Contains(*IpAddress::Parse("::ffff:10.1.2.3")));
  EXPECT_FALSE(net->Contains(*IpAddress::Parse("::1")));

  std::optional<IpNetwork> one = IpNetwork::Parse("127.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->prefix_length, 32);
  EXPECT_TRUE(one->Contains(*IpAddress::Parse("127.0.0.1")));
  EXPECT_FALSE(one->Contains(*IpAddress::Parse("127.0.0.2")));

  std::optional<IpNetwork> v6 = IpNetwork::Parse("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains(*IpAddress::Parse("fd12::1")));
  EXPECT_FALSE(v6->Contains(*IpAddress::Parse("fc00::1")));
  EXPECT_FALSE(v6->Contains(*IpAddress::Parse("10.0.0.1")));

  EXPECT_TRUE(IpNetwork::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("8.8.8.8")));
  for (std::string_view bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "::/129", "host/8", "10.0.0.0/-1"}) {
    EXPECT_FALSE(IpNetwork::Parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace maskfleet::net
