#include "maskfleet/loadgen/target.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>

namespace maskfleet::loadgen {

Result<HttpTarget> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://")) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "https URLs are not supported; use the service's plain http:// address");
  }
  if (!url.starts_with(kScheme)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the URL must start with http://, got '" + std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  HttpTarget target;
  target.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (const std::size_t hash = target.path.find('#'); hash != std::string::npos) target.path.resize(hash);
  if (target.path.empty() || target.path[0] != '/') target.path.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "the URL must not hold a user name or password");
  }
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return MakeError(ErrorCode::kInvalidArgument, "unclosed '[' in the URL's host");
    target.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':')
        return MakeError(ErrorCode::kInvalidArgument, "unexpected text after the URL's host");
      port_text = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    target.host = std::string(authority.substr(0, colon));
    port_text = authority.substr(colon + 1);
  } else {
    target.host = std::string(authority);
  }
  if (target.host.empty()) return MakeError(ErrorCode::kInvalidArgument, "the URL has no host");
  if (!port_text.empty()) {
    int port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
      return MakeError(ErrorCode::kInvalidArgument, "bad port '" + std::string(port_text) + "' in the URL");
    }
    target.port = port;
  }
  return target;
}

namespace {

// One non-blocking connect with a deadline; errno-style error or 0.
int ConnectOnce(const addrinfo& address, std::chrono::milliseconds timeout) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                          address.ai_protocol);
  if (fd < 0) return errno;
  int error = 0;
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    error = errno;
    if (error == EINPROGRESS) {
      pollfd pfd{.fd = fd, .events = POLLOUT, .revents = 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
      if (ready == 0) {
        error = ETIMEDOUT;
      } else if (ready < 0) {
        error = errno;
      } else {
        socklen_t length = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      }
    }
  }
  ::close(fd);
  return error;
}

}  // namespace

Status CheckReachable(const HttpTarget& target, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string port = std::to_string(target.port);
  if (const int rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &addresses); rc != 0) {
    return MakeError(ErrorCode::kNotFound, "cannot resolve " + target.host + ": " + ::gai_strerror(rc));
  }
  int error = 0;
  for (const addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    error = ConnectOnce(*a, timeout);
    if (error == 0) break;
  }
  ::freeaddrinfo(addresses);
  if (error != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot connect to " + target.host + ":" + port + ": " + std::strerror(error));
  }
  return {};
}

}  // namespace maskfleet::loadgen
