// The specification's testing API: POST /api/register and POST /api/upload, answered
// in its JSON shapes.
#include "maskfleet/http/http_util.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker::routes {

using httplib::Request;
using httplib::Response;

namespace {

struct SpecCredentials {
  std::string username;
  std::string password;
};

// The form's username and password; nullopt, with the refusal sent, when one is missing.
std::optional<SpecCredentials> CredentialsOf(const Request& req, Response& res) {
  std::optional<std::string> username = http::FormField(req, "username");
  std::optional<std::string> password = http::FormField(req, "password");
  if (!username) {
    FailSpec(res, {ErrorCode::kInvalidArgument, "username is missing"});
    return std::nullopt;
  }
  if (!password) {
    FailSpec(res, {ErrorCode::kInvalidArgument, "password is missing"});
    return std::nullopt;
  }
  return SpecCredentials{std::move(*username), std::move(*password)};
}

}  // namespace

void RegisterTestingApiRoutes(httplib::Server& server, const Deps& d) {
  server.Post("/api/register", Bounded(d,
                                       Route("/api/register",
                                             [&d](const Request& req, Response& res) {
                                               const std::optional<SpecCredentials> given = CredentialsOf(
                                                   req, res);
                                               if (!given) return;
                                               Result<accounts::User> user = d.accounts.Register(
                                                   given->username, given->password);
                                               if (!user) return FailSpec(res, user.error());
                                               http::RespondJson(res, 200, {{"success", true}});
                                             }),
                                       true));

  server.Post("/api/upload",
              Bounded(d,
                      Route("/api/upload",
                            [&d](const Request& req, Response& res) {
                              const std::optional<SpecCredentials> given = CredentialsOf(req, res);
                              if (!given) return;
                              if (!req.has_file("file")) {
                                return FailSpec(res, {ErrorCode::kInvalidArgument,
                                                      "file is missing (multipart part 'file')"});
                              }
                              Result<accounts::User> user = d.accounts.CheckCredentials(
                                  given->username, given->password,
                                  ClientAddress(req, d.options.trust_forwarded_for));
                              if (!user) return FailSpec(res, user.error());
                              const httplib::MultipartFormData file = req.get_file_value("file");
                              Result<StoredPhoto> stored = d.photos.Process(
                                  user->id, photos::ImageSource::kUpload, file.filename, FileBytes(file),
                                  http::ClientConnected(req));
                              if (!stored) return FailSpec(res, stored.error());
                              if (d.hooks.detected)
                                d.hooks.detected(stored->report.num_masked(), stored->report.num_unmasked());
                              http::RespondJson(res, 200,
                                                {{"success", true},
                                                 {"payload",
                                                  {{"num_faces", stored->report.faces.size()},
                                                   {"num_masked", stored->report.num_masked()},
                                                   {"num_unmasked", stored->report.num_unmasked()}}}});
                            }),
                      true));
}

}  // namespace maskfleet::worker::routes
