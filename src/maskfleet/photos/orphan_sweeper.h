// OrphanSweeper: removes the photo objects that no image row refers to, once they have
// stayed so for a grace period.
//
// An upload stores its three objects first and inserts its row after them, and removes
// its objects when the insert fails. A worker killed between the two, or a delete of an
// object that failed, leaves objects that nothing refers to and nobody reads. The sweeper
// walks the photos' prefix (kPhotoObjectPrefix) a page at a time, asks the image store
// which of the page's keys a row holds, and remembers since when each of the others has
// been without a row (it "suspects" it). A suspect still without a row when the walk
// comes back to it at least `grace` after it was first seen is deleted; one that has a
// row by then (its upload was in flight) is forgotten.
//
// Why remembered, not dated by the store: an ObjectStore reports no modification times,
// and the same code then works on a folder and on S3. A restart forgets the suspects,
// which only delays their removal by one more grace period. The grace must exceed the
// longest time an upload takes from its first object to its row (seconds; the default
// is an hour).
//
// Keys that are not of the form "u/<owner id>/..." are never deleted (nothing of
// maskfleet writes them there).
//
// Thread safety: not safe across threads; one owner calls SweepPage (the manager's
// sweeping thread). The stores are safe to share with the workers writing at the same
// time.
#ifndef MASKFLEET_PHOTOS_ORPHAN_SWEEPER_H_
#define MASKFLEET_PHOTOS_ORPHAN_SWEEPER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/photos/image_store.h"

namespace maskfleet::photos {

struct OrphanSweeperOptions {
  // How long a key must stay without a row before it is deleted. Default 1 hour.
  std::chrono::seconds grace{3600};
  // Keys per ListPage, 1..objectstore::kMaxKeysPerPage. Default 1,000.
  int page_size = objectstore::kMaxKeysPerPage;
  // The most suspects remembered at once (about 100 bytes each); past it, new suspects
  // wait for a later walk. Default 100,000.
  std::size_t max_suspects = 100'000;
};

// What one SweepPage did.
struct SweepStep {
  int keys_listed = 0;
  // Keys without a row seen for the first time on this walk.
  int suspected = 0;
  int deleted = 0;
  // Deletes that failed (logged); the key stays a suspect and is tried on the next walk.
  int delete_failed = 0;
  // This page was the last one: the next call starts the walk again from the first key.
  bool walk_finished = false;
};

class OrphanSweeper {
 public:
  // The stores and the clock must outlive the sweeper.
  OrphanSweeper(ImageStore& images, objectstore::ObjectStore& objects, const Clock& clock,
                OrphanSweeperOptions options = {});

  // Lists the next page of photo keys and handles it (above). Errors: kInvalidArgument
  // (page_size out of range, nothing done); the object store's listing errors and the
  // image store's (kUnavailable, kInternal): nothing is deleted then and the same page
  // is listed again on the next call.
  Result<SweepStep> SweepPage();

  // Keys currently suspected (for tests and the log).
  std::size_t suspects() const { return suspects_.size(); }

 private:
  ImageStore& images_;
  objectstore::ObjectStore& objects_;
  const Clock& clock_;
  const OrphanSweeperOptions options_;
  std::string page_token_;                            // where the walk goes on; "" at its start
  std::map<std::string, Clock::TimePoint> suspects_;  // key -> when first seen without a row
};

}  // namespace maskfleet::photos

#endif  // MASKFLEET_PHOTOS_ORPHAN_SWEEPER_H_
