#include "maskfleet/storage/database_url.h"

#include <charconv>
#include <optional>
#include <utility>
#include <vector>

namespace maskfleet::storage {
namespace {

std::optional<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
    if (ec != std::errc() || ptr != in.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// A value in the single-quoted form that both libpq and SOCI's MySQL parser read:
// backslash escapes the quote and itself.
std::string Quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

bool ValidParamName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  }
  return true;
}

Result<DatabaseUrl> ParseSqlite(std::string_view rest, std::string_view url) {
  // sqlite:///abs -> "/abs"; sqlite://rel is not a thing, refuse it rather than guess.
  if (rest.starts_with("///")) {
    rest.remove_prefix(2);
  } else if (rest.starts_with("//")) {
    return MakeError(ErrorCode::kInvalidArgument, "database URL: use sqlite:PATH or sqlite:///ABSOLUTE/PATH");
  }
  if (rest.empty()) return MakeError(ErrorCode::kInvalidArgument, "database URL: no SQLite file name");
  if (rest.find('"') != std::string_view::npos || rest.find('\0') != std::string_view::npos) {
    // SOCI's SQLite connection string quotes the name with '"' and has no escape for it.
    return MakeError(ErrorCode::kInvalidArgument, "database URL: SQLite file name contains '\"'");
  }
  DatabaseUrl out;
  out.backend = Backend::kSqlite;
  out.database = std::string(rest);
  out.connect_string = "db=\"" + out.database + "\"";
  out.redacted = std::string(url);
  return out;
}

Result<DatabaseUrl> ParseServer(Backend backend, std::string_view scheme, std::string_view rest) {
  auto invalid = [](std::string message) {
    return MakeError(ErrorCode::kInvalidArgument, "database URL: " + std::move(message));
  };
  if (!rest.starts_with("//")) return invalid("expected " + std::string(scheme) + "://HOST/DB");
  rest.remove_prefix(2);

  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return invalid("no database name");
  std::string_view authority = rest.substr(0, slash);
  std::string_view db_raw = rest.substr(slash + 1);

  std::string_view userinfo;
  std::string_view hostport = authority;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
  }
  std::string_view user_raw = userinfo;
  std::optional<std::string_view> password_raw;
  if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
    user_raw = userinfo.substr(0, colon);
    password_raw = userinfo.substr(colon + 1);
  }

  std::string_view host = hostport;
  std::string_view port_text;
  if (hostport.starts_with('[')) {  // [::1]:5432
    auto close = hostport.find(']');
    if (close == std::string_view::npos) return invalid("unclosed '[' in host");
    host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (after.starts_with(':'))
      port_text = after.substr(1);
    else if (!after.empty())
      return invalid("bad host");
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port_text = hostport.substr(colon + 1);
  }
  if (host.empty()) return invalid("no host");
  int port = 0;
  if (!port_text.empty()) {
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
      return invalid("bad port");
    }
  }

  auto user = PercentDecode(user_raw);
  auto db = PercentDecode(db_raw);
  std::optional<std::string> password;
  if (password_raw) password = PercentDecode(*password_raw);
  if (!user || !db || (password_raw && !password)) return invalid("bad percent-encoding");
  if (db->empty()) return invalid("no database name");
  for (const std::string* s : {&*user, &*db}) {
    if (s->find('\0') != std::string::npos) return invalid("NUL in URL");
  }
  if (password && password->find('\0') != std::string::npos) return invalid("NUL in password");

  DatabaseUrl out;
  out.backend = backend;
  out.database = *db;
  std::string& cs = out.connect_string;
  cs = (backend == Backend::kPostgresql ? "dbname=" : "db=") + Quote(*db);
  cs += " host=" + Quote(host);
  if (port != 0) cs += " port=" + std::to_string(port);
  if (!user->empty()) cs += " user=" + Quote(*user);
  if (password) cs += " password=" + Quote(*password);
  if (backend == Backend::kMysql) cs += " charset=utf8mb4";

  bool has_connect_timeout = false;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) return invalid("query parameter without '='");
    std::string_view name = pair.substr(0, eq);
    auto value = PercentDecode(pair.substr(eq + 1));
    if (!ValidParamName(name)) return invalid("bad query parameter name");
    if (!value || value->find('\0') != std::string::npos) return invalid("bad query parameter value");
    cs += " " + std::string(name) + "=" + Quote(*value);
    if (name == "connect_timeout") has_connect_timeout = true;
  }
  // Both client libraries otherwise wait for the operating system's TCP timeout (minutes)
  // on a server that does not answer.
  if (!has_connect_timeout) cs += " connect_timeout=10";

  out.redacted = std::string(scheme) + "://";
  if (!userinfo.empty()) {
    out.redacted += std::string(user_raw);
    if (password_raw) out.redacted += ":***";
    out.redacted += "@";
  }
  out.redacted += std::string(hostport) + "/" + std::string(db_raw);
  return out;
}

}  // namespace

std::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kSqlite: return "sqlite";
    case Backend::kPostgresql: return "postgresql";
    case Backend::kMysql: return "mysql";
  }
  return "unknown";
}

Result<DatabaseUrl> ParseDatabaseUrl(std::string_view url) {
  auto colon = url.find(':');
  if (colon == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "database URL: expected sqlite:PATH, postgresql://... or mysql://...");
  }
  std::string_view scheme = url.substr(0, colon);
  std::string_view rest = url.substr(colon + 1);
  if (scheme == "sqlite" || scheme == "sqlite3") return ParseSqlite(rest, url);
  if (scheme == "postgresql" || scheme == "postgres") return ParseServer(Backend::kPostgresql, scheme, rest);
  if (scheme == "mysql" || scheme == "mariadb") return ParseServer(Backend::kMysql, scheme, rest);
  // The scheme is not echoed: a URL mistyped without one may start with the password.
  return MakeError(ErrorCode::kInvalidArgument,
                   "database URL: unknown scheme (expected sqlite, postgresql or mysql)");
}

}  // namespace maskfleet::storage
