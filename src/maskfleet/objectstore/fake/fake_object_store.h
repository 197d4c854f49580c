// FakeObjectStore: an ObjectStore in memory, for other components' tests.
//
// It validates keys exactly like the real stores, keeps content types (so a test can
// check what a caller declared), counts calls, and injects failures: fail the Nth call
// of an operation from now, or every call while "down". Like LevelDB's fault-injecting
// test environment, it lets a test prove that a caller cleans up after a failure
// ("the annotated image's Put fails: no original is left behind").
//
// Signed URLs: off by default (SignedReadUrl answers std::nullopt, as the local store
// does); EnableSignedUrls(base) makes it answer BASE + key + "?expires=EPOCH_SECONDS",
// for tests of callers that redirect to a signed URL. Page tokens are the last key of
// the page before, as in the local store.
//
// Thread safety: every method, including the fault controls, is safe from many
// threads; one mutex guards all state.
#ifndef MASKFLEET_OBJECTSTORE_FAKE_FAKE_OBJECT_STORE_H_
#define MASKFLEET_OBJECTSTORE_FAKE_FAKE_OBJECT_STORE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/objectstore/object_store.h"

namespace maskfleet::objectstore {

class FakeObjectStore : public ObjectStore {
 public:
  // kList counts ListPage calls (List makes one per page); kDeleteMany counts batch
  // calls, not the keys in them.
  enum class Op { kPut, kGet, kDelete, kList, kDeleteMany, kSignedUrl };

  struct StoredObject {
    std::vector<std::uint8_t> bytes;
    std::string content_type;
  };

  Status Put(std::string_view key, std::span<const std::uint8_t> bytes,
             std::string_view content_type) override;
  Result<std::vector<std::uint8_t>> Get(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Result<KeyPage> ListPage(std::string_view prefix, std::string_view page_token, int page_size) override;
  Result<std::vector<KeyFailure>> DeleteMany(std::span<const std::string> keys) override;
  Result<std::optional<SignedUrl>> SignedReadUrl(std::string_view key,
                                                 std::chrono::seconds lifetime) override;

  // Signed URLs start with `base_url`, and expire by `clock` (which must outlive the
  // store). Until called, SignedReadUrl answers std::nullopt.
  void EnableSignedUrls(std::string base_url, const Clock& clock = RealClock());
  // A DeleteMany of `key` reports it as failed with `error` (and keeps it), every time,
  // until ClearFailures(); other keys of the same call are deleted.
  void FailKeyInBatch(std::string key,
                      Error error = Error{ErrorCode::kPermissionDenied, "injected: access denied"});

  // Makes the `nth` call of `op` from now (1 = the next one) fail with `error`, without
  // any effect. Several may be pending at once, also for the same op.
  void FailNth(Op op, int nth, Error error = Error{ErrorCode::kUnavailable, "injected object store failure"});
  // While down, every call fails with kUnavailable without any effect (a lost service).
  void SetDown(bool down);
  // Forgets the pending failures.
  void ClearFailures();

  // Inspection for tests.
  std::size_t size() const;
  bool Contains(std::string_view key) const;
  std::optional<StoredObject> Find(std::string_view key) const;
  // Calls of `op` so far, including failed and invalid ones.
  int calls(Op op) const;

 private:
  // Counts the call and returns the failure it should end in, if any. Holds mu_.
  std::optional<Error> NextFailure(Op op);

  mutable std::mutex mu_;
  std::map<std::string, StoredObject, std::less<>> objects_;  // guarded by mu_
  struct Pending {
    Op op;
    int call;  // absolute call number of `op` that fails
    Error error;
  };
  std::vector<Pending> pending_;                            // guarded by mu_
  std::map<Op, int> calls_;                                 // guarded by mu_
  bool down_ = false;                                       // guarded by mu_
  std::map<std::string, Error, std::less<>> failing_keys_;  // guarded by mu_
  std::optional<std::string> signed_url_base_;              // guarded by mu_
  const Clock* signed_url_clock_ = nullptr;                 // guarded by mu_
};

}  // namespace maskfleet::objectstore

#endif  // MASKFLEET_OBJECTSTORE_FAKE_FAKE_OBJECT_STORE_H_
