// Buckets for the S3 store's tests on the moto test bed (test code only).
#ifndef MASKFLEET_OBJECTSTORE_S3_S3_TEST_BUCKET_H_
#define MASKFLEET_OBJECTSTORE_S3_S3_TEST_BUCKET_H_

#include <string>

#include "maskfleet/aws/crypto.h"
#include "maskfleet/aws/testing/moto_bed.h"

namespace maskfleet::objectstore {

// Creates `bucket` as the bed's admin (success also when it exists) and, with
// `block_public`, blocks all public access to it, as a deployment's bucket does.
inline Status MakeTestBucket(aws::testing::MotoBed& bed, const std::string& bucket,
                             bool block_public = true) {
  auto admin = bed.ClientFor("admin");
  auto made = admin->Rest(
      aws::kS3, "CreateBucket",
      {.method = "PUT", .path = "/" + bucket, .headers = {{"Content-Type", "application/xml"}}},
      aws::Idempotency::kIdempotent);
  if (!made && made.error().code != "BucketAlreadyOwnedByYou")
    return std::unexpected(aws::ToError(made.error()));
  if (!block_public) return {};
  const std::string body =
      "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
      "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>"
      "</PublicAccessBlockConfiguration>";
  auto blocked = admin->Rest(
      aws::kS3, "PutPublicAccessBlock",
      {.method = "PUT",
       .path = "/" + bucket,
       .query = {{"publicAccessBlock", ""}},
       .headers = {{"Content-Type", "application/xml"},
                   {"Content-MD5",
                    aws::Md5Base64({reinterpret_cast<const std::uint8_t*>(body.data()), body.size()})}},
       .body = body},
      aws::Idempotency::kIdempotent);
  if (!blocked) return std::unexpected(aws::ToError(blocked.error()));
  return {};
}

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_S3_S3_TEST_BUCKET_H_
