#include "maskfleet/net/ip_address.h"

#include <gtest/gtest.h>

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
      {"::127.0.0.1", AddressClass::kReserved},  // IPv4-compatible, deprecated
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
      {"2002:7f00:1::1", AddressClass::kLoopback},     // 6to4 of 127.0.0.1
      {"2002:a9fe:a9fe::1", AddressClass::kLinkLocal}, // 6to4 of 169.254.169.254
      {"2002:0808:0808::1", AddressClass::kPublic},
  };
  for (const auto& [text, expected] : cases) {
    EXPECT_EQ(Classify(text), expected) << text << " is " << AddressClassName(Classify(text));
  }
}

TEST(IpAddressTest, ParseAcceptsOnlyPlainLiterals) {
  EXPECT_TRUE(IpAddress::Parse("127.0.0.1"));
  EXPECT_TRUE(IpAddress::Parse("::1"));
  for (std::string_view bad : {"", "localhost", "[::1]", "0x7f.1", "2130706433", "127.1",
                               "fe80::1%eth0", "1.2.3.4.5", "::1 "}) {
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
