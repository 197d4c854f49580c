// LocalObjectStore: an ObjectStore in a directory tree (the local deployment's image
// store, shared by the manager and all workers on one machine).
//
// Key "images/42/original.jpg" is the file ROOT/images/42/original.jpg. Keys are
// validated (object_key.h), so no key can name a path outside ROOT. Files and folders
// that are not valid keys (made by hand, or a crashed writer's temporary files) are
// ignored by ListPage and never returned.
//
// Put is atomic and durable: it writes a temporary file ".tmp-*" in the target's folder,
// fsyncs it, renames it over the target and fsyncs the folder. A crash leaves either the
// old object or the new one, and at worst a temporary file that nobody lists.
//
// Limits, unlike S3: "a/b" and "a/b/c" cannot both exist (one is a file, the other needs
// it to be a folder); the second Put fails with kFailedPrecondition. Content types are
// not kept. No signed URLs: SignedReadUrl answers std::nullopt and callers serve the
// bytes themselves. Each ListPage walks the folders under the prefix and sorts what it
// finds (the cost of a whole listing grows with the square of the keys over 1,000,
// which the local deployment's few thousand images keep small). Symbolic links placed inside ROOT by someone
// with access to it are followed: the root is trusted, the keys are not.
//
// Thread safety: safe from many threads and processes at once; it holds no mutable
// state.
#ifndef MASKFLEET_OBJECTSTORE_LOCAL_LOCAL_OBJECT_STORE_H_
#define MASKFLEET_OBJECTSTORE_LOCAL_LOCAL_OBJECT_STORE_H_

#include <filesystem>
#include <memory>

#include "maskfleet/objectstore/object_store.h"

namespace maskfleet::objectstore {

struct LocalObjectStoreOptions {
  // The folder holding the objects; created (with parents) when missing. Required.
  std::filesystem::path root;
  // fsync each object and its folder before Put returns. Default true; tests may turn
  // it off for speed (atomicity is kept, durability across a power cut is not).
  bool sync = true;
};

class LocalObjectStore : public ObjectStore {
 public:
  // Errors: kInvalidArgument (empty root), kInternal (the root cannot be created or is
  // not a folder).
  static Result<std::unique_ptr<LocalObjectStore>> Open(const LocalObjectStoreOptions& options);

  Status Put(std::string_view key, std::span<const std::uint8_t> bytes,
             std::string_view content_type) override;
  Result<std::vector<std::uint8_t>> Get(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<KeyPage> ListPage(std::string_view prefix, std::string_view page_token, int page_size) override;
  Result<std::vector<KeyFailure>> DeleteMany(std::span<const std::string> keys) override;
  // Always std::nullopt after the checks (see above).
  Result<std::optional<SignedUrl>> SignedReadUrl(std::string_view key,
                                                 std::chrono::seconds lifetime) override;

  const std::filesystem::path& root() const { return options_.root; }

 private:
  explicit LocalObjectStore(LocalObjectStoreOptions options) : options_(std::move(options)) {}
  Status PutOnce(std::string_view key, const std::filesystem::path& path,
                 std::span<const std::uint8_t> bytes);
  // Every valid key under `prefix`, sorted.
  Result<std::vector<std::string>> SortedKeys(std::string_view prefix) const;

  const LocalObjectStoreOptions options_;
};

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_LOCAL_LOCAL_OBJECT_STORE_H_
