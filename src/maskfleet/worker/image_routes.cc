// A person's photos: POST, GET and DELETE under /api/v1/images.
#include <algorithm>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "maskfleet/http/http_util.h"
#include "maskfleet/observability/logging.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker::routes {

using httplib::Request;
using httplib::Response;
using Json = nlohmann::json;

namespace {

Json FaceJson(const photos::Face& f) {
  return {{"x", f.x}, {"y", f.y}, {"w", f.w}, {"h", f.h}, {"masked", f.masked}, {"confidence", f.confidence}};
}

Json ImageJson(const photos::ImageRecord& image, std::int64_t faces, std::int64_t masked) {
  const std::string base = "/api/v1/images/" + std::to_string(image.id);
  return {{"id", image.id},
          {"created_at", http::IsoTime(image.created_at)},
          {"source", image.source == photos::ImageSource::kUrl ? "url" : "upload"},
          {"source_name", image.source_name},
          {"format", image.format},
          {"width", image.width},
          {"height", image.height},
          {"num_faces", faces},
          {"num_masked", masked},
          {"num_unmasked", faces - masked},
          {"category", photos::ImageCategoryName(CategoryOf(faces, masked))},
          {"urls",
           {{"original", base + "/original"},
            {"annotated", base + "/annotated"},
            {"thumbnail", base + "/thumbnail"}}}};
}

Json DetailJson(const photos::ImageDetail& detail) {
  std::int64_t masked = 0;
  Json faces = Json::array();
  for (const photos::Face& f : detail.faces) {
    masked += f.masked ? 1 : 0;
    faces.push_back(FaceJson(f));
  }
  Json out = ImageJson(detail.image, static_cast<std::int64_t>(detail.faces.size()), masked);
  out["faces"] = std::move(faces);
  return out;
}

// A URL upload's failure to fetch, as a person reads it: what happened and what to do,
// without the library's wording (which goes to the log with the request id, whose
// answer carries it in X-Request-Id and the page shows). An error that is not about
// fetching (the photo itself) is answered as it is.
Error PlainFetchError(const Error& error) {
  constexpr std::string_view kFetchContext = "cannot fetch the URL";
  if (!error.message.starts_with(kFetchContext)) return error;
  observability::LogEvent(*spdlog::default_logger(), spdlog::level::warn, current.id,
                          "URL upload not fetched",
                          {{"code", std::string(ErrorCodeName(error.code))}, {"detail", error.message}});
  const bool private_address = error.message.find("only public addresses may be fetched") !=
                               std::string::npos;
  std::string message;
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      // The fetcher's own checks of the address (scheme, credentials, form) are already
      // in words; only the context is dropped.
      message =
          private_address
              ? "The address was refused: it is on this machine or a private network, and this service "
                "fetches photos from public addresses only. On a local install an administrator can allow it "
                "with the setting allow_private_urls (see the README, \"Uploading from a URL\")."
              : std::string(std::string_view(error.message)
                                .substr(std::min(error.message.size(), kFetchContext.size() + 2)));
      if (message.empty()) message = "This address cannot be fetched.";
      break;
    case ErrorCode::kNotFound:
      message = "There is no photo at this address: the site answered that it has nothing there.";
      break;
    case ErrorCode::kTooLarge: message = "The file at this address is larger than the upload limit."; break;
    case ErrorCode::kDeadlineExceeded:
      message =
          "The site at this address answered too slowly. Try again later, or download the photo and upload "
          "the file.";
      break;
    default:
      message =
          "The photo could not be fetched: the site at this address did not answer. Check the address, or "
          "try "
          "again later.";
      break;
  }
  Error plain{error.code == ErrorCode::kInternal ? ErrorCode::kUnavailable : error.code, std::move(message)};
  plain.retry_after = error.retry_after;
  return plain;
}

std::optional<photos::ImageCategory> ParseCategory(std::string_view name) {
  for (auto c : {photos::ImageCategory::kNoFaces, photos::ImageCategory::kAllMasked,
                 photos::ImageCategory::kNoneMasked, photos::ImageCategory::kSomeMasked}) {
    if (photos::ImageCategoryName(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace

void RegisterImageRoutes(httplib::Server& server, const Deps& d) {
  server.Post("/api/v1/images",
              Bounded(d, Route("/api/v1/images", [&d](const Request& req, Response& res) {
                        Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, true);
                        if (!who) return FailV1(res, who.error());
                        Result<StoredPhoto> stored = MakeError(ErrorCode::kInternal, "unreachable");
                        if (req.is_multipart_form_data()) {
                          if (!req.has_file("file"))
                            return FailV1(res, {ErrorCode::kInvalidArgument, "file is missing"});
                          const httplib::MultipartFormData file = req.get_file_value("file");
                          stored = d.photos.Process(who->user.id, photos::ImageSource::kUpload, file.filename,
                                                    FileBytes(file), http::ClientConnected(req));
                        } else {
                          Result<Json> body = http::ParseJsonObject(req);
                          if (!body) return FailV1(res, body.error());
                          Result<std::string> url = http::JsonString(*body, "url");
                          if (!url) return FailV1(res, url.error());
                          stored = d.photos.ProcessUrl(who->user.id, *url, http::ClientConnected(req));
                          if (!stored) return FailV1(res, PlainFetchError(stored.error()));
                        }
                        if (!stored) return FailV1(res, stored.error());
                        if (d.hooks.detected)
                          d.hooks.detected(stored->report.num_masked(), stored->report.num_unmasked());
                        // From the rows as stored: a second read could fail after the commit, and a client
                        // told "failed" would upload the photo again.
                        http::RespondJson(res, 201, DetailJson(stored->stored));
                      })));
  server.Get("/api/v1/images", Route("/api/v1/images", [&d](const Request& req, Response& res) {
               Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, false);
               if (!who) return FailV1(res, who.error());
               // No category, or "all": every image of the caller.
               const std::string category_name = req.has_param("category") ? req.get_param_value("category")
                                                                           : "all";
               std::optional<photos::ImageCategory> category;
               if (category_name != "all") {
                 category = ParseCategory(category_name);
                 if (!category) {
                   return FailV1(
                       res, {ErrorCode::kInvalidArgument,
                             "category must be one of all, no_faces, all_masked, none_masked, some_masked"});
                 }
               }
               Result<std::int64_t> page = http::IntParam(req, "page", 1, 1, 1'000'000);
               Result<std::int64_t> page_size = http::IntParam(req, "page_size", 20, 1, 100);
               if (!page) return FailV1(res, page.error());
               if (!page_size) return FailV1(res, page_size.error());
               Result<photos::ImagePage> list = d.images.List(who->user.id, category, *page, *page_size);
               if (!list) return FailV1(res, list.error());
               Json items = Json::array();
               for (const photos::ImageSummary& s : list->items)
                 items.push_back(ImageJson(s.image, s.face_count, s.masked_count));
               http::RespondJson(res, 200,
                                 {{"images", std::move(items)},
                                  {"total", list->total},
                                  {"page", *page},
                                  {"page_size", *page_size},
                                  {"category", category_name}});
             }));
  // The caller's image named in the path; another user's id answers 404 like a missing one.
  const auto owned_image = [&d](const Request& req) -> Result<photos::ImageDetail> {
    Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, false);
    if (!who) return std::unexpected(who.error());
    Result<std::int64_t> id = PathId(req);
    if (!id) return std::unexpected(id.error());
    return d.images.Get(who->user.id, *id);
  };
  server.Get(R"(/api/v1/images/(\d+))",
             Route("/api/v1/images/{id}", [owned_image](const Request& req, Response& res) {
               Result<photos::ImageDetail> detail = owned_image(req);
               if (!detail) return FailV1(res, detail.error());
               http::RespondJson(res, 200, DetailJson(*detail));
             }));
  server.Get(R"(/api/v1/images/(\d+)/(original|annotated|thumbnail))",
             Route("/api/v1/images/{id}/{kind}", [&d, owned_image](const Request& req, Response& res) {
               Result<photos::ImageDetail> detail = owned_image(req);
               if (!detail) return FailV1(res, detail.error());
               const std::string kind = req.matches[2];
               const photos::ImageRecord& image = detail->image;
               const std::string& key = kind == "original"    ? image.original_key
                                        : kind == "annotated" ? image.annotated_key
                                                              : image.thumbnail_key;
               Result<std::vector<std::uint8_t>> bytes = d.objects.Get(key);
               if (!bytes) return FailV1(res, bytes.error());
               res.set_header("Cache-Control", "private, max-age=86400");
               const std::string type = kind == "original" ? "image/" + image.format : "image/jpeg";
               res.set_content(reinterpret_cast<const char*>(bytes->data()), bytes->size(), type);
             }));
  server.Delete(R"(/api/v1/images/(\d+))",
                Route("/api/v1/images/{id}", [&d](const Request& req, Response& res) {
                  Result<accounts::SessionWithUser> who = d.account_routes.Caller(req, true);
                  if (!who) return FailV1(res, who.error());
                  Result<std::int64_t> id = PathId(req);
                  if (!id) return FailV1(res, id.error());
                  if (Status s = d.photos.Delete(who->user.id, *id); !s) return FailV1(res, s.error());
                  res.status = 204;
                }));
}

}  // namespace maskfleet::worker::routes
