#include "maskfleet/http/http_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace maskfleet::http {
namespace {

httplib::Response Answer(const Error& error) {
  httplib::Response res;
  RespondError(res, error, ErrorStyle::kApiV1, "req-1");
  return res;
}

TEST(http_RespondErrorTest, RetryAfterIsTheHintInWholeSecondsRoundedUp) {
  const struct {
    int milliseconds;
    const char* header;
  } cases[] = {{1, "1"}, {999, "1"}, {1000, "1"}, {1001, "2"}, {90'000, "90"}};
  for (const auto& c : cases) {
    httplib::Response res = Answer(
        Error{ErrorCode::kResourceExhausted, "slow down", std::chrono::milliseconds(c.milliseconds)});
    EXPECT_EQ(res.status, 429);
    EXPECT_EQ(res.get_header_value("Retry-After"), c.header) << c.milliseconds << " ms";
  }
}

TEST(http_RespondErrorTest, NoHintOrAZeroHintSetsNoRetryAfter) {
  EXPECT_FALSE(Answer(Error{ErrorCode::kUnavailable, "busy"}).has_header("Retry-After"));
  EXPECT_FALSE(
      Answer(Error{ErrorCode::kUnavailable, "busy", std::chrono::milliseconds(0)}).has_header("Retry-After"));
}

TEST(http_RespondErrorTest, MediaTypeIs415AndNamedUnsupported) {
  httplib::Response res = Answer(Error{ErrorCode::kUnsupportedMediaType, "not an image"});
  EXPECT_EQ(res.status, 415);
  EXPECT_NE(res.body.find("\"reason\":\"unsupported\""), std::string::npos) << res.body;
}

// A TCP connection to 127.0.0.1:`port`, started without waiting; -1 on failure.
int ConnectWithoutWaiting(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// cpp-httplib listens with a backlog of 5: the sixth and later connections of a burst
// were dropped by the kernel until the server accepted some, and their clients (a
// health check among them) retried a second later.
TEST(http_BindTest, ABurstOfConnectionsCompletesBeforeTheServerAcceptsAny) {
  httplib::Server server;
  Result<int> port = Bind(server, "127.0.0.1", 0);
  ASSERT_TRUE(port) << port.error().ToString();
  // Nobody accepts: every connection that completes sits in the backlog.
  constexpr int kBurst = 40;
  std::vector<int> fds;
  for (int i = 0; i < kBurst; ++i) fds.push_back(ConnectWithoutWaiting(*port));
  int completed = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLOUT, 0};
    if (fd >= 0 && ::poll(&p, 1, 500) == 1 && (p.revents & POLLOUT)) {
      int error = 0;
      socklen_t size = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error == 0) ++completed;
    }
    if (fd >= 0) ::close(fd);
  }
  EXPECT_EQ(completed, kBurst);
}

// A stop at once after Serve() ends the server: it is running when Serve() returns
// (a signal right after start-up once left the worker accepting for ever).
TEST(http_ServeTest, ServerIsRunningWhenServeReturnsSoAnImmediateStopEndsIt) {
  for (int i = 0; i < 50; ++i) {
    httplib::Server server;
    Result<int> port = Bind(server, "127.0.0.1", 0);
    ASSERT_TRUE(port) << port.error().ToString();
    std::thread serving = Serve(server);
    ASSERT_TRUE(server.is_running()) << "round " << i;
    server.stop();
    serving.join();
    EXPECT_FALSE(server.is_running());
  }
}

// A server that was never bound ends at once; Serve() still returns.
TEST(http_ServeTest, ServerThatCannotServeReturnsAnEndedThread) {
  httplib::Server server;
  std::thread serving = Serve(server);
  serving.join();
  EXPECT_FALSE(server.is_running());
}

TEST(http_ClientConnectedTest, TurnsFalseWhenTheClientHangsUpAndStaysTrueWhileItWaits) {
  httplib::Server server;
  std::atomic<int> connected_at_start{-1};
  std::atomic<int> noticed_hang_up{-1};
  server.Get("/wait", [&](const httplib::Request& req, httplib::Response& res) {
    const std::function<bool()> connected = ClientConnected(req);
    connected_at_start = connected() ? 1 : 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (connected() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    noticed_hang_up = connected() ? 0 : 1;
    res.set_content("late", "text/plain");
  });
  Result<int> port = Bind(server, "127.0.0.1", 0);
  ASSERT_TRUE(port) << port.error().ToString();
  std::thread serving([&] { server.listen_after_bind(); });

  const int fd = ConnectWithoutWaiting(*port);
  ASSERT_GE(fd, 0);
  pollfd p{fd, POLLOUT, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  const std::string request = "GET /wait HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  const auto started = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (connected_at_start == -1 && std::chrono::steady_clock::now() < started) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(connected_at_start.load(), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(noticed_hang_up.load(), -1) << "still connected, still waiting";
  ::close(fd);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (noticed_hang_up == -1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(noticed_hang_up.load(), 1);
  server.stop();
  serving.join();
}

// A row stored before file names were made valid at the door holds bytes that are not
// UTF-8; its JSON used to throw (the history answered 500 for good).
TEST(http_RespondJsonTest, StringThatIsNotUtf8IsSentWithReplacementNotAnError) {
  httplib::Response res;
  ASSERT_NO_THROW(RespondJson(res, 200, {{"source_name", "bad\xFF.jpg"}}));
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "{\"source_name\":\"bad\xEF\xBF\xBD.jpg\"}");
  EXPECT_EQ(nlohmann::json::parse(res.body)["source_name"], "bad\xEF\xBF\xBD.jpg");
}

}  // namespace
}  // namespace maskfleet::http
