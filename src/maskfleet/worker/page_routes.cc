// The pages (login, upload, history, an image, account, users) and the static files.
#include "maskfleet/http/http_util.h"
#include "maskfleet/worker/routes.h"

namespace maskfleet::worker::routes {

using httplib::Request;
using httplib::Response;

void RegisterPageRoutes(httplib::Server& server, const Deps& d) {
  const auto page = [&d](std::string file, bool needs_login) {
    return [&d, file = std::move(file), needs_login](const Request& req, Response& res) {
      current.route = "page";
      if (needs_login && !d.account_routes.Caller(req, false)) {
        res.set_redirect(http::LoginRedirect(req.path), 303);
        return;
      }
      if (Status shown = http::RespondPage(res, d.options.web_dir, file); !shown) FailV1(res, shown.error());
    };
  };
  server.Get("/", [](const Request&, Response& res) {
    current.route = "page";
    res.set_redirect("/upload", 303);
  });
  server.Get("/login", page("login", false));
  server.Get("/forgot", page("forgot", false));
  server.Get("/reset", page("reset", false));
  server.Get("/upload", page("upload", true));
  server.Get("/history", page("history", true));
  server.Get(R"(/images/(\d+))", page("image", true));
  server.Get("/account", page("account", true));
  server.Get("/admin/users", page("admin-users", true));
  if (!d.options.web_dir.empty()) {
    server.set_mount_point("/static", (d.options.web_dir / "static").string());
  }
}

}  // namespace maskfleet::worker::routes
