// Functional tests of UrlFetcher against a real HTTP server (cpp-httplib) on
// 127.0.0.1, port 0.
#include "maskfleet/net/url_fetcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace maskfleet::net {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kLimit = 64 * 1024;

class TestServer {
 public:
  TestServer() {
    server_.Get("/image", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(1000, 'x'), "image/jpeg");
    });
    server_.Get("/exactly-limit", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(kLimit, 'x'), "image/png");
    });
    server_.Get("/too-big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(kLimit + 1, 'x'), "image/png");
    });
    // Announces a huge Content-Length, then trickles: refused before the body.
    server_.Get("/announced-huge", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(1'000'000'000, "image/png", [this](size_t, size_t, httplib::DataSink& sink) {
        std::this_thread::sleep_for(milliseconds(50));
        return !stopping_ && sink.write("xxxx", 4);
      });
    });
    // No Content-Length at all, then more bytes than the limit.
    server_.Get("/chunked-big", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("image/png", [](size_t offset, httplib::DataSink& sink) {
        if (offset > 4 * kLimit) {
          sink.done();
          return true;
        }
        const std::string chunk(4096, 'y');
        return sink.write(chunk.data(), chunk.size());
      });
    });
    server_.Get("/close-delimited-big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider("image/png", [](size_t offset, httplib::DataSink& sink) {
        if (offset > 4 * kLimit) {
          sink.done();
          return true;
        }
        const std::string chunk(4096, 'z');
        return sink.write(chunk.data(), chunk.size());
      });
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      for (int i = 0; i < 100 && !stopping_; ++i) std::this_thread::sleep_for(milliseconds(20));
      res.set_content("late", "text/plain");
    });
    server_.Get(R"(/redirect/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      const int n = std::stoi(req.matches[1]);
      res.set_redirect(n == 0 ? "/image" : "/redirect/" + std::to_string(n - 1));
    });
    server_.Get("/to", [](const httplib::Request& req, httplib::Response& res) {
      res.set_redirect(req.get_param_value("url"));
    });
    server_.Get("/echo-host", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.get_header_value("Host"), "text/plain");
    });
    server_.Get("/error", [](const httplib::Request& req, httplib::Response& res) {
      res.status = std::stoi(req.get_param_value("status"));
      res.set_content(std::string(500000, 'e'), "text/html");
    });
    server_.set_logger([this](const httplib::Request&, const httplib::Response&) { ++requests_; });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the loop runs would be lost, and the destructor would hang.
    while (!server_.is_running()) std::this_thread::sleep_for(milliseconds(1));
  }
  ~TestServer() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_; }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> requests_{0};
};

class UrlFetcherTest : public ::testing::Test {
 protected:
  static FetchOptions Options(bool allow_private) {
    FetchOptions options;
    options.max_bytes = kLimit;
    options.timeout = milliseconds(5000);
    options.connect_timeout = milliseconds(2000);
    options.allow_private = allow_private;
    return options;
  }
  static UrlFetcher Fetcher(FetchOptions options) {
    Result<UrlFetcher> fetcher = UrlFetcher::Create(std::move(options));
    EXPECT_TRUE(fetcher);
    return std::move(*fetcher);
  }
  static void ExpectError(const Result<FetchedResource>& result, ErrorCode code,
                          std::string_view message_part = "") {
    ASSERT_FALSE(result) << "fetched " << result->body.size() << " bytes";
    EXPECT_EQ(result.error().code, code) << result.error().ToString();
    EXPECT_NE(result.error().message.find(message_part), std::string::npos) << result.error().ToString();
  }

  TestServer server_;
};

TEST_F(UrlFetcherTest, FetchesBodyContentTypeAndFinalUrl) {
  Result<FetchedResource> got = Fetcher(Options(true)).Fetch(server_.Url("/image"));
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->body, std::vector<std::uint8_t>(1000, 'x'));
  EXPECT_EQ(got->content_type, "image/jpeg");
  EXPECT_EQ(got->final_url, server_.Url("/image"));
}

TEST_F(UrlFetcherTest, BodyOfExactlyTheLimitIsAccepted) {
  Result<FetchedResource> got = Fetcher(Options(true)).Fetch(server_.Url("/exactly-limit"));
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->body.size(), kLimit);
}

TEST_F(UrlFetcherTest, BodyOverTheLimitIsTooLarge) {
  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/too-big")), ErrorCode::kTooLarge,
              "larger than 65536 bytes");
}

TEST_F(UrlFetcherTest, AnnouncedContentLengthOverTheLimitIsRefusedBeforeTheBody) {
  const auto start = SteadyClock::now();
  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/announced-huge")), ErrorCode::kTooLarge);
  EXPECT_LT(SteadyClock::now() - start, milliseconds(1000));
}

TEST_F(UrlFetcherTest, BodyWithoutContentLengthIsBoundedWhileReceiving) {
  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/chunked-big")), ErrorCode::kTooLarge);
  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/close-delimited-big")), ErrorCode::kTooLarge);
}

TEST_F(UrlFetcherTest, SlowServerHitsTheDeadline) {
  FetchOptions options = Options(true);
  options.timeout = milliseconds(300);
  const auto start = SteadyClock::now();
  ExpectError(Fetcher(options).Fetch(server_.Url("/slow")), ErrorCode::kDeadlineExceeded);
  EXPECT_LT(SteadyClock::now() - start, milliseconds(1500));
}

TEST_F(UrlFetcherTest, FollowsRedirectsUpToTheLimit) {
  // /redirect/N answers with N + 1 redirects.
  Result<FetchedResource> got = Fetcher(Options(true)).Fetch(server_.Url("/redirect/4"));
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->body.size(), 1000u);
  EXPECT_EQ(got->final_url, server_.Url("/image"));

  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/redirect/5")), ErrorCode::kInvalidArgument,
              "more than 5 redirects");

  FetchOptions none = Options(true);
  none.max_redirects = 0;
  ExpectError(Fetcher(none).Fetch(server_.Url("/redirect/0")), ErrorCode::kInvalidArgument,
              "more than 0 redirects");
}

TEST_F(UrlFetcherTest, RedirectToAnotherSchemeIsRefused) {
  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/to?url=ftp://127.0.0.1/photo.jpg")),
              ErrorCode::kInvalidArgument, "only http and https URLs can be fetched, not ftp");
  ExpectError(Fetcher(Options(true)).Fetch(server_.Url("/to?url=file:///etc/passwd")),
              ErrorCode::kInvalidArgument, "not file");
}

TEST_F(UrlFetcherTest, RedirectToARefusedAddressIsRefused) {
  // The test server itself is on loopback: allow exactly it, nothing else private.
  FetchOptions options = Options(false);
  options.allowed_networks = {"127.0.0.1/32"};
  const UrlFetcher fetcher = Fetcher(options);
  ASSERT_TRUE(fetcher.Fetch(server_.Url("/image")));
  ExpectError(fetcher.Fetch(server_.Url("/to?url=http://169.254.169.254/latest/meta-data/")),
              ErrorCode::kInvalidArgument, "169.254.169.254, a link-local address");
  ExpectError(fetcher.Fetch(server_.Url("/to?url=http://169.254.169.254/latest/meta-data/")),
              ErrorCode::kInvalidArgument, "redirected from \"" + server_.Url("/to?url="));
  ExpectError(fetcher.Fetch(server_.Url("/to?url=http://10.0.0.1/x")), ErrorCode::kInvalidArgument,
              "private");
  ExpectError(fetcher.Fetch(server_.Url("/to?url=http://[::1]/x")), ErrorCode::kInvalidArgument, "loopback");
  ExpectError(
      fetcher.Fetch(server_.Url("/to?url=http://127.0.0.2:" + std::to_string(server_.port()) + "/image")),
      ErrorCode::kInvalidArgument, "loopback");
}

TEST_F(UrlFetcherTest, HttpErrorsMapToCodes) {
  const UrlFetcher fetcher = Fetcher(Options(true));
  ExpectError(fetcher.Fetch(server_.Url("/nothing-here")), ErrorCode::kNotFound,
              "the server answered 404 Not Found");
  ExpectError(fetcher.Fetch(server_.Url("/error?status=410")), ErrorCode::kNotFound);
  ExpectError(fetcher.Fetch(server_.Url("/error?status=503")), ErrorCode::kUnavailable, "503");
  ExpectError(fetcher.Fetch(server_.Url("/error?status=500")), ErrorCode::kUnavailable);
  ExpectError(fetcher.Fetch(server_.Url("/error?status=429")), ErrorCode::kUnavailable);
  ExpectError(fetcher.Fetch(server_.Url("/error?status=403")), ErrorCode::kInvalidArgument, "403");
}

TEST_F(UrlFetcherTest, HostIsPinnedToTheAddressesThatWereChecked) {
  // "images.test" exists only in this resolver; curl never resolves it itself.
  FetchOptions options = Options(true);
  std::atomic<int> lookups{0};
  options.resolver = [&lookups](const std::string& host) -> Result<std::vector<IpAddress>> {
    ++lookups;
    if (host != "images.test") return MakeError(ErrorCode::kInvalidArgument, "unknown " + host);
    return std::vector<IpAddress>{IpAddress::V4(127, 0, 0, 1)};
  };
  const std::string host = "images.test:" + std::to_string(server_.port());
  Result<FetchedResource> got = Fetcher(options).Fetch("http://" + host + "/echo-host");
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(std::string(got->body.begin(), got->body.end()), host);
  EXPECT_EQ(lookups, 1);
}

TEST_F(UrlFetcherTest, ANameWithAnyRefusedAddressIsRefused) {
  // DNS rebinding's usual trick: one public and one private answer.
  FetchOptions options = Options(false);
  options.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return std::vector<IpAddress>{IpAddress::V4(93, 184, 216, 34), IpAddress::V4(127, 0, 0, 1)};
  };
  ExpectError(Fetcher(options).Fetch("http://rebind.test/"), ErrorCode::kInvalidArgument,
              "\"rebind.test\" resolves to 127.0.0.1, a loopback address");
}

TEST_F(UrlFetcherTest, ResolverErrorsPassThrough) {
  FetchOptions options = Options(false);
  options.resolver = [](const std::string&) -> Result<std::vector<IpAddress>> {
    return MakeError(ErrorCode::kUnavailable, "resolver down");
  };
  ExpectError(Fetcher(options).Fetch("http://example.test/"), ErrorCode::kUnavailable, "resolver down");
  ExpectError(Fetcher(Options(false)).Fetch("http://no-such-host.invalid/"), ErrorCode::kInvalidArgument,
              "no-such-host.invalid");
}

TEST_F(UrlFetcherTest, BadUrlsAreRefusedBeforeResolving) {
  FetchOptions options = Options(true);
  options.resolver = [](const std::string& host) -> Result<std::vector<IpAddress>> {
    ADD_FAILURE() << "resolved " << host;
    return MakeError(ErrorCode::kInternal, "should not resolve");
  };
  const UrlFetcher fetcher = Fetcher(options);
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"ftp://example.com/photo.jpg", "not ftp"},
      {"file:///etc/passwd", "not file"},
      {"gopher://example.com/", "not gopher"},
      {"dict://example.com:11211/stat", "not dict"},
      {"http://user:secret@example.com/photo.jpg", "user name or password"},
      {"http://user@example.com/photo.jpg", "user name or password"},
      {"photo.jpg", "not an absolute http or https URL"},
      {"//example.com/photo.jpg", "not an absolute http or https URL"},
      {"", "not an absolute http or https URL"},
      {"http://", "not an absolute http or https URL"},
      {"http://[fe80::1%25eth0]/", "zone"},
  };
  for (const auto& [url, message] : cases) {
    ExpectError(fetcher.Fetch(url), ErrorCode::kInvalidArgument, message);
  }
}

TEST(UrlFetcherCreateTest, RefusesBadOptions) {
  FetchOptions options;
  options.allowed_networks = {"10.0.0.0/99"};
  ASSERT_FALSE(UrlFetcher::Create(options));
  EXPECT_EQ(UrlFetcher::Create(options).error().code, ErrorCode::kInvalidArgument);
  FetchOptions zero;
  zero.max_bytes = 0;
  EXPECT_FALSE(UrlFetcher::Create(zero));
}

// A listening socket that never accepts, to see whether anyone tried to connect.
class Listener {
 public:
  explicit Listener(int family) {
    fd_ = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return;
    sockaddr_storage address{};
    socklen_t size = 0;
    if (family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&address);
      in->sin_family = AF_INET;
      in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      size = sizeof *in;
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
      in6->sin6_family = AF_INET6;
      in6->sin6_addr = in6addr_loopback;
      size = sizeof *in6;
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 || listen(fd_, 8) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&address)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  }
  ~Listener() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  int port() const { return port_; }
  bool SomeoneConnected() const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 100) > 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Answers every connection on 127.0.0.1 with fixed bytes, whatever was asked: for
// answers that cpp-httplib will not produce (a Content-Length that lies).
class RawHttpServer {
 public:
  explicit RawHttpServer(std::string answer) : answer_(std::move(answer)) {
    thread_ = std::thread([this] {
      while (!stopping_) {
        pollfd p{listener_fd(), POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        const int client = accept(listener_fd(), nullptr, nullptr);
        if (client < 0) continue;
        char request[4096];
        (void)!read(client, request, sizeof request);
        std::string_view rest = answer_;
        while (!rest.empty()) {
          const ssize_t n = send(client, rest.data(), rest.size(), MSG_NOSIGNAL);
          if (n <= 0) break;
          rest.remove_prefix(static_cast<std::size_t>(n));
        }
        close(client);
      }
    });
  }
  ~RawHttpServer() {
    stopping_ = true;
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(listener_.port()) + "/"; }

 private:
  int listener_fd() const { return listener_.fd(); }

  Listener listener_{AF_INET};
  std::string answer_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

TEST(UrlFetcherRawTest, ContentLengthThatUnderstatesTheBodyCannotExceedTheBound) {
  // Says 100 bytes, sends 1 MB: only the announced 100 are taken.
  RawHttpServer server("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n" +
                       std::string(1024 * 1024, 'L'));
  FetchOptions options;
  options.allow_private = true;
  options.max_bytes = kLimit;
  Result<FetchedResource> got = UrlFetcher::Create(options)->Fetch(server.Url());
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->body.size(), 100u);
}

TEST(UrlFetcherRawTest, Http10BodyWithoutLengthIsBoundedWhileReceiving) {
  RawHttpServer server("HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n" + std::string(kLimit + 1, 'L'));
  FetchOptions options;
  options.allow_private = true;
  options.max_bytes = kLimit;
  Result<FetchedResource> got = UrlFetcher::Create(options)->Fetch(server.Url());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kTooLarge) << got.error().ToString();
}

TEST(UrlFetcherRawTest, GarbageAnswerIsUnavailable) {
  RawHttpServer server("SSH-2.0-OpenSSH_9.2\r\n");
  FetchOptions options;
  options.allow_private = true;
  Result<FetchedResource> got = UrlFetcher::Create(options)->Fetch(server.Url());
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable) << got.error().ToString();
}

TEST(UrlFetcherConnectTest, ConnectionRefusedIsUnavailable) {
  int port = 0;
  {
    Listener closed_soon(AF_INET);  // a port that was free a moment ago
    ASSERT_TRUE(closed_soon.ok());
    port = closed_soon.port();
  }
  FetchOptions options;
  options.allow_private = true;
  Result<UrlFetcher> fetcher = UrlFetcher::Create(options);
  ASSERT_TRUE(fetcher);
  Result<FetchedResource> got = fetcher->Fetch("http://127.0.0.1:" + std::to_string(port) + "/");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable) << got.error().ToString();
}

TEST(UrlFetcherPrivateAddressTest, RefusedWithoutAnyConnectionAttempt) {
  Listener v4(AF_INET);
  ASSERT_TRUE(v4.ok());
  FetchOptions options;
  options.timeout = milliseconds(3000);
  Result<UrlFetcher> fetcher = UrlFetcher::Create(options);
  ASSERT_TRUE(fetcher);
  const std::string port = std::to_string(v4.port());
  const std::pair<std::string, std::string_view> cases[] = {
      {"http://127.0.0.1:" + port + "/photo.jpg", "loopback"},
      {"https://127.0.0.1:" + port + "/photo.jpg", "loopback"},
      {"http://localhost:" + port + "/", "loopback"},
      {"http://LOCALHOST:" + port + "/", "loopback"},
      {"http://2130706433:" + port + "/", "loopback"},  // 127.0.0.1 as one number
      {"http://0x7f.0.0.1:" + port + "/", "loopback"},  // and in hex
      {"http://127.1:" + port + "/", "loopback"},
      {"http://[::ffff:127.0.0.1]:" + port + "/", "loopback"},
      {"http://0.0.0.0:" + port + "/", "unspecified"},
      {"http://[::]:" + port + "/", "unspecified"},
      {"http://169.254.169.254/latest/meta-data/", "169.254.169.254, a link-local address"},
      {"http://[fd00:ec2::254]/latest/meta-data/", "unique local"},
      {"http://10.0.0.1/", "private"},
      {"http://192.168.1.1/", "private"},
      {"http://100.64.0.1/", "carrier-grade NAT"},
      {"http://224.0.0.1/", "multicast"},
      {"http://255.255.255.255/", "broadcast"},
      {"http://[fe80::1]/", "link-local"},
  };
  for (const auto& [url, message] : cases) {
    const auto start = SteadyClock::now();
    Result<FetchedResource> got = fetcher->Fetch(url);
    ASSERT_FALSE(got) << url;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << got.error().ToString();
    EXPECT_NE(got.error().message.find("address refused"), std::string::npos) << got.error().ToString();
    EXPECT_NE(got.error().message.find(message), std::string::npos) << got.error().ToString();
    EXPECT_LT(SteadyClock::now() - start, milliseconds(500)) << url;
  }
  EXPECT_FALSE(v4.SomeoneConnected());

  Listener v6(AF_INET6);
  if (!v6.ok()) GTEST_SKIP() << "no IPv6 loopback here";
  Result<FetchedResource> got = fetcher->Fetch("http://[::1]:" + std::to_string(v6.port()) + "/photo.jpg");
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("::1, a loopback address"), std::string::npos) << got.error().ToString();
  EXPECT_FALSE(v6.SomeoneConnected());
}

}  // namespace
}  // namespace maskfleet::net
