// The LoadBalancer rules that hold for every implementation, run on each: the fake,
// and HAProxy (real, on loopback; its servers point at a closed port, so they stay down,
// which these rules do not depend on).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>

#include "maskfleet/lb/fake/fake_load_balancer.h"
#include "maskfleet/lb/haproxy/haproxy_load_balancer.h"
#include "maskfleet/lb/haproxy/haproxy_process.h"
#include "maskfleet/lb/haproxy/test_support.h"
#include "maskfleet/lb/load_balancer.h"
#ifdef MASKFLEET_LB_CONTRACT_ELBV2
#include "maskfleet/aws/testing/moto_bed.h"
#include "maskfleet/lb/elbv2/elbv2_load_balancer.h"
#include "maskfleet/lb/elbv2/elbv2_test_target_group.h"
#endif

namespace maskfleet::lb {
namespace {

class Environment {
 public:
  virtual ~Environment() = default;
  virtual LoadBalancer& balancer() = 0;
};

class FakeEnvironment : public Environment {
 public:
  LoadBalancer& balancer() override { return fake_; }

 private:
  FakeLoadBalancer fake_;
};

class HaproxyEnvironment : public Environment {
 public:
  HaproxyEnvironment()
      : config_(haproxy::testing::FastConfig(dir_.path())),
        process_(config_, {.grace = std::chrono::seconds(2)}),
        balancer_(config_) {
    Status started = process_.Start();
    EXPECT_TRUE(started) << started.error().ToString();
  }
  LoadBalancer& balancer() override { return balancer_; }

 private:
  haproxy::testing::TempDir dir_;
  haproxy::HaproxyConfig config_;
  haproxy::HaproxyProcess process_;
  haproxy::HaproxyLoadBalancer balancer_;
};

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<Environment>()> make;
};

// For test names and failure messages (instead of the object's bytes).
void PrintTo(const Implementation& implementation, std::ostream* os) { *os << implementation.name; }

class LbContractTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override { env_ = GetParam().make(); }
  LoadBalancer& lb() { return env_->balancer(); }

  std::unique_ptr<Environment> env_;
};

// Port 9 (discard) on loopback: nothing listens there in a test machine.
ServerAddress Address(std::string id) { return {.id = std::move(id), .address = "127.0.0.1", .port = 9}; }

TEST_P(LbContractTest, AddedServersAreListedInIdOrder) {
  ASSERT_TRUE(lb().AddServer(Address("worker-2")));
  ASSERT_TRUE(lb().AddServer({.id = "worker-1", .address = "::1", .port = 10}));
  Result<std::vector<ServerStatus>> servers = lb().ListServers();
  ASSERT_TRUE(servers) << servers.error().ToString();
  ASSERT_EQ(servers->size(), 2u);
  EXPECT_EQ((*servers)[0].id, "worker-1");
  EXPECT_EQ((*servers)[0].address, "::1");
  EXPECT_EQ((*servers)[0].port, 10);
  EXPECT_EQ((*servers)[1].id, "worker-2");
  EXPECT_EQ((*servers)[1].address, "127.0.0.1");
  EXPECT_EQ((*servers)[1].port, 9);
  EXPECT_NE((*servers)[1].state, ServerState::kMaintenance);
}

TEST_P(LbContractTest, RefusesDuplicatesAndBadAddresses) {
  ASSERT_TRUE(lb().AddServer(Address("a")));
  EXPECT_EQ(lb().AddServer(Address("a")).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(lb().AddServer(Address("")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(lb().AddServer({.id = "b", .address = "worker.local", .port = 9}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(lb().AddServer({.id = "b", .address = "127.0.0.1", .port = 0}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(lb().ListServers()->size(), 1u);
}

TEST_P(LbContractTest, DrainAndRemove) {
  ASSERT_TRUE(lb().AddServer(Address("a")));
  ASSERT_TRUE(lb().AddServer(Address("b")));
  ASSERT_TRUE(lb().DrainServer("a"));
  ASSERT_TRUE(lb().DrainServer("a"));
  Result<std::vector<ServerStatus>> servers = lb().ListServers();
  ASSERT_TRUE(servers);
  EXPECT_EQ((*servers)[0].state, ServerState::kDraining);
  EXPECT_NE((*servers)[1].state, ServerState::kDraining);

  ASSERT_TRUE(lb().RemoveServer("a"));
  servers = lb().ListServers();
  ASSERT_TRUE(servers);
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].id, "b");
  // The id is free again.
  EXPECT_TRUE(lb().AddServer(Address("a")));
}

TEST_P(LbContractTest, UnknownIdsAreNotFound) {
  EXPECT_EQ(lb().DrainServer("ghost").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(lb().RemoveServer("ghost").error().code, ErrorCode::kNotFound);
}

TEST_P(LbContractTest, EntryUrlIsAnHttpUrlEndingInASlash) {
  const std::string url = lb().EntryUrl();
  EXPECT_TRUE(url.starts_with("http://")) << url;
  EXPECT_TRUE(url.ends_with("/")) << url;
}

TEST_P(LbContractTest, ListIntervalIsAConstantOfTheBalancer) {
  const std::chrono::milliseconds interval = lb().ListInterval();
  EXPECT_GE(interval, std::chrono::milliseconds(0));
  EXPECT_LE(interval, std::chrono::minutes(1));
  ASSERT_TRUE(lb().AddServer(Address("a")));
  ASSERT_TRUE(lb().ListServers());
  EXPECT_EQ(lb().ListInterval(), interval);
}

#ifdef MASKFLEET_LB_CONTRACT_ELBV2
// A target group of its own on the moto test bed (made by the bed's admin), driven as
// the manager (lb_elbv2_contract_test: one moto server for the binary).
class Elbv2Environment : public Environment {
 public:
  Elbv2Environment() {
    aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
    Result<std::string> group = elbv2::testing::MakeTargetGroup(bed);
    EXPECT_TRUE(group) << group.error().ToString();
    auto balancer = elbv2::Elbv2LoadBalancer::Open(
        std::shared_ptr<aws::Client>(bed.ClientFor("manager")),
        {.target_group_arn = group.value_or(""), .entry_url = "http://maskfleet.elb.test"});
    EXPECT_TRUE(balancer) << balancer.error().ToString();
    if (balancer) balancer_ = std::move(*balancer);
  }
  LoadBalancer& balancer() override { return *balancer_; }

 private:
  std::unique_ptr<elbv2::Elbv2LoadBalancer> balancer_;
};

INSTANTIATE_TEST_SUITE_P(
    Lb, LbContractTest,
    ::testing::Values(Implementation{"elbv2", [] { return std::make_unique<Elbv2Environment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });
#else
INSTANTIATE_TEST_SUITE_P(
    Lb, LbContractTest,
    ::testing::Values(Implementation{"fake", [] { return std::make_unique<FakeEnvironment>(); }},
                      Implementation{"haproxy", [] { return std::make_unique<HaproxyEnvironment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });
#endif

}  // namespace
}  // namespace maskfleet::lb
