// The client against moto with request authentication on: each protocol signs
// correctly for the right key, a wrong secret is refused, an action the user's
// policy does not grant is refused and named.
#include <gtest/gtest.h>

#include "maskfleet/aws/client.h"
#include "maskfleet/aws/testing/moto_bed.h"

namespace maskfleet::aws {
namespace {

class AwsMotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bed_ = &testing::RequireMotoBed();
    admin_ = bed_->ClientFor("admin");
    manager_ = bed_->ClientFor("manager");
    worker_ = bed_->ClientFor("worker");
  }

  // Creates the bed's bucket once (as admin); ignores "already yours".
  void MakeBucket() {
    auto made = admin_->Rest(
        kS3, "CreateBucket",
        {.method = "PUT", .path = "/" + bed_->bucket(), .headers = {{"Content-Type", "application/xml"}}},
        Idempotency::kIdempotent);
    if (!made) {
      ASSERT_EQ(made.error().code, "BucketAlreadyOwnedByYou") << made.error().ToString();
    }
  }

  testing::MotoBed* bed_ = nullptr;
  std::unique_ptr<Client> admin_, manager_, worker_;
};

TEST_F(AwsMotoTest, QueryProtocolSignsForEc2Elbv2AndCloudWatch) {
  auto instances = manager_->Query(kEc2, "DescribeInstances", {}, Idempotency::kIdempotent);
  ASSERT_TRUE(instances) << instances.error().ToString();
  EXPECT_STREQ(instances->root().name(), "DescribeInstancesResponse");

  auto groups = manager_->Query(kElbv2, "DescribeTargetGroups", {}, Idempotency::kIdempotent);
  ASSERT_TRUE(groups) << groups.error().ToString();
  EXPECT_STREQ(groups->root().name(), "DescribeTargetGroupsResponse");

  // A value with characters the form encoding must escape ('/', ' ', ':').
  auto put = worker_->Query(kCloudWatch, "PutMetricData",
                            {{"Namespace", "maskfleet/test run"},
                             {"MetricData.member.1.MetricName", "RequestsPerMinute"},
                             {"MetricData.member.1.Dimensions.member.1.Name", "InstanceId"},
                             {"MetricData.member.1.Dimensions.member.1.Value", "i-0a:b/c d"},
                             {"MetricData.member.1.Value", "42"},
                             {"MetricData.member.1.Unit", "Count"}},
                            Idempotency::kIdempotent);
  ASSERT_TRUE(put) << put.error().ToString();
}

TEST_F(AwsMotoTest, RestXmlSignsS3PutGetListAndDelete) {
  MakeBucket();
  const std::string path = "/" + bed_->bucket() + "/images/1/a%20b.jpg";
  auto put = worker_->Rest(kS3, "PutObject",
                           {.method = "PUT",
                            .path = path,
                            .headers = {{"Content-Type", "image/jpeg"}},
                            .body = std::string("\xff\xd8\x00x", 4)},
                           Idempotency::kIdempotent);
  ASSERT_TRUE(put) << put.error().ToString();
  auto got = worker_->Rest(kS3, "GetObject", {.path = path}, Idempotency::kIdempotent);
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->body, std::string("\xff\xd8\x00x", 4));
  EXPECT_EQ(got->Header("content-type"), "image/jpeg");
  // A query string with a '/' to encode and parameters that must be sorted.
  auto listed = manager_->Rest(
      kS3, "ListObjectsV2",
      {.path = "/" + bed_->bucket(), .query = {{"prefix", "images/1/"}, {"list-type", "2"}}},
      Idempotency::kIdempotent);
  ASSERT_TRUE(listed) << listed.error().ToString();
  EXPECT_NE(listed->body.find("<Key>images/1/a b.jpg</Key>"), std::string::npos) << listed->body;
  auto deleted = manager_->Rest(kS3, "DeleteObject", {.method = "DELETE", .path = path},
                                Idempotency::kIdempotent);
  ASSERT_TRUE(deleted) << deleted.error().ToString();
  auto gone = worker_->Rest(kS3, "GetObject", {.path = path}, Idempotency::kIdempotent);
  ASSERT_FALSE(gone);
  EXPECT_EQ(ToErrorCode(gone.error()), ErrorCode::kNotFound);
}

TEST_F(AwsMotoTest, JsonProtocolReadsASecret) {
  auto made = admin_->Json(kSecretsManager, "secretsmanager", "CreateSecret",
                           {{"Name", "maskfleet/db-json"}, {"SecretString", "p@ss word"}},
                           Idempotency::kNotIdempotent);
  if (!made) {
    ASSERT_EQ(made.error().code, "ResourceExistsException") << made.error().ToString();
  }
  for (Client* client : {manager_.get(), worker_.get()}) {
    auto secret = client->Json(kSecretsManager, "secretsmanager", "GetSecretValue",
                               {{"SecretId", "maskfleet/db-json"}}, Idempotency::kIdempotent);
    ASSERT_TRUE(secret) << secret.error().ToString();
    EXPECT_EQ((*secret)["SecretString"], "p@ss word");
  }
  auto missing = manager_->Json(kSecretsManager, "secretsmanager", "GetSecretValue",
                                {{"SecretId", "maskfleet/none"}}, Idempotency::kIdempotent);
  ASSERT_FALSE(missing);
  EXPECT_EQ(ToErrorCode(missing.error()), ErrorCode::kNotFound) << missing.error().ToString();
}

TEST_F(AwsMotoTest, WrongSecretIsUnauthenticatedInEveryProtocol) {
  MakeBucket();
  auto impostor = bed_->ClientFor("manager", "not-the-secret");
  auto query = impostor->Query(kEc2, "DescribeInstances", {}, Idempotency::kIdempotent);
  ASSERT_FALSE(query);
  EXPECT_EQ(ToErrorCode(query.error()), ErrorCode::kUnauthenticated) << query.error().ToString();
  auto rest = impostor->Rest(kS3, "ListObjectsV2",
                             {.path = "/" + bed_->bucket(), .query = {{"list-type", "2"}}},
                             Idempotency::kIdempotent);
  ASSERT_FALSE(rest);
  EXPECT_EQ(ToErrorCode(rest.error()), ErrorCode::kUnauthenticated) << rest.error().ToString();
  auto json = impostor->Json(kSecretsManager, "secretsmanager", "GetSecretValue",
                             {{"SecretId", "maskfleet/db-json"}}, Idempotency::kIdempotent);
  ASSERT_FALSE(json);
  EXPECT_EQ(ToErrorCode(json.error()), ErrorCode::kUnauthenticated) << json.error().ToString();
  // Not retried: a refused signature does not get better.
}

TEST_F(AwsMotoTest, ActionOutsideThePolicyIsPermissionDeniedAndNamed) {
  // The worker's policy has no EC2 or ELBv2 actions, and no GetMetricData.
  auto launch = worker_->Query(kEc2, "DescribeInstances", {}, Idempotency::kIdempotent);
  ASSERT_FALSE(launch);
  Error error = ToError(launch.error());
  EXPECT_EQ(error.code, ErrorCode::kPermissionDenied) << error.message;
  EXPECT_NE(error.message.find("ec2:DescribeInstances"), std::string::npos) << error.message;

  auto read = worker_->Query(kCloudWatch, "GetMetricData", {}, Idempotency::kIdempotent);
  ASSERT_FALSE(read);
  error = ToError(read.error());
  EXPECT_EQ(error.code, ErrorCode::kPermissionDenied) << error.message;
  EXPECT_NE(error.message.find("GetMetricData"), std::string::npos) << error.message;

  // The manager may not put objects (only list and delete them).
  MakeBucket();
  auto put = manager_->Rest(kS3, "PutObject",
                            {.method = "PUT",
                             .path = "/" + bed_->bucket() + "/x",
                             .headers = {{"Content-Type", "text/plain"}},
                             .body = "x"},
                            Idempotency::kIdempotent);
  ASSERT_FALSE(put);
  EXPECT_EQ(ToErrorCode(put.error()), ErrorCode::kPermissionDenied) << put.error().ToString();
}

}  // namespace
}  // namespace maskfleet::aws
