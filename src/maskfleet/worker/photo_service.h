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
// Admission: at most `max_in_flight` analyses run or wait at once (the detector
// pool's networks plus a bounded queue); beyond that Process() fails at once with
// kUnavailable, which the HTTP layer answers with 503. An admitted analysis first
// waits for the CPU budget when the mode gives one (the local mode's in-worker CPU
// governor, for workers that no cgroup limits).
//
// Thread safety: safe from many threads; the stores and the analyzer are.
#ifndef MASKFLEET_WORKER_PHOTO_SERVICE_H_
#define MASKFLEET_WORKER_PHOTO_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "maskfleet/common/error.h"
#include "maskfleet/detect/photo_analyzer.h"
#include "maskfleet/net/url_fetcher.h"
#include "maskfleet/objectstore/object_store.h"
#include "maskfleet/photos/image_store.h"

namespace maskfleet::worker {

struct PhotoServiceOptions {
  // Largest photo accepted, in bytes. Default 10 MB.
  std::int64_t max_photo_bytes = 10 * 1024 * 1024;
  // Analyses running or waiting at once before new ones are refused. Default 16.
  int max_in_flight = 16;
};

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
  Result<StoredPhoto> Process(std::int64_t owner_id, photos::ImageSource source,
                              std::string_view source_name, std::span<const std::uint8_t> bytes);

  // Fetches `url` and processes what came back, named by the URL. Errors: the fetch's
  // (kInvalidArgument, kPermissionDenied, kTooLarge, kUnavailable, kDeadlineExceeded ...,
  // prefixed "cannot fetch the URL"), then Process()'s.
  Result<StoredPhoto> ProcessUrl(std::int64_t owner_id, const std::string& url);

  // Removes the rows, then the objects. Errors: kNotFound for another owner's id.
  Status Delete(std::int64_t owner_id, std::int64_t image_id);

  // Deletes objects whose rows are gone (after a user or all data was deleted).
  // Failures are logged and skipped: a leftover object is invisible and harmless.
  void DeleteObjects(const std::vector<std::string>& keys);

  // Analyses running or waiting now.
  int in_flight() const { return in_flight_.load(); }
  const PhotoServiceOptions& options() const { return options_; }

 private:
  const detect::PhotoAnalyzer& analyzer_;
  photos::ImageStore& images_;
  objectstore::ObjectStore& objects_;
  const net::UrlFetcher& fetcher_;
  const PhotoServiceOptions options_;
  const CpuBudget cpu_budget_;
  std::atomic<int> in_flight_{0};
};

// The history list a photo belongs in, from its counts.
photos::ImageCategory CategoryOf(std::int64_t faces, std::int64_t masked);

}  // namespace maskfleet::worker

#endif  // MASKFLEET_WORKER_PHOTO_SERVICE_H_
