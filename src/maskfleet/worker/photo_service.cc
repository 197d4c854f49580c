#include "maskfleet/worker/photo_service.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "maskfleet/auth/token.h"
#include "maskfleet/common/utf8.h"

namespace maskfleet::worker {
namespace {

AdmissionOptions AnalysesFor(const PhotoServiceOptions& o) {
  AdmissionOptions out;
  out.name = "detections";
  out.running = std::clamp(o.max_running, 1, std::max(1, o.max_in_flight));
  out.waiting = std::max(0, o.max_in_flight - out.running);
  out.max_wait = o.max_wait;
  return out;
}

AdmissionOptions UrlFetchesFor(const PhotoServiceOptions& o) {
  AdmissionOptions out;
  out.name = "URL uploads";
  out.running = o.max_url_fetches;
  out.waiting = 0;
  return out;
}

// u/<owner>/<random>/: a fresh folder per photo, so that keys never collide and
// cannot be guessed from the image id.
std::string NewPrefix(std::int64_t owner_id) {
  return "u/" + std::to_string(owner_id) + "/" + auth::NewToken().substr(0, 22) + "/";
}

}  // namespace

photos::ImageCategory CategoryOf(std::int64_t faces, std::int64_t masked) {
  if (faces == 0) return photos::ImageCategory::kNoFaces;
  if (masked == faces) return photos::ImageCategory::kAllMasked;
  if (masked == 0) return photos::ImageCategory::kNoneMasked;
  return photos::ImageCategory::kSomeMasked;
}

PhotoService::PhotoService(const detect::PhotoAnalyzer& analyzer, photos::ImageStore& images,
                           objectstore::ObjectStore& objects, const net::UrlFetcher& fetcher,
                           const PhotoServiceOptions& options, CpuBudget cpu_budget)
    : analyzer_(analyzer),
      images_(images),
      objects_(objects),
      fetcher_(fetcher),
      options_(options),
      cpu_budget_(std::move(cpu_budget)),
      analyses_(AnalysesFor(options)),
      url_fetches_(UrlFetchesFor(options)) {}

Result<StoredPhoto> PhotoService::ProcessUrl(std::int64_t owner_id, const std::string& url,
                                             const StillWanted& still_wanted) {
  Result<net::FetchedResource> fetched = [&]() -> Result<net::FetchedResource> {
    Result<Admission::Ticket> ticket = url_fetches_.Enter();
    if (!ticket) return std::unexpected(ticket.error());
    Result<net::FetchedResource> got = fetcher_.Fetch(url);
    if (!got) return std::unexpected(got.error().WithContext("cannot fetch the URL"));
    return got;
  }();
  if (!fetched) return std::unexpected(fetched.error());
  return Process(owner_id, photos::ImageSource::kUrl, url, fetched->body, still_wanted);
}

Result<StoredPhoto> PhotoService::Process(std::int64_t owner_id, photos::ImageSource source,
                                          std::string_view source_name, std::span<const std::uint8_t> bytes,
                                          const StillWanted& still_wanted) {
  if (static_cast<std::int64_t>(bytes.size()) > options_.max_photo_bytes) {
    return MakeError(ErrorCode::kTooLarge, "the photo is " + std::to_string(bytes.size()) +
                                               " bytes, above the limit of " +
                                               std::to_string(options_.max_photo_bytes));
  }
  if (options_.max_in_flight <= 0) {
    return MakeError(ErrorCode::kUnavailable, "the worker is busy; try again in a moment");
  }
  Result<Admission::Ticket> slot = analyses_.Enter(still_wanted);
  if (!slot) return std::unexpected(slot.error());

  if (cpu_budget_) cpu_budget_();
  Result<detect::AnalyzedPhoto> analyzed = analyzer_.Analyze(bytes, /*with_images=*/true);
  if (!analyzed) return std::unexpected(analyzed.error());
  const detect::PhotoReport& report = analyzed->report;

  photos::NewImage row;
  row.owner_id = owner_id;
  row.source = source;
  row.source_name = ToValidUtf8(source_name, photos::kMaxSourceNameLength);
  std::erase(row.source_name, '\0');  // valid UTF-8, but no text column takes it
  row.format = std::string(image::FormatName(report.info.format));
  row.width = report.width;
  row.height = report.height;
  const std::string prefix = NewPrefix(owner_id);
  row.original_key = prefix + "original." + row.format;
  row.annotated_key = prefix + "annotated.jpg";
  row.thumbnail_key = prefix + "thumbnail.jpg";
  for (const detect::Face& f : report.faces) {
    const int x = static_cast<int>(std::lround(f.box.xmin));
    const int y = static_cast<int>(std::lround(f.box.ymin));
    row.faces.push_back({x, y, static_cast<int>(std::lround(f.box.xmax)) - x,
                         static_cast<int>(std::lround(f.box.ymax)) - y, f.masked,
                         std::round(static_cast<double>(f.confidence) * 1000) / 1000});
  }

  const struct {
    const std::string& key;
    std::span<const std::uint8_t> bytes;
    std::string_view type;
  } objects[] = {{row.original_key, bytes, image::MimeType(report.info.format)},
                 {row.annotated_key, analyzed->annotated_jpeg, "image/jpeg"},
                 {row.thumbnail_key, analyzed->thumbnail_jpeg, "image/jpeg"}};
  std::vector<std::string> written;
  for (const auto& o : objects) {
    if (Status put = objects_.Put(o.key, o.bytes, o.type); !put) {
      DeleteObjects(written);
      // The store's message names the key and the folder: for the log, not the answer.
      spdlog::warn("storing the photo: {}", put.error().ToString());
      if (put.error().code == ErrorCode::kInternal)
        return std::unexpected(put.error().WithContext("storing the photo"));
      if (put.error().code == ErrorCode::kUnavailable && options_.store_unavailable) {
        options_.store_unavailable(put.error());
      }
      return std::unexpected(Error{put.error().code, "the photo cannot be stored right now; try again later",
                                   put.error().retry_after});
    }
    written.push_back(o.key);
  }
  Result<photos::ImageDetail> stored = images_.Insert(row);
  if (!stored) {
    DeleteObjects(written);
    if (stored.error().code == ErrorCode::kUnavailable && options_.store_unavailable) {
      options_.store_unavailable(stored.error());
    }
    return std::unexpected(stored.error());
  }
  if (options_.stored) options_.stored();
  const std::int64_t id = stored->image.id;
  return StoredPhoto{id, report, std::move(*stored)};
}

Status PhotoService::Delete(std::int64_t owner_id, std::int64_t image_id) {
  Result<std::vector<std::string>> keys = images_.Delete(owner_id, image_id);
  if (!keys) return std::unexpected(keys.error());
  DeleteObjects(*keys);
  return {};
}

void PhotoService::DeleteObjects(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (Status s = objects_.Delete(key); !s) {
      spdlog::warn("could not delete object {}: {}", key, s.error().ToString());
    }
  }
}

}  // namespace maskfleet::worker
