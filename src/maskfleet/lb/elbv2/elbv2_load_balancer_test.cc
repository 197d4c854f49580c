// The ELBv2 balancer beyond the contract: states moto cannot produce (initial,
// unhealthy, draining) from a recorded DescribeTargetHealth answer, and permissions and
// a missing target group on the moto test bed.
#include "maskfleet/lb/elbv2/elbv2_load_balancer.h"

#include <gtest/gtest.h>

#include "maskfleet/aws/fake_transport.h"
#include "maskfleet/lb/elbv2/elbv2_test_target_group.h"

namespace maskfleet::lb::elbv2 {
namespace {

TEST(lb_Elbv2RecordedTest, TargetStatesAndReasonsFromDescribeTargetHealth) {
  auto transport = std::make_shared<aws::FakeTransport>();
  auto client = std::make_shared<aws::Client>(
      aws::ClientOptions{.region = "eu-west-1",
                         .credentials = std::make_shared<aws::StaticCredentialsProvider>(
                             aws::Credentials{.access_key_id = "AKID", .secret_access_key = "S"}),
                         .transport = transport,
                         .env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
                         .endpoints = {{"elasticloadbalancing", "http://127.0.0.1:9"}}});
  transport->Answer(200, "<DescribeTargetGroupsResponse/>");
  auto balancer = Elbv2LoadBalancer::Open(client,
                                          {.target_group_arn = "arn:tg", .entry_url = "http://alb.test"});
  ASSERT_TRUE(balancer) << balancer.error().ToString();
  EXPECT_EQ((*balancer)->EntryUrl(), "http://alb.test/");
  for (const char* id : {"i-1", "i-2", "i-3", "i-4"}) {
    transport->Answer(200, "<RegisterTargetsResponse/>");
    ASSERT_TRUE((*balancer)->AddServer({.id = id, .address = "10.0.0.1", .port = 8081}));
  }
  transport->Answer(
      200, R"(<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult><TargetHealthDescriptions>
    <member><Target><Id>i-1</Id><Port>8081</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member>
    <member><Target><Id>i-2</Id><Port>8081</Port></Target><TargetHealth><State>initial</State>
      <Reason>Elb.RegistrationInProgress</Reason><Description>Target registration is in progress</Description></TargetHealth></member>
    <member><Target><Id>i-3</Id><Port>8081</Port></Target><TargetHealth><State>unhealthy</State>
      <Reason>Target.ResponseCodeMismatch</Reason><Description>Health checks failed with these codes: [503]</Description></TargetHealth></member>
    <member><Target><Id>i-4</Id><Port>8081</Port></Target><TargetHealth><State>draining</State>
      <Reason>Target.DeregistrationInProgress</Reason></TargetHealth></member>
    <member><Target><Id>i-other</Id><Port>80</Port></Target><TargetHealth><State>healthy</State></TargetHealth></member>
  </TargetHealthDescriptions></DescribeTargetHealthResult></DescribeTargetHealthResponse>)");
  auto servers = (*balancer)->ListServers();
  ASSERT_TRUE(servers) << servers.error().ToString();
  ASSERT_EQ(servers->size(), 4u);  // a target not added here is not ours to list
  EXPECT_EQ((*servers)[0].state, ServerState::kUp);
  EXPECT_TRUE((*servers)[0].healthy);
  EXPECT_EQ((*servers)[0].address, "10.0.0.1");
  EXPECT_EQ((*servers)[1].state, ServerState::kDown);
  EXPECT_EQ((*servers)[1].check_status, "Elb.RegistrationInProgress");
  EXPECT_EQ((*servers)[2].state, ServerState::kDown);
  EXPECT_FALSE((*servers)[2].healthy);
  EXPECT_EQ((*servers)[2].check_detail, "Health checks failed with these codes: [503]");
  EXPECT_EQ((*servers)[3].state, ServerState::kDraining);
  EXPECT_EQ((*servers)[3].active_connections, -1);
  // Draining is DeregisterTargets; removing a drained server sends nothing more.
  transport->Answer(200, "<DeregisterTargetsResponse/>");
  ASSERT_TRUE((*balancer)->DrainServer("i-1"));
  const std::size_t sent = transport->requests().size();
  ASSERT_TRUE((*balancer)->RemoveServer("i-1"));
  EXPECT_EQ(transport->requests().size(), sent);
  EXPECT_NE(transport->requests().back().body.find("Action=DeregisterTargets&"), std::string::npos);
  EXPECT_NE(transport->requests().back().body.find("Targets.member.1.Id=i-1&Targets.member.1.Port=8081"),
            std::string::npos);
}

TEST(lb_Elbv2MotoTest, OnlyTheManagerMayRegisterAndTheGroupMustExist) {
  aws::testing::MotoBed& bed = aws::testing::RequireMotoBed();
  auto group = testing::MakeTargetGroup(bed);
  ASSERT_TRUE(group) << group.error().ToString();
  // The worker's policy has no ELBv2 action.
  auto as_worker = Elbv2LoadBalancer::Open(std::shared_ptr<aws::Client>(bed.ClientFor("worker")),
                                           {.target_group_arn = *group, .entry_url = "http://alb.test/"});
  ASSERT_FALSE(as_worker);
  EXPECT_EQ(as_worker.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(as_worker.error().message.find("DescribeTargetGroups"), std::string::npos)
      << as_worker.error().message;

  auto missing = Elbv2LoadBalancer::Open(
      std::shared_ptr<aws::Client>(bed.ClientFor("manager")),
      {.target_group_arn =
           "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/none/0123456789abcdef",
       .entry_url = "http://alb.test/"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().ToString();

  auto balancer = Elbv2LoadBalancer::Open(std::shared_ptr<aws::Client>(bed.ClientFor("manager")),
                                          {.target_group_arn = *group, .entry_url = "http://alb.test/"});
  ASSERT_TRUE(balancer) << balancer.error().ToString();
  ASSERT_TRUE((*balancer)->AddServer({.id = "i-0123456789abcdef0", .address = "10.0.0.7", .port = 8081}));
  auto servers = (*balancer)->ListServers();
  ASSERT_TRUE(servers) << servers.error().ToString();
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].state, ServerState::kUp);  // moto: healthy at once
}

}  // namespace
}  // namespace maskfleet::lb::elbv2
