// Target groups for the ELBv2 balancer's tests on the moto test bed (test code only).
#ifndef MASKFLEET_LB_ELBV2_ELBV2_TEST_TARGET_GROUP_H_
#define MASKFLEET_LB_ELBV2_ELBV2_TEST_TARGET_GROUP_H_

#include <atomic>
#include <string>

#include "maskfleet/aws/testing/moto_bed.h"

namespace maskfleet::lb::elbv2::testing {

// A new HTTP target group of type "instance" in the bed's default VPC, health-checked
// on /healthz, made by the bed's admin; its ARN.
inline Result<std::string> MakeTargetGroup(aws::testing::MotoBed& bed) {
  static std::atomic<int> groups{0};
  auto admin = bed.ClientFor("admin");
  auto vpcs = admin->Query(aws::kEc2, "DescribeVpcs",
                           {{"Filter.1.Name", "isDefault"}, {"Filter.1.Value.1", "true"}},
                           aws::Idempotency::kIdempotent);
  if (!vpcs) return std::unexpected(aws::ToError(vpcs.error()));
  const std::string vpc = aws::ChildText(vpcs->root().child("vpcSet").child("item"), "vpcId");
  auto made = admin->Query(aws::kElbv2, "CreateTargetGroup",
                           {{"Name", "maskfleet-tg-" + std::to_string(++groups)},
                            {"Protocol", "HTTP"},
                            {"Port", "8080"},
                            {"VpcId", vpc},
                            {"TargetType", "instance"},
                            {"HealthCheckPath", "/healthz"}},
                           aws::Idempotency::kNotIdempotent);
  if (!made) return std::unexpected(aws::ToError(made.error()));
  const std::string arn = aws::ChildText(
      made->root().child("CreateTargetGroupResult").child("TargetGroups").child("member"), "TargetGroupArn");
  if (arn.empty()) return MakeError(ErrorCode::kInternal, "CreateTargetGroup gave no ARN");
  return arn;
}

}  // namespace maskfleet::lb::elbv2::testing

#endif  // MASKFLEET_LB_ELBV2_ELBV2_TEST_TARGET_GROUP_H_
