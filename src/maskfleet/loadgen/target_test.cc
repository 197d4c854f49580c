#include "maskfleet/loadgen/target.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace maskfleet::loadgen {
namespace {

TEST(TargetTest, ParsesHostPortAndPath) {
  Result<HttpTarget> t = ParseHttpUrl("http://127.0.0.1:8081/api/upload");
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, 8081);
  EXPECT_EQ(t->path, "/api/upload");

  t = ParseHttpUrl("http://example.com");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, 80);
  EXPECT_EQ(t->path, "/");

  t = ParseHttpUrl("http://[::1]:9000/x?y=1#frag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->port, 9000);
  EXPECT_EQ(t->path, "/x?y=1");
}

TEST(TargetTest, RefusesWhatItCannotUse) {
  for (const char* url :
       {"https://example.com/api/upload", "example.com/api/upload", "http://:80/", "http://host:0/",
        "http://host:99999/", "http://host:x/", "http://user:pw@host/", "http://[::1/"}) {
    Result<HttpTarget> t = ParseHttpUrl(url);
    ASSERT_FALSE(t) << url;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument) << url;
  }
  EXPECT_NE(ParseHttpUrl("https://x/").error().message.find("https"), std::string::npos);
}

TEST(TargetTest, ReachabilityOfAListeningAndAClosedPort) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  EXPECT_TRUE(CheckReachable({.host = "127.0.0.1", .port = port}, std::chrono::seconds(2)));
  ::close(fd);  // nothing listens there now
  Status closed = CheckReachable({.host = "127.0.0.1", .port = port}, std::chrono::seconds(2));
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(closed.error().message.find("refused"), std::string::npos) << closed.error().message;
}

}  // namespace
}  // namespace maskfleet::loadgen
