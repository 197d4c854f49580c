#include "maskfleet/objectstore/s3/s3_object_store.h"

#include <algorithm>
#include <map>
#include <sstream>

#include <pugixml.hpp>

#include "maskfleet/aws/crypto.h"
#include "maskfleet/aws/sigv4.h"
#include "maskfleet/objectstore/object_key.h"

namespace maskfleet::objectstore {
namespace {

using aws::Idempotency;

std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Context for an error about one key: "s3 bucket/images/1/a.jpg".
Error KeyError(const aws::AwsError& error, std::string_view bucket, std::string_view key) {
  return aws::ToError(error).WithContext(std::string(bucket) + "/" + std::string(key));
}

}  // namespace

S3ObjectStore::S3ObjectStore(std::shared_ptr<aws::Client> client, S3ObjectStoreOptions options,
                             const Clock& clock)
    : client_(std::move(client)), options_(std::move(options)), clock_(clock) {
  const std::string endpoint = client_->Endpoint(aws::kS3);
  path_style_ = options_.path_style.value_or(!endpoint.ends_with(".amazonaws.com") ||
                                             options_.bucket.find('.') != std::string::npos);
  if (path_style_) {
    origin_ = endpoint;
  } else {
    const auto scheme_end = endpoint.find("://") + 3;
    origin_ = endpoint.substr(0, scheme_end) + options_.bucket + "." + endpoint.substr(scheme_end);
  }
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(std::shared_ptr<aws::Client> client,
                                                           S3ObjectStoreOptions options, const Clock& clock) {
  if (options.bucket.empty()) return MakeError(ErrorCode::kInvalidArgument, "s3: no bucket named");
  if (!options.key_prefix.empty() &&
      (!options.key_prefix.ends_with('/') || !ValidateObjectPrefix(options.key_prefix))) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "s3: the key prefix must be empty or valid key segments ending in '/'; got \"" +
                         options.key_prefix + "\"");
  }
  if (options.server_side_encryption != "" && options.server_side_encryption != "AES256" &&
      options.server_side_encryption != "aws:kms") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "s3: server-side encryption must be AES256, aws:kms or empty; got \"" +
                         options.server_side_encryption + "\"");
  }
  std::unique_ptr<S3ObjectStore> store(new S3ObjectStore(std::move(client), std::move(options), clock));
  if (store->options_.require_public_access_block) {
    auto answer = store->client_->Rest(
        aws::kS3, "GetPublicAccessBlock",
        {.origin = store->origin_, .path = store->PathOf(""), .query = {{"publicAccessBlock", ""}}},
        Idempotency::kIdempotent);
    const std::string bucket = "s3 bucket " + store->options_.bucket;
    if (!answer && answer.error().code == "NoSuchPublicAccessBlockConfiguration") {
      return MakeError(ErrorCode::kFailedPrecondition,
                       bucket +
                           " does not block public access (no public access block); block "
                           "it, or set require_public_access_block = false");
    }
    if (!answer) return std::unexpected(aws::ToError(answer.error()).WithContext(bucket));
    pugi::xml_document doc;
    doc.load_buffer(answer->body.data(), answer->body.size());
    const pugi::xml_node config = doc.child("PublicAccessBlockConfiguration");
    for (const char* setting :
         {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}) {
      if (std::string_view(config.child_value(setting)) != "true") {
        return MakeError(ErrorCode::kFailedPrecondition,
                         bucket + " does not block all public access (" + setting + " is not true)");
      }
    }
  }
  return store;
}

std::string S3ObjectStore::PathOf(std::string_view key) const {
  std::string path = path_style_ ? "/" + options_.bucket : "";
  if (!key.empty()) path += "/" + aws::UriEncode(options_.key_prefix + std::string(key), /*keep_slash=*/true);
  if (path.empty()) path = "/";
  return path;
}

Status S3ObjectStore::Put(std::string_view key, std::span<const std::uint8_t> bytes,
                          std::string_view content_type) {
  if (Status st = ValidateObjectKey(key); !st) return st;
  aws::Client::RestRequest request{
      .origin = origin_,
      .method = "PUT",
      .path = PathOf(key),
      .headers = {{"Content-Type",
                   content_type.empty() ? "application/octet-stream" : std::string(content_type)},
                  {"Content-MD5", aws::Md5Base64(bytes)}},
      .body = std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size())};
  if (!options_.server_side_encryption.empty()) {
    request.headers.emplace_back("x-amz-server-side-encryption", options_.server_side_encryption);
    if (options_.server_side_encryption == "aws:kms" && !options_.kms_key_id.empty()) {
      request.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", options_.kms_key_id);
    }
  }
  auto answer = client_->Rest(aws::kS3, "PutObject", request, Idempotency::kIdempotent);
  if (!answer) return std::unexpected(KeyError(answer.error(), options_.bucket, key));
  return {};
}

Result<std::vector<std::uint8_t>> S3ObjectStore::Get(std::string_view key) {
  if (Status st = ValidateObjectKey(key); !st) return std::unexpected(st.error());
  auto answer = client_->Rest(aws::kS3, "GetObject", {.origin = origin_, .path = PathOf(key)},
                              Idempotency::kIdempotent);
  if (!answer) return std::unexpected(KeyError(answer.error(), options_.bucket, key));
  return std::vector<std::uint8_t>(answer->body.begin(), answer->body.end());
}

Status S3ObjectStore::Delete(std::string_view key) {
  if (Status st = ValidateObjectKey(key); !st) return st;
  // S3 answers 204 also for a key that holds nothing.
  auto answer = client_->Rest(aws::kS3, "DeleteObject",
                              {.origin = origin_, .method = "DELETE", .path = PathOf(key)},
                              Idempotency::kIdempotent);
  if (!answer) return std::unexpected(KeyError(answer.error(), options_.bucket, key));
  return {};
}

Result<KeyPage> S3ObjectStore::ListPage(std::string_view prefix, std::string_view page_token, int page_size) {
  if (Status st = ValidateListPage(prefix, page_token, page_size); !st) return std::unexpected(st.error());
  // The page token is the last key of the page before, as S3's start-after takes it.
  aws::Parameters query{{"list-type", "2"},
                        {"prefix", options_.key_prefix + std::string(prefix)},
                        {"max-keys", std::to_string(page_size)}};
  if (!page_token.empty()) query.emplace_back("start-after", options_.key_prefix + std::string(page_token));
  auto answer = client_->Rest(aws::kS3, "ListObjectsV2",
                              {.origin = origin_, .path = PathOf(""), .query = std::move(query)},
                              Idempotency::kIdempotent);
  if (!answer) {
    return std::unexpected(aws::ToError(answer.error()).WithContext("s3 bucket " + options_.bucket));
  }
  pugi::xml_document doc;
  const pugi::xml_node result = doc.load_buffer(answer->body.data(), answer->body.size())
                                    ? doc.child("ListBucketResult")
                                    : pugi::xml_node();
  if (!result) {
    return MakeError(ErrorCode::kInternal,
                     "s3 bucket " + options_.bucket + ": unreadable ListObjectsV2 answer");
  }
  KeyPage page;
  for (pugi::xml_node contents : result.children("Contents")) {
    std::string key = contents.child_value("Key");
    if (!key.starts_with(options_.key_prefix)) continue;
    page.keys.push_back(key.substr(options_.key_prefix.size()));
  }
  if (std::string_view(result.child_value("IsTruncated")) == "true" && !page.keys.empty()) {
    page.next_page_token = page.keys.back();
  }
  return page;
}

Result<std::vector<KeyFailure>> S3ObjectStore::DeleteMany(std::span<const std::string> keys) {
  if (Status st = ValidateDeleteMany(keys); !st) return std::unexpected(st.error());
  // Failures with the position of their key, to answer them in the order given.
  std::vector<std::pair<std::size_t, KeyFailure>> failures;
  std::map<std::string, std::size_t> position_of;  // full key in the bucket -> first position
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Delete");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  root.append_child("Quiet").text() = "true";  // answer only the failures
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (Status st = ValidateObjectKey(keys[i]); !st) {
      failures.push_back({i, KeyFailure{keys[i], st.error()}});
      continue;
    }
    const std::string full_key = options_.key_prefix + keys[i];
    if (position_of.emplace(full_key, i).second) {
      root.append_child("Object").append_child("Key").text() = full_key.c_str();
    }
  }
  if (!position_of.empty()) {
    std::ostringstream body;
    doc.save(body, "", pugi::format_raw);
    const std::string text = body.str();
    auto answer = client_->Rest(
        aws::kS3, "DeleteObjects",
        {.origin = origin_,
         .method = "POST",
         .path = PathOf(""),
         .query = {{"delete", ""}},
         .headers = {{"Content-Type", "application/xml"}, {"Content-MD5", aws::Md5Base64(AsBytes(text))}},
         .body = text},
        Idempotency::kIdempotent);
    if (!answer) {
      return std::unexpected(aws::ToError(answer.error()).WithContext("s3 bucket " + options_.bucket));
    }
    pugi::xml_document result;
    if (!result.load_buffer(answer->body.data(), answer->body.size()) || !result.child("DeleteResult")) {
      return MakeError(ErrorCode::kInternal,
                       "s3 bucket " + options_.bucket + ": unreadable DeleteObjects answer");
    }
    for (pugi::xml_node error : result.child("DeleteResult").children("Error")) {
      const auto it = position_of.find(error.child_value("Key"));
      if (it == position_of.end()) continue;  // not a key of ours
      const std::string& key = keys[it->second];
      aws::AwsError cause{.kind = aws::AwsError::Kind::kService,
                          .service = "s3",
                          .operation = "DeleteObjects",
                          .http_status = answer->status,
                          .code = error.child_value("Code"),
                          .message = error.child_value("Message"),
                          .request_id = answer->Header("x-amz-request-id")};
      failures.push_back({it->second, KeyFailure{key, KeyError(cause, options_.bucket, key)}});
    }
  }
  std::stable_sort(failures.begin(), failures.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<KeyFailure> ordered;
  for (auto& [position, failure] : failures) ordered.push_back(std::move(failure));
  return ordered;
}

Result<std::optional<SignedUrl>> S3ObjectStore::SignedReadUrl(std::string_view key,
                                                              std::chrono::seconds lifetime) {
  if (Status st = ValidateSignedUrl(key, lifetime); !st) return std::unexpected(st.error());
  auto credentials = client_->CurrentCredentials();
  if (!credentials) {
    return MakeError(ErrorCode::kUnavailable,
                     "s3: no credentials to sign a URL with: " + credentials.error().message);
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(clock_.Now());
  const std::string object = options_.key_prefix + std::string(key);
  aws::PresignRequest request{.method = "GET",
                              .origin = origin_,
                              .path = path_style_ ? "/" + options_.bucket + "/" + object : "/" + object,
                              .region = client_->region(),
                              .service = "s3",
                              .signed_at = now,
                              .expires = lifetime};
  Clock::TimePoint expires_at = now + lifetime;
  // A URL signed with temporary credentials stops working when they expire.
  if (credentials->expiration && *credentials->expiration < expires_at) expires_at = *credentials->expiration;
  return std::optional<SignedUrl>(SignedUrl{aws::PresignUrl(request, *credentials), expires_at});
}

}  // namespace maskfleet::objectstore
