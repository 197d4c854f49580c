// The manager's pages (pool, policy, account, login) and the static files.
#include "maskfleet/http/http_util.h"
#include "maskfleet/manager/routes.h"

namespace maskfleet::manager::routes {

using httplib::Request;
using httplib::Response;

void RegisterPageRoutes(httplib::Server& server, const Deps& d) {
  const auto page = [&d](std::string file, bool needs_login) {
    return [&d, file = std::move(file), needs_login](const Request& req, Response& res) {
      if (needs_login && !d.account_routes.Caller(req, false)) {
        res.set_redirect(http::LoginRedirect(req.path), 303);
        return;
      }
      if (Status shown = http::RespondPage(res, d.options.web_dir, file); !shown) Fail(res, shown.error());
    };
  };
  server.Get("/", page("manager-pool", true));
  server.Get("/policy", page("manager-policy", true));
  server.Get("/account", page("manager-account", true));
  server.Get("/login", page("manager-login", false));
  if (!d.options.web_dir.empty()) {
    server.set_mount_point("/static", (d.options.web_dir / "static").string());
  }
}

}  // namespace maskfleet::manager::routes
