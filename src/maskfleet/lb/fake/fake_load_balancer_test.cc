#include "maskfleet/lb/fake/fake_load_balancer.h"

#include <gtest/gtest.h>

namespace maskfleet::lb {
namespace {

ServerAddress Address(std::string id) { return {.id = std::move(id), .address = "127.0.0.1", .port = 9001}; }

TEST(LbFakeLoadBalancerTest, HealthFollowsTheTestAndDrainingSticks) {
  FakeLoadBalancer lb({.healthy_on_add = false});
  ASSERT_TRUE(lb.AddServer(Address("a")));
  EXPECT_EQ(lb.Find("a")->state, ServerState::kDown);
  EXPECT_EQ(lb.Find("a")->check_status, "INI");
  ASSERT_TRUE(lb.SetHealthy("a", true));
  EXPECT_EQ(lb.Find("a")->state, ServerState::kUp);
  ASSERT_TRUE(lb.DrainServer("a"));
  ASSERT_TRUE(lb.SetHealthy("a", false));
  EXPECT_EQ(lb.Find("a")->state, ServerState::kDraining);
  EXPECT_FALSE(lb.Find("a")->healthy);
  ASSERT_TRUE(lb.SetActiveConnections("a", 2));
  EXPECT_EQ(lb.ListServers()->at(0).active_connections, 2);
  EXPECT_EQ(lb.SetHealthy("ghost", true).error().code, ErrorCode::kNotFound);
}

TEST(LbFakeLoadBalancerTest, InjectedFailuresHaveNoEffect) {
  FakeLoadBalancer lb;
  lb.FailNextCalls(2, Error{ErrorCode::kInternal, "boom"});
  EXPECT_EQ(lb.AddServer(Address("a")).error().code, ErrorCode::kInternal);
  EXPECT_EQ(lb.ListServers().error().message, "boom");
  EXPECT_FALSE(lb.Find("a"));
  ASSERT_TRUE(lb.AddServer(Address("a")));
  lb.SetDown(true);
  EXPECT_EQ(lb.RemoveServer("a").error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(lb.Find("a"));
  lb.SetDown(false);
  EXPECT_TRUE(lb.RemoveServer("a"));
  EXPECT_EQ(lb.calls(), 5);
}

TEST(LbFakeLoadBalancerTest, CapacityIsEnforced) {
  FakeLoadBalancer lb({.capacity = 1});
  ASSERT_TRUE(lb.AddServer(Address("a")));
  EXPECT_EQ(lb.AddServer(Address("b")).error().code, ErrorCode::kResourceExhausted);
}

}  // namespace
}  // namespace maskfleet::lb
