// PhotoService: a person's photos, from bytes to history and back.
//
// Process() is the detection flow of an upload (file or URL; ProcessUrl() fetches the
// URL first, through the bounded, address-checked UrlFetcher): analyse, store the
// original, annotated and thumbnail pictures in the object store, then the image
// row and its face rows in one transaction. If any step fails, what the earlier
// steps stored is removed again: no orphan object, no half row. The rows' commit is
// the last step that can fail, so a caller that answers from the returned StoredPhoto
// never reports a failure for a photo that was kept (a client's retry would store it
// twice). The source name is made valid UTF-8 here, where it comes in, and cut to
// photos::kMaxSourceNameLength bytes on a character boundary (common/utf8.h).
//
// Admission (common/admission.h): at most `max_running` analyses run at once and the
// rest of `max_in_flight` wait, each for at most `max_wait`; beyond that, or after
// that wait, Process() fails with kUnavailable and a retry hint, which the HTTP layer
// answers with 503 and Retry-After. A waiting analysis whose caller says it is no
// longer wanted (its client has left) is dropped before it starts. URL fetches have a
// bound of their own (`max_url_fetches` at once, none waiting): a fetch waits on the
// network, not the CPU, and must not keep photos already here from their detection.
// An admitted analysis first waits for the CPU budget when the mode gives one (the
// local mode's in-worker CPU governor, for workers that no cgroup limits).
//
// Thread safety: safe from many threads; the stores and the analyzer are.
#ifndef MASKFLEET_WORKER_PHOTO_SERVICE_H_
#define MASKFLEET_WORKER_PHOTO_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "maskfleet/common/admission.h"
#include "maskfleet/common/error.h"
#include "maskfleet/detect/photo_analyzer.h"
#include "maskfleet/net/url_fetcher.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/photos/image_store.h"

namespace maskfleet::worker {

struct PhotoServiceOptions {
  // Largest photo accepted, in bytes. Default 10 MB.
  std::int64_t max_photo_bytes = 10 * 1024 * 1024;
  // Analyses running or waiting at once before new ones are refused; 0 refuses all.
  // Default 16.
  int max_in_flight = 16;
  // Of those, analyses that run at once (the detector pool's networks). Default 2.
  int max_running = 2;
  // The longest an analysis waits to run before it is refused. Default 10 s.
  std::chrono::milliseconds max_wait{10'000};
  // URL fetches at once; one more is refused at once. Default 2.
  int max_url_fetches = 2;
  // Called with the error when a photo could not be stored because a store takes no
  // writes now (kUnavailable: out of space, a read-only or unreachable database), so
  // that the worker's readiness fails at once rather than at its next probe. Called on
  // the request's thread. Default: none.
  std::function<void(const Error&)> store_unavailable;
  // Called when a photo was stored (its objects and its rows), on the request's
  // thread: the stores took writes, which the worker's readiness probe need not
  // check again. Default: none.
  std::function<void()> stored;
};

// Whether the work is still wanted (its client still connected); empty: always.
using StillWanted = std::function<bool()>;

// Returns once the worker may spend CPU on an analysis (it may sleep); empty: at once.
using CpuBudget = std::function<void()>;

struct StoredPhoto {
  std::int64_t id = 0;
  detect::PhotoReport report;
  // The rows as stored: what the answer shows, without reading them back.
  photos::ImageDetail stored;
};

class PhotoService {
 public:
  // All references must outlive the service.
  PhotoService(const detect::PhotoAnalyzer& analyzer, photos::ImageStore& images,
               objectstore::ObjectStore& objects, const net::UrlFetcher& fetcher,
               const PhotoServiceOptions& options, CpuBudget cpu_budget = {});

  // Errors: kTooLarge, kInvalidArgument, kUnsupportedMediaType for the photo (image::DecodePhoto's);
  // kUnavailable when saturated or a store is; kInternal.
  // `still_wanted` is asked while the analysis waits for its turn (see above).
  Result<StoredPhoto> Process(std::int64_t owner_id, photos::ImageSource source, std::string_view source_name,
                              std::span<const std::uint8_t> bytes, const StillWanted& still_wanted = {});

  // Fetches `url` and processes what came back, named by the URL. Errors: kUnavailable
  // with a retry hint when `max_url_fetches` fetches run already; the fetch's
  // (kInvalidArgument, kPermissionDenied, kTooLarge, kUnavailable, kDeadlineExceeded ...,
  // prefixed "cannot fetch the URL"), then Process()'s.
  Result<StoredPhoto> ProcessUrl(std::int64_t owner_id, const std::string& url,
                                 const StillWanted& still_wanted = {});

  // Removes the rows, then the objects. Errors: kNotFound for another owner's id.
  Status Delete(std::int64_t owner_id, std::int64_t image_id);

  // Deletes objects whose rows are gone (after a user or all data was deleted).
  // Failures are logged and skipped: a leftover object is invisible and harmless.
  void DeleteObjects(const std::vector<std::string>& keys);

  // Analyses running or waiting now.
  int in_flight() const { return analyses_.running() + analyses_.waiting(); }
  // URL fetches running now.
  int url_fetches() const { return url_fetches_.running(); }
  // The most HTTP threads this service ever holds at once: analyses running and
  // waiting, and URL fetches.
  int capacity() const { return options_.max_in_flight + options_.max_url_fetches; }
  const PhotoServiceOptions& options() const { return options_; }

 private:
  const detect::PhotoAnalyzer& analyzer_;
  photos::ImageStore& images_;
  objectstore::ObjectStore& objects_;
  const net::UrlFetcher& fetcher_;
  const PhotoServiceOptions options_;
  const CpuBudget cpu_budget_;
  Admission analyses_;
  Admission url_fetches_;
};

// The history list a photo belongs in, from its counts.
photos::ImageCategory CategoryOf(std::int64_t faces, std::int64_t masked);

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_PHOTO_SERVICE_H_
