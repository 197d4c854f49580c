// ObjectStore: where maskfleet keeps bytes that are too big for the database (the
// original, annotated and thumbnail images), each under a key.
//
// The model is S3's: a flat namespace of keys such as "images/42/17/original.jpg",
// where '/' separates segments only by convention; Put replaces a whole object, Get
// returns a whole object, List finds keys by prefix. Implementations:
//   local/  LocalObjectStore, a directory tree (the local deployment, and the default)
//   fake/   FakeObjectStore, in memory with fault injection, for other components' tests
//   (a later issue adds s3/ for AWS)
//
// Keys must pass ValidateObjectKey (object_key.h) on every implementation, so that a
// key that works in tests works on the file system and on S3 too; an invalid key is
// kInvalidArgument and touches nothing.
//
// Thread safety: every implementation is safe to call from many threads at once, and
// the local one from many processes sharing one directory. A Get running at the same
// time as a Put of the same key returns the whole old object or the whole new one,
// never a mix.
#ifndef MASKFLEET_OBJECTSTORE_OBJECT_STORE_H_
#define MASKFLEET_OBJECTSTORE_OBJECT_STORE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "maskfleet/common/error.h"

namespace maskfleet::objectstore {

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

  // Every key that starts with `prefix` (a plain string prefix, as on S3: "images/4"
  // finds "images/4/..." and "images/42/..."; "" finds all), sorted. `prefix` must pass
  // ValidateObjectPrefix. Errors: kInvalidArgument, kUnavailable, kInternal.
  virtual Result<std::vector<std::string>> List(std::string_view prefix) = 0;
};

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_OBJECT_STORE_H_
