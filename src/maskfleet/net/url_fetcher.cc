#include "maskfleet/net/url_fetcher.h"

#include <curl/curl.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>
#include <new>

namespace maskfleet::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

void EnsureCurl() {
  // curl_global_init is reference-counted, so other components calling it too is
  // harmless; once per process here.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// One part of a parsed URL, or nullopt if absent.
std::optional<std::string> UrlPart(CURLU* url, CURLUPart part, unsigned int flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return std::nullopt;
  std::string out(value);
  curl_free(value);
  return out;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return text;
}

std::string Quoted(std::string_view url) {
  // URLs in messages are cut short: they come from users and may be huge.
  constexpr std::size_t kMax = 200;
  std::string out = "\"";
  out += url.size() > kMax ? std::string(url.substr(0, kMax)) + "..." : std::string(url);
  out += "\"";
  return out;
}

std::string StatusText(long code) {
  switch (code) {
    case 400: return "400 Bad Request";
    case 401: return "401 Unauthorized";
    case 403: return "403 Forbidden";
    case 404: return "404 Not Found";
    case 408: return "408 Request Timeout";
    case 410: return "410 Gone";
    case 429: return "429 Too Many Requests";
    case 500: return "500 Internal Server Error";
    case 502: return "502 Bad Gateway";
    case 503: return "503 Service Unavailable";
    case 504: return "504 Gateway Timeout";
    default: return std::to_string(code);
  }
}

// What one transfer's callbacks saw.
struct TransferState {
  CURL* easy = nullptr;
  std::size_t max_bytes = 0;
  const std::vector<IpAddress>* permitted = nullptr;
  std::vector<std::uint8_t> body;
  bool too_large = false;
  bool not_success = false;  // a non-2xx answer: its body is not wanted
  bool status_checked = false;
  bool socket_refused = false;  // curl tried to connect to an unchecked address
  std::string refused_address;  // which one
};

// Callbacks run inside curl's C code: nothing may throw through it.
std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* state = static_cast<TransferState*>(user);
  const std::size_t bytes = size * count;
  if (!state->status_checked) {
    state->status_checked = true;
    long code = 0;
    curl_easy_getinfo(state->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code >= 300) state->not_success = true;
  }
  if (state->not_success) return CURL_WRITEFUNC_ERROR;
  if (state->body.size() + bytes > state->max_bytes) {
    state->too_large = true;
    return CURL_WRITEFUNC_ERROR;
  }
  try {
    state->body.insert(state->body.end(), data, data + bytes);
  } catch (const std::bad_alloc&) {
    return CURL_WRITEFUNC_ERROR;  // reported as CURLE_WRITE_ERROR
  }
  return bytes;
}

curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) noexcept {
  auto* state = static_cast<TransferState*>(user);
  std::optional<IpAddress> ip = IpAddress::FromSockaddr(&address->addr);
  if (purpose != CURLSOCKTYPE_IPCXN || !ip ||
      std::find(state->permitted->begin(), state->permitted->end(), *ip) == state->permitted->end()) {
    try {
      state->refused_address = ip ? ip->ToString() : "a non-IP address";
    } catch (const std::bad_alloc&) {
      state->refused_address.clear();
    }
    state->socket_refused = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

Error CurlError(CURLcode code, const char* detail, const std::string& url) {
  std::string message = "fetching " + Quoted(url) + ": ";
  message += (detail != nullptr && detail[0] != '\0') ? detail : curl_easy_strerror(code);
  switch (code) {
    // Schemes were checked before curl saw the URL; CURLE_UNSUPPORTED_PROTOCOL here
    // means the server answered in something else (HTTP/0.9, SSH ...): the default.
    case CURLE_URL_MALFORMAT: return Error{ErrorCode::kInvalidArgument, std::move(message)};
    case CURLE_OPERATION_TIMEDOUT: return Error{ErrorCode::kDeadlineExceeded, std::move(message)};
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN: return Error{ErrorCode::kInternal, std::move(message)};
    default:
      // Connection refused or cut, TLS handshake or certificate failure, a broken
      // answer: the far side's problem, which may pass.
      return Error{ErrorCode::kUnavailable, std::move(message)};
  }
}

Error HttpError(long code, const std::string& url) {
  std::string message = "fetching " + Quoted(url) + ": the server answered " + StatusText(code);
  if (code == 404 || code == 410) return Error{ErrorCode::kNotFound, std::move(message)};
  if (code >= 500 || code == 408 || code == 429) {
    return Error{ErrorCode::kUnavailable, std::move(message)};
  }
  if (code >= 400) return Error{ErrorCode::kInvalidArgument, std::move(message)};
  return Error{ErrorCode::kUnavailable, std::move(message)};
}

}  // namespace

Result<std::vector<IpAddress>> ResolveWithSystem(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    const std::string message = "resolving host \"" + host + "\": " + gai_strerror(rc);
    if (rc == EAI_NONAME || rc == EAI_NODATA || rc == EAI_ADDRFAMILY || rc == EAI_FAIL) {
      return MakeError(ErrorCode::kInvalidArgument, message);
    }
    return MakeError(ErrorCode::kUnavailable, message);
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, &freeaddrinfo);
  std::vector<IpAddress> addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    std::optional<IpAddress> ip = IpAddress::FromSockaddr(entry->ai_addr);
    if (ip && std::find(addresses.begin(), addresses.end(), *ip) == addresses.end()) {
      addresses.push_back(*ip);
    }
  }
  return addresses;
}

// A URL that passed every check, with the addresses its host may be reached at.
struct UrlFetcher::Target {
  std::string url;   // as curl normalised it
  std::string host;  // as in the URL, IPv6 literals without brackets
  bool host_is_literal = false;
  long port = 0;
  std::vector<IpAddress> addresses;
};

Result<UrlFetcher> UrlFetcher::Create(FetchOptions options) {
  if (options.max_bytes == 0 || options.timeout.count() <= 0 || options.connect_timeout.count() <= 0 ||
      options.max_redirects < 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "URL fetch limits must be positive (max_bytes, timeout, connect_timeout) "
                     "and max_redirects not negative");
  }
  std::vector<IpNetwork> allowed;
  for (const std::string& text : options.allowed_networks) {
    std::optional<IpNetwork> network = IpNetwork::Parse(text);
    if (!network) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "allowed network \"" + text + "\" is not a CIDR block like 10.0.0.0/8");
    }
    allowed.push_back(*network);
  }
  if (!options.resolver) options.resolver = ResolveWithSystem;
  return UrlFetcher(std::move(options), std::move(allowed));
}

Status UrlFetcher::CheckAddresses(const std::string& host, const std::vector<IpAddress>& addresses) const {
  if (addresses.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "host \"" + host + "\" has no address");
  }
  if (options_.allow_private) return {};
  for (const IpAddress& address : addresses) {
    if (std::any_of(allowed_.begin(), allowed_.end(),
                    [&](const IpNetwork& network) { return network.Contains(address); })) {
      continue;
    }
    const AddressClass address_class = ClassifyAddress(address);
    if (address_class != AddressClass::kPublic) {
      std::string message = "address refused: ";
      message += host == address.ToString() ? "host " + host
                                            : "host \"" + host + "\" resolves to " + address.ToString();
      message += address_class == AddressClass::kUnspecified ? ", an " : ", a ";
      message += AddressClassName(address_class);
      message += " address; only public addresses may be fetched";
      return MakeError(ErrorCode::kInvalidArgument, std::move(message));
    }
  }
  return {};
}

Result<UrlFetcher::Target> UrlFetcher::CheckUrl(std::string_view url) const {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (!parsed) return MakeError(ErrorCode::kInternal, "curl_url: out of memory");
  const std::string text(url);
  // NON_SUPPORT_SCHEME: parse "ftp:" too, so that the refusal can name the scheme.
  if (CURLUcode rc = curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
      rc != CURLUE_OK) {
    return MakeError(ErrorCode::kInvalidArgument, "not an absolute http or https URL: " + Quoted(url) + " (" +
                                                      curl_url_strerror(rc) + ")");
  }
  const std::string scheme = Lower(UrlPart(parsed.get(), CURLUPART_SCHEME).value_or(""));
  if (scheme != "http" && scheme != "https") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "only http and https URLs can be fetched, not " + scheme + ": " + Quoted(url));
  }
  if (UrlPart(parsed.get(), CURLUPART_USER) || UrlPart(parsed.get(), CURLUPART_PASSWORD) ||
      UrlPart(parsed.get(), CURLUPART_OPTIONS)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "URLs with a user name or password cannot be fetched: " + Quoted(url));
  }
  if (UrlPart(parsed.get(), CURLUPART_ZONEID)) {
    return MakeError(ErrorCode::kInvalidArgument, "URLs with an IPv6 zone cannot be fetched: " + Quoted(url));
  }
  std::optional<std::string> host = UrlPart(parsed.get(), CURLUPART_HOST);
  std::optional<std::string> port = UrlPart(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::optional<std::string> normalised = UrlPart(parsed.get(), CURLUPART_URL);
  if (!host || host->empty() || !port || !normalised) {
    return MakeError(ErrorCode::kInvalidArgument, "URL has no host: " + Quoted(url));
  }

  Target target;
  target.url = *normalised;
  std::from_chars(port->data(), port->data() + port->size(), target.port);
  target.host = *host;
  if (target.host.size() >= 2 && target.host.front() == '[' && target.host.back() == ']') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  if (std::optional<IpAddress> literal = IpAddress::Parse(target.host)) {
    target.host_is_literal = true;
    target.addresses = {*literal};
  } else {
    Result<std::vector<IpAddress>> resolved = options_.resolver(target.host);
    if (!resolved) return std::unexpected(resolved.error());
    target.addresses = std::move(*resolved);
  }
  if (Status ok = CheckAddresses(target.host, target.addresses); !ok) {
    return std::unexpected(ok.error().WithContext(Quoted(url)));
  }
  return target;
}

Result<FetchedResource> UrlFetcher::Fetch(std::string_view url) const {
  EnsureCurl();
  const SteadyClock::time_point deadline = SteadyClock::now() + options_.timeout;
  std::string current(url);
  std::string previous;
  for (int redirects = 0;; ++redirects) {
    Result<Target> target = CheckUrl(current);
    if (!target) {
      if (redirects == 0) return std::unexpected(target.error());
      return std::unexpected(target.error().WithContext("redirected from " + Quoted(previous)));
    }
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                 SteadyClock::now());
    if (remaining.count() <= 0) {
      return MakeError(ErrorCode::kDeadlineExceeded, "fetching " + Quoted(url) + ": no answer within " +
                                                         std::to_string(options_.timeout.count()) + " ms");
    }

    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    if (!easy) return MakeError(ErrorCode::kInternal, "curl_easy_init failed");
    TransferState state;
    state.easy = easy.get();
    state.max_bytes = options_.max_bytes;
    state.permitted = &target->addresses;
    char error_text[CURL_ERROR_SIZE] = "";

    // Pin the host name to the checked addresses: curl does no DNS of its own.
    std::unique_ptr<curl_slist, SlistDeleter> pins;
    if (!target->host_is_literal) {
      std::string pin = target->host + ":" + std::to_string(target->port) + ":";
      for (std::size_t i = 0; i < target->addresses.size(); ++i) {
        const IpAddress& address = target->addresses[i];
        if (i > 0) pin += ",";
        pin += address.family == IpAddress::Family::kV6 ? "[" + address.ToString() + "]" : address.ToString();
      }
      pins.reset(curl_slist_append(nullptr, pin.c_str()));
    }

    CURL* h = easy.get();
    curl_easy_setopt(h, CURLOPT_URL, target->url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min(remaining, options_.connect_timeout).count()));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &state);
    if (pins) curl_easy_setopt(h, CURLOPT_RESOLVE, pins.get());

    const CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);

    if (state.socket_refused) {
      return MakeError(ErrorCode::kInvalidArgument, "fetching " + Quoted(current) +
                                                        ": connection to unchecked address " +
                                                        state.refused_address + " refused");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return MakeError(ErrorCode::kDeadlineExceeded, "fetching " + Quoted(current) +
                                                         ": no complete answer within " +
                                                         std::to_string(options_.timeout.count()) + " ms");
    }
    if (code >= 300 && code < 400) {
      if (code != 301 && code != 302 && code != 303 && code != 307 && code != 308) {
        return std::unexpected(HttpError(code, current));
      }
      char* location = nullptr;
      curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
      if (location == nullptr) {
        return MakeError(ErrorCode::kInvalidArgument, "fetching " + Quoted(current) + ": redirect " +
                                                          std::to_string(code) +
                                                          " without a usable Location");
      }
      if (redirects >= options_.max_redirects) {
        return MakeError(ErrorCode::kInvalidArgument, "fetching " + Quoted(url) + ": more than " +
                                                          std::to_string(options_.max_redirects) +
                                                          " redirects");
      }
      previous = std::move(current);
      current = location;
      continue;
    }
    if (code != 0 && (code < 200 || code >= 300)) return std::unexpected(HttpError(code, current));
    if (state.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      return MakeError(ErrorCode::kTooLarge, "fetching " + Quoted(current) + ": larger than " +
                                                 std::to_string(options_.max_bytes) + " bytes");
    }
    if (rc != CURLE_OK) return std::unexpected(CurlError(rc, error_text, current));

    FetchedResource resource;
    resource.body = std::move(state.body);
    char* content_type = nullptr;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type != nullptr) resource.content_type = content_type;
    resource.final_url = target->url;
    return resource;
  }
}

}  // namespace maskfleet::net
