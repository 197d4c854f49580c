#include "maskfleet/lb/haproxy/haproxy_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "maskfleet/lb/haproxy/test_support.h"

namespace maskfleet::lb::haproxy {
namespace {

using ::maskfleet::lb::haproxy::testing::TempDir;

HaproxyConfig Sample() {
  HaproxyConfig config;
  config.state_dir = "/run/mf/haproxy";
  return config;
}

TEST(LbHaproxyConfigTest, RendersTheKeyLines) {
  Result<std::string> text = RenderConfig(Sample());
  ASSERT_TRUE(text) << text.error().ToString();
  for (const char* line : {
           "    stats socket /run/mf/haproxy/admin.sock mode 600 level admin\n",
           "    nbthread 1\n",
           "    mode http\n",
           "    timeout connect 5000ms\n",
           "    timeout server 60000ms\n",
           "    timeout http-request 10000ms\n",
           "frontend entry\n",
           "    bind 127.0.0.1:8080\n",
           "    http-request del-header X-Forwarded-For\n",
           "    option forwardfor\n",
           "    default_backend workers\n",
           "backend workers\n",
           "    balance leastconn\n",
           "    option httpchk GET /healthz\n",
           "    http-check expect status 200\n",
           "    default-server inter 2000ms fastinter 1000ms downinter 2000ms fall 2 rise 1\n",
           "    server-template w 1-64 0.0.0.0:0 disabled check\n",
       }) {
    EXPECT_NE(text->find(line), std::string::npos) << "missing: " << line << "in:\n" << *text;
  }
  EXPECT_EQ(text->find("master-worker"), std::string::npos);
  EXPECT_EQ(text->find("daemon"), std::string::npos);
}

TEST(LbHaproxyConfigTest, AbortsTheRequestsOfClientsWhoLeftAndKeepsNoIdleWorkerConnection) {
  Result<std::string> text = RenderConfig(Sample());
  ASSERT_TRUE(text) << text.error().ToString();
  const std::size_t backend = text->find("backend workers\n");
  ASSERT_NE(backend, std::string::npos);
  EXPECT_NE(text->find("    option abortonclose\n", backend), std::string::npos) << *text;
  EXPECT_NE(text->find("    option http-server-close\n", backend), std::string::npos) << *text;
}

TEST(LbHaproxyConfigTest, OwnErrorsAreJsonMapsInTheStateFolder) {
  Result<std::string> text = RenderConfig(Sample());
  ASSERT_TRUE(text) << text.error().ToString();
  for (int status : {404, 502, 503, 504}) {
    const std::string line = "    http-error status " + std::to_string(status) +
                             " content-type application/json lf-string \"%[var(txn.error_style),map("
                             "/run/mf/haproxy/errors/" +
                             std::to_string(status) + ".map)]\"\n";
    EXPECT_NE(text->find(line), std::string::npos) << "missing: " << line << "in:\n" << *text;
  }
  EXPECT_NE(text->find("    http-request deny deny_status 404 if { path,url_dec -m beg /metrics }\n"),
            std::string::npos);
  const std::vector<GeneratedFile> maps = ErrorMaps(Sample());
  ASSERT_EQ(maps.size(), 4u);
  EXPECT_EQ(maps[2].path, "/run/mf/haproxy/errors/503.map");
  EXPECT_EQ(
      maps[2].text,
      "spec {\"success\":false,\"error\":{\"code\":503,\"message\":\"no worker is available right now; "
      "try again in a moment\"}}\n"
      "v1 {\"success\":false,\"error\":{\"code\":503,\"reason\":\"unavailable\",\"message\":\"no worker is "
      "available right now; try again in a moment\"}}\n");
}

TEST(LbHaproxyConfigTest, UsesTheConfiguredFrontendChecksAndSlots) {
  HaproxyConfig config = Sample();
  config.frontend_host = "0.0.0.0";
  config.frontend_port = 18080;
  config.slots = 8;
  config.check_interval = std::chrono::milliseconds(1000);
  config.fall = 3;
  config.rise = 2;
  config.health_path = "/health/ready";
  Result<std::string> text = RenderConfig(config);
  ASSERT_TRUE(text) << text.error().ToString();
  EXPECT_NE(text->find("    bind 0.0.0.0:18080\n"), std::string::npos);
  EXPECT_NE(text->find("server-template w 1-8 0.0.0.0:0 disabled check\n"), std::string::npos);
  EXPECT_NE(text->find("inter 1000ms fastinter 500ms downinter 1000ms fall 3 rise 2\n"), std::string::npos);
  EXPECT_NE(text->find("option httpchk GET /health/ready\n"), std::string::npos);
  EXPECT_EQ(text->find("maxconn"), std::string::npos);  // 0: no limit per worker
}

// The requests a worker is sent at once are bounded, so that the threads it keeps for
// its health checks are never taken by requests queued in it.
TEST(LbHaproxyConfigTest, BoundsTheRequestsSentToOneWorker) {
  HaproxyConfig config = Sample();
  config.server_maxconn = 28;
  Result<std::string> text = RenderConfig(config);
  ASSERT_TRUE(text) << text.error().ToString();
  EXPECT_NE(text->find("fall 2 rise 1 maxconn 28\n"), std::string::npos) << *text;
}

TEST(LbHaproxyConfigTest, RefusesValuesThatWouldBreakTheFile) {
  auto refused = [](auto change) {
    HaproxyConfig config = Sample();
    change(config);
    Result<std::string> text = RenderConfig(config);
    return !text && text.error().code == ErrorCode::kInvalidArgument;
  };
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.state_dir.clear(); }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.state_dir = "/tmp/a b"; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.state_dir = "/" + std::string(120, 'x'); }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.frontend_host = "127.0.0.1 # x"; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.frontend_port = 0; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.slots = 0; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.health_path = "healthz"; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.health_path = "/a b"; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.check_interval = {}; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.fall = 0; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.threads = 0; }));
  EXPECT_TRUE(refused([](HaproxyConfig& c) { c.server_maxconn = -1; }));
}

TEST(LbHaproxyConfigTest, HaproxyAcceptsTheGeneratedFile) {
  TempDir dir;
  HaproxyConfig config = testing::FastConfig(dir.path());
  config.server_maxconn = 28;
  Result<std::string> text = RenderConfig(config);
  ASSERT_TRUE(text) << text.error().ToString();
  const std::filesystem::path path = dir.path() / "haproxy.cfg";
  std::ofstream(path) << *text;
  for (const GeneratedFile& map : ErrorMaps(config)) {  // HAProxy reads them with the file
    std::filesystem::create_directories(map.path.parent_path());
    std::ofstream(map.path) << map.text;
  }
  // -c: check only; HAProxy exits 0 on a valid configuration (warnings included).
  const std::string command = "haproxy -c -q -f " + path.native() + " 2>&1";
  EXPECT_EQ(std::system(command.c_str()), 0) << *text;
}

}  // namespace
}  // namespace maskfleet::lb::haproxy

namespace maskfleet::lb::haproxy {
namespace {

TEST(lb_FreeTcpPortTest, GivesAPortOnANumericAddressAndRefusesNames) {
  Result<std::uint16_t> port = FreeTcpPort("127.0.0.1");
  ASSERT_TRUE(port) << port.error().message;
  EXPECT_GT(*port, 0);
  EXPECT_EQ(FreeTcpPort("localhost").error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace maskfleet::lb::haproxy
