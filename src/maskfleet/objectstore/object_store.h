// ObjectStore: where maskfleet keeps bytes that are too big for the database (the
// original, annotated and thumbnail images), each under a key.
//
// The model is S3's: a flat namespace of keys such as "images/42/17/original.jpg",
// where '/' separates segments only by convention; Put replaces a whole object, Get
// returns a whole object, ListPage finds keys by prefix a page at a time (S3 answers
// at most 1,000 keys a call), DeleteMany removes up to a page of keys in one call, and
// SignedReadUrl lets a browser read an object straight from the service where the
// back end can sign URLs. Implementations:
//   local/  LocalObjectStore, a directory tree (the local deployment, and the default)
//   fake/   FakeObjectStore, in memory with fault injection, for other components' tests
//   s3/     S3ObjectStore, an S3 bucket (the AWS mode)
//
// Keys must pass ValidateObjectKey (object_key.h) on every implementation, so that a
// key that works in tests works on the file system and on S3 too; an invalid key is
// kInvalidArgument and touches nothing.
//
// Thread safety: every implementation is safe to call from many threads at once, and
// the local one from many processes sharing one directory. A Get running at the same
// time as a Put of the same key returns the whole old object or the whole new one,
// never a mix. Listing while others put and delete is not a snapshot: a key put or
// deleted between two pages may or may not appear, every other key appears once.
#ifndef MASKFLEET_OBJECTSTORE_OBJECT_STORE_H_
#define MASKFLEET_OBJECTSTORE_OBJECT_STORE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"

namespace maskfleet::objectstore {

// The most keys one ListPage answers and one DeleteMany takes (S3's limit for both).
inline constexpr int kMaxKeysPerPage = 1000;

// The longest a signed URL may stay valid (S3's limit for a SigV4 presigned URL).
inline constexpr std::chrono::seconds kMaxSignedUrlLifetime{7 * 24 * 3600};

// One page of keys.
struct KeyPage {
  // Sorted, at most the page size asked for; may be empty (no key, or the last keys
  // were deleted since the previous page).
  std::vector<std::string> keys;
  // Passed to the next ListPage call for the keys after these; empty on the last page.
  std::string next_page_token;
};

// A key that DeleteMany could not delete, and why.
struct KeyFailure {
  std::string key;
  Error error;
};

// A URL that reads one object without credentials, until `expires_at`.
struct SignedUrl {
  std::string url;
  Clock::TimePoint expires_at;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `bytes` under `key`, replacing any object already there; when it returns
  // success the object is durable (on disk, or acknowledged by the service).
  // `content_type` ("image/jpeg") is kept where the back end keeps one (S3) and served
  // with the object there; the local store does not keep it, so callers that serve
  // objects take the type from their own records. Errors: kInvalidArgument (bad key),
  // kUnavailable (out of space, service unreachable or throttled: retry later),
  // kFailedPrecondition (the local store cannot hold both "a/b" and "a/b/c"),
  // kInternal. On failure no object or part of one is left under `key` (an older
  // object there stays).
  virtual Status Put(std::string_view key, std::span<const std::uint8_t> bytes,
                     std::string_view content_type) = 0;

  // The object's bytes. Errors: kInvalidArgument (bad key), kNotFound, kUnavailable,
  // kInternal.
  virtual Result<std::vector<std::uint8_t>> Get(std::string_view key) = 0;

  // Removes the object. Removing a key that holds nothing succeeds (so a cleanup can be
  // retried). Errors: kInvalidArgument (bad key), kUnavailable, kInternal.
  virtual Status Delete(std::string_view key) = 0;

  // One page of the keys that start with `prefix` (a plain string prefix, as on S3:
  // "images/4" finds "images/4/..." and "images/42/..."; "" finds all), in sorted
  // order: at most `page_size` keys after `page_token` ("" for the first page; else a
  // next_page_token of an earlier call with the same prefix). A page of exactly the
  // remaining keys may still carry a token, whose page is then empty with no token.
  // Errors: kInvalidArgument (`prefix` fails ValidateObjectPrefix, `page_size` outside
  // 1..kMaxKeysPerPage, a token this store did not make for this prefix),
  // kUnavailable (retry the same call), kInternal. Cost: local, a walk of the folders
  // under the prefix per page; S3, one ListObjectsV2 request.
  virtual Result<KeyPage> ListPage(std::string_view prefix, std::string_view page_token, int page_size) = 0;

  // Every key that starts with `prefix`, sorted: ListPage page after page, for callers
  // that know the set is small (tests, tools). Errors: as ListPage (the first page's
  // or a later one's; nothing is returned then).
  Result<std::vector<std::string>> List(std::string_view prefix);

  // Removes up to kMaxKeysPerPage objects in one call, as Delete does each (a key that
  // holds nothing counts as deleted). Success is the list of the keys that were not
  // deleted, each with its error (kInvalidArgument for a bad key, kUnavailable,
  // kInternal), in the order given; empty when all went. The other keys are deleted.
  // Errors of the whole call, when nothing was deleted: kInvalidArgument (more than
  // kMaxKeysPerPage keys), kUnavailable (the service cannot be reached or throttles:
  // retry), kInternal. Cost: local, one unlink per key; S3, one DeleteObjects request.
  virtual Result<std::vector<KeyFailure>> DeleteMany(std::span<const std::string> keys) = 0;

  // A URL from which anyone holding it can GET the object (with the content type given
  // to Put) until it expires, `lifetime` from now, so that a browser reads the object
  // from the store rather than through a worker. Signing is local (no request is made;
  // whether the object exists is not checked: a missing one answers 404 there).
  // Success with std::nullopt: this store cannot sign URLs (the local store); the
  // caller serves the bytes itself, from Get. Errors: kInvalidArgument (bad key,
  // `lifetime` outside 1 s..kMaxSignedUrlLifetime), kUnavailable (no credentials to
  // sign with just now), kInternal.
  virtual Result<std::optional<SignedUrl>> SignedReadUrl(std::string_view key,
                                                         std::chrono::seconds lifetime) = 0;
};

// The checks every implementation makes on ListPage's and DeleteMany's arguments, and
// on SignedReadUrl's: success or kInvalidArgument saying what is wrong. A page token
// is checked as the stores in this folder make them (the last key of the page before,
// which starts with the prefix); a store with tokens of its own checks only the rest.
Status ValidateListPage(std::string_view prefix, std::string_view page_token, int page_size,
                        bool check_token = true);
Status ValidateDeleteMany(std::span<const std::string> keys);
Status ValidateSignedUrl(std::string_view key, std::chrono::seconds lifetime);

// One page of `sorted_keys` (every key with the prefix, sorted) after `page_token` (the
// last key of the page before, or ""), as the local and fake stores answer ListPage.
KeyPage PageOfSortedKeys(const std::vector<std::string>& sorted_keys, std::string_view page_token,
                         int page_size);

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_OBJECT_STORE_H_
