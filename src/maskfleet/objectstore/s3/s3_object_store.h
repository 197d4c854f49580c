// S3ObjectStore: the ObjectStore on an S3 bucket (the AWS mode), through the AWS client
// (aws/client.h).
//
// Every key lives under `key_prefix` in the bucket. Objects are written with the
// configured server-side encryption and never with an ACL, so they are exactly as
// private as the bucket: Open() checks that the bucket blocks all public access, and
// refuses a bucket that does not (unless told not to check). People reach an image
// through a worker or through SignedReadUrl's short-lived presigned URL.
//
// Requests: Put is one PutObject (with Content-MD5, so a body damaged on the way is
// refused), Get one GetObject, Delete one DeleteObject, ListPage one ListObjectsV2,
// DeleteMany one DeleteObjects (with Content-MD5, as S3 requires). Idempotent calls
// are retried by the client (throttling, 5xx, lost connections).
//
// Thread safety: safe from many threads (the client is).
#ifndef MASKFLEET_OBJECTSTORE_S3_S3_OBJECT_STORE_H_
#define MASKFLEET_OBJECTSTORE_S3_S3_OBJECT_STORE_H_

#include <memory>
#include <string>

#include "maskfleet/aws/client.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/objectstore/object_store.h"

namespace maskfleet::objectstore {

struct S3ObjectStoreOptions {
  // The bucket's name. Required.
  std::string bucket;
  // Prepended to every key in the bucket ("maskfleet/" keeps the objects in one
  // folder of a shared bucket); "" by default. Must be "" or a valid prefix ending in '/'.
  std::string key_prefix;
  // x-amz-server-side-encryption of every Put: "AES256" (SSE-S3, the default),
  // "aws:kms" (with kms_key_id, or the account's default key), or "" to leave it to the
  // bucket's default encryption.
  std::string server_side_encryption = "AES256";
  std::string kms_key_id;
  // Bucket in the path (http://endpoint/bucket/key) rather than in the host name
  // (https://bucket.s3.region.amazonaws.com/key). Default: the path for any endpoint
  // other than AWS's own, and for bucket names with dots.
  std::optional<bool> path_style;
  // Check at Open() that the bucket blocks all public access (GetPublicAccessBlock).
  bool require_public_access_block = true;
};

class S3ObjectStore : public ObjectStore {
 public:
  // Errors: kInvalidArgument (no bucket, a bad key prefix or encryption setting),
  // kFailedPrecondition (the bucket does not block public access), and the client's
  // errors of GetPublicAccessBlock (kNotFound: no such bucket; kPermissionDenied ...).
  static Result<std::unique_ptr<S3ObjectStore>> Open(std::shared_ptr<aws::Client> client,
                                                     S3ObjectStoreOptions options,
                                                     const Clock& clock = RealClock());

  Status Put(std::string_view key, std::span<const std::uint8_t> bytes,
             std::string_view content_type) override;
  Result<std::vector<std::uint8_t>> Get(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<KeyPage> ListPage(std::string_view prefix, std::string_view page_token, int page_size) override;
  Result<std::vector<KeyFailure>> DeleteMany(std::span<const std::string> keys) override;
  Result<std::optional<SignedUrl>> SignedReadUrl(std::string_view key,
                                                 std::chrono::seconds lifetime) override;

 private:
  S3ObjectStore(std::shared_ptr<aws::Client> client, S3ObjectStoreOptions options, const Clock& clock);
  // Path of an object (or of the bucket, for key ""), encoded, after origin_.
  std::string PathOf(std::string_view key) const;

  std::shared_ptr<aws::Client> client_;
  const S3ObjectStoreOptions options_;
  const Clock& clock_;
  // "http://127.0.0.1:5000" (path style) or "https://bucket.s3.eu-west-1.amazonaws.com".
  std::string origin_;
  bool path_style_ = true;
};

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_S3_S3_OBJECT_STORE_H_
