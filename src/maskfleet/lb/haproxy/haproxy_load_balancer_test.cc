// HaproxyLoadBalancer against a real HAProxy on loopback, with cpp-httplib servers as
// workers: each answers /healthz (200, or 503 when told to fail), / and /slow with its
// name in X-Backend, and /refuse with 503 (a worker refusing work).
#include "maskfleet/lb/haproxy/haproxy_load_balancer.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <thread>

#include "maskfleet/lb/haproxy/haproxy_process.h"
#include "maskfleet/lb/haproxy/test_support.h"

namespace maskfleet::lb::haproxy {
namespace {

using ::maskfleet::lb::haproxy::testing::TempDir;
using namespace std::chrono_literals;

class TestBackend {
 public:
  explicit TestBackend(std::string name) : name_(std::move(name)) {
    server_.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
      res.status = healthy_ ? 200 : 503;
      res.set_content(healthy_ ? "ok" : "failing", "text/plain");
    });
    server_.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      res.set_header("X-Backend", name_);
      res.set_content(req.get_header_value("X-Forwarded-For"), "text/plain");
    });
    server_.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      slow_started_ = true;
      std::this_thread::sleep_for(1500ms);
      res.set_header("X-Backend", name_);
      res.set_content("slow", "text/plain");
    });
    server_.Get("/refuse", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 503;
      res.set_content("busy", "text/plain");
    });
    // One request per connection: an idle keep-alive connection from HAProxy would hold
    // stop() for httplib's keep-alive timeout (5 s).
    server_.set_keep_alive_max_count(1);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The port is bound already, so connections wait in the backlog; this only makes
    // the destructor's stop() meet a running server.
    testing::WaitUntilTrue([this] { return server_.is_running(); }, 2s);
  }
  ~TestBackend() {
    server_.stop();
    thread_.join();
  }

  ServerAddress Address() const {
    return {.id = name_, .address = "127.0.0.1", .port = static_cast<std::uint16_t>(port_)};
  }
  void SetHealthy(bool healthy) { healthy_ = healthy; }
  int requests() const { return requests_; }
  bool slow_started() const { return slow_started_; }

 private:
  std::string name_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> healthy_{true};
  std::atomic<int> requests_{0};
  std::atomic<bool> slow_started_{false};
};

class LbHaproxyLoadBalancerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::FastConfig(dir_.path());
    process_ = std::make_unique<HaproxyProcess>(config_, ProcessOptions{.grace = 3s});
    Status started = process_->Start();
    ASSERT_TRUE(started) << started.error().ToString();
    balancer_ = std::make_unique<HaproxyLoadBalancer>(config_);
  }
  void TearDown() override {
    balancer_.reset();
    if (process_) {
      EXPECT_TRUE(process_->Stop());
    }
  }

  std::unique_ptr<httplib::Client> Client() const {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", config_.frontend_port);
    client->set_connection_timeout(2s);
    client->set_read_timeout(5s);
    return client;
  }

  std::map<std::string, ServerStatus> Servers() const {
    std::map<std::string, ServerStatus> out;
    Result<std::vector<ServerStatus>> list = balancer_->ListServers();
    EXPECT_TRUE(list) << list.error().ToString();
    if (list) {
      for (ServerStatus& s : *list) out[s.id] = std::move(s);
    }
    return out;
  }

  // Waits (bounded) until `id` is in `state`.
  bool WaitForState(const std::string& id, ServerState state, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto servers = Servers();
      if (servers.contains(id) && servers[id].state == state) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Who answered each of `count` requests to /, by X-Backend.
  std::map<std::string, int> Spread(int count) {
    std::map<std::string, int> seen;
    auto client = Client();
    for (int i = 0; i < count; ++i) {
      auto res = client->Get("/");
      if (!res) {
        ++seen["error"];
      } else if (res->status != 200) {
        ++seen["status " + std::to_string(res->status)];
      } else {
        ++seen[res->get_header_value("X-Backend")];
      }
    }
    return seen;
  }

  TempDir dir_;
  HaproxyConfig config_;
  std::unique_ptr<HaproxyProcess> process_;
  std::unique_ptr<HaproxyLoadBalancer> balancer_;
};

TEST_F(LbHaproxyLoadBalancerTest, EntryUrlNamesTheFrontend) {
  EXPECT_EQ(balancer_->EntryUrl(), "http://127.0.0.1:" + std::to_string(config_.frontend_port) + "/");
  EXPECT_EQ(HaproxyLoadBalancer(config_, "http://lb.example/").EntryUrl(), "http://lb.example/");
}

TEST_F(LbHaproxyLoadBalancerTest, RequestsReachBothBackends) {
  TestBackend a("a"), b("b");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(balancer_->AddServer(b.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  ASSERT_TRUE(WaitForState("b", ServerState::kUp));

  auto servers = Servers();
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers["a"].address, "127.0.0.1");
  EXPECT_EQ(servers["a"].port, a.Address().port);
  EXPECT_TRUE(servers["a"].healthy);
  EXPECT_EQ(servers["a"].check_status, "L7OK");
  EXPECT_EQ(servers["b"].active_connections, 0);
  EXPECT_EQ(balancer_->SlotOf("a").value(), "w1");
  EXPECT_EQ(balancer_->SlotOf("b").value(), "w2");

  std::map<std::string, int> seen = Spread(20);
  EXPECT_GT(seen["a"], 0);
  EXPECT_GT(seen["b"], 0);
  EXPECT_EQ(seen["a"] + seen["b"], 20) << "errors: " << seen["error"];
}

TEST_F(LbHaproxyLoadBalancerTest, WorkerSeesTheClientAddressNotAForgedOne) {
  TestBackend a("a");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  auto res = Client()->Get("/", {{"X-Forwarded-For", "203.0.113.9"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "127.0.0.1");
}

TEST_F(LbHaproxyLoadBalancerTest, NoTrafficBeforeTheFirstPassedCheck) {
  TestBackend a("a");
  a.SetHealthy(false);
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  auto servers = Servers();
  EXPECT_EQ(servers["a"].state, ServerState::kDown);
  EXPECT_FALSE(servers["a"].healthy);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(Servers()["a"].state, ServerState::kDown);
  EXPECT_EQ(Spread(3)["status 503"], 3);
  EXPECT_EQ(a.requests(), 0);
  a.SetHealthy(true);
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  EXPECT_EQ(Spread(3)["a"], 3);
}

TEST_F(LbHaproxyLoadBalancerTest, DrainLetsTheRequestInFlightFinish) {
  TestBackend a("a"), b("b");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(balancer_->AddServer(b.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  ASSERT_TRUE(WaitForState("b", ServerState::kUp));

  // Keep a slow request on each backend, then drain the one that serves the first.
  auto slow = std::async(std::launch::async, [this] {
    auto res = Client()->Get("/slow");
    return res ? std::make_pair(res->status, res->get_header_value("X-Backend"))
               : std::make_pair(-1, std::string());
  });
  ASSERT_TRUE(testing::WaitUntilTrue([&] { return a.slow_started() || b.slow_started(); }, 2s));
  const std::string busy = a.slow_started() ? "a" : "b";
  const std::string other = busy == "a" ? "b" : "a";
  ASSERT_TRUE(balancer_->DrainServer(busy));
  ASSERT_TRUE(balancer_->DrainServer(busy));  // again: still fine

  auto servers = Servers();
  EXPECT_EQ(servers[busy].state, ServerState::kDraining);
  EXPECT_TRUE(servers[busy].healthy);
  EXPECT_EQ(servers[busy].active_connections, 1);
  EXPECT_EQ(servers[other].state, ServerState::kUp);

  std::map<std::string, int> seen = Spread(10);
  EXPECT_EQ(seen[other], 10);
  EXPECT_EQ(seen[busy], 0);

  const auto [status, backend] = slow.get();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(backend, busy);
  EXPECT_EQ(Servers()[busy].active_connections, 0);
}

TEST_F(LbHaproxyLoadBalancerTest, FailingHealthCheckTakesABackendOut) {
  TestBackend a("a"), b("b");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(balancer_->AddServer(b.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  ASSERT_TRUE(WaitForState("b", ServerState::kUp));
  b.SetHealthy(false);
  ASSERT_TRUE(WaitForState("b", ServerState::kDown));
  auto servers = Servers();
  EXPECT_FALSE(servers["b"].healthy);
  EXPECT_EQ(servers["b"].check_status, "L7STS");
  EXPECT_NE(servers["b"].check_detail.find("503"), std::string::npos) << servers["b"].check_detail;
  const int before = b.requests();
  EXPECT_EQ(Spread(10)["a"], 10);
  EXPECT_EQ(b.requests(), before);
}

TEST_F(LbHaproxyLoadBalancerTest, RemoveFreesTheIdAndTheSlotGoesLast) {
  TestBackend a("a"), b("b"), c("c");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(balancer_->AddServer(b.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  ASSERT_TRUE(WaitForState("b", ServerState::kUp));
  ASSERT_TRUE(balancer_->RemoveServer("a"));
  auto servers = Servers();
  EXPECT_EQ(servers.size(), 1u);
  EXPECT_TRUE(servers.contains("b"));
  EXPECT_EQ(Spread(10)["b"], 10);
  EXPECT_EQ(balancer_->RemoveServer("a").error().code, ErrorCode::kNotFound);

  // The freed slot w1 waits behind the never-used ones.
  ASSERT_TRUE(balancer_->AddServer(c.Address()));
  EXPECT_EQ(balancer_->SlotOf("c").value(), "w3");
  // The id "a" can come back (in another slot).
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  EXPECT_EQ(balancer_->SlotOf("a").value(), "w4");
}

// A manager restarted after a crash takes over the HAProxy it left: the servers in it
// keep serving without a new health check, the slot of a server nobody claims and that
// is down is emptied, and the slots are not handed out twice.
TEST_F(LbHaproxyLoadBalancerTest, AdoptedSlotsKeepServingAndAreClaimedByAddress) {
  TestBackend a("a"), b("b"), gone("gone");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(balancer_->AddServer(b.Address()));
  ASSERT_TRUE(balancer_->AddServer(gone.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  ASSERT_TRUE(WaitForState("b", ServerState::kUp));
  ASSERT_TRUE(WaitForState("gone", ServerState::kUp));
  ASSERT_TRUE(balancer_->DrainServer("b"));
  const std::string slot_of_a = balancer_->SlotOf("a").value();

  // The new manager's balancer: it knows no id yet.
  balancer_ = std::make_unique<HaproxyLoadBalancer>(config_);
  Result<int> adopted = balancer_->AdoptSlots();
  ASSERT_TRUE(adopted) << adopted.error().ToString();
  EXPECT_EQ(*adopted, 2);  // a and gone; the draining b is emptied
  EXPECT_TRUE(Servers().empty());
  // Requests go on meanwhile.
  EXPECT_EQ(Spread(6)["error"], 0);

  TestBackend c("c");
  ASSERT_TRUE(balancer_->AddServer({.id = "a-again", .address = "127.0.0.1", .port = a.Address().port}));
  EXPECT_EQ(balancer_->SlotOf("a-again").value(), slot_of_a);
  auto servers = Servers();
  EXPECT_EQ(servers["a-again"].state, ServerState::kUp);  // no new first check to wait for
  ASSERT_TRUE(balancer_->AddServer(c.Address()));
  EXPECT_NE(balancer_->SlotOf("c").value(), slot_of_a);

  // The unclaimed slot's server fails its checks (down after 2 × 200 ms): the next
  // listing empties its slot. Of 8 slots, a-again and c hold 2: 6 are free again.
  gone.SetHealthy(false);
  std::this_thread::sleep_for(1500ms);
  Servers();
  for (int i = 0; i < 6; ++i) {
    Status added = balancer_->AddServer(
        {.id = "f" + std::to_string(i), .address = "127.0.0.1", .port = static_cast<std::uint16_t>(9 + i)});
    EXPECT_TRUE(added) << i << ": " << added.error().ToString();
  }
  EXPECT_EQ(balancer_->AddServer({.id = "one-more", .address = "127.0.0.1", .port = 20}).error().code,
            ErrorCode::kResourceExhausted);
}

TEST_F(LbHaproxyLoadBalancerTest, RefusesBadAddsAndUnknownIds) {
  TestBackend a("a");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  EXPECT_EQ(balancer_->AddServer(a.Address()).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(balancer_->AddServer({.id = "", .address = "127.0.0.1", .port = 1}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(balancer_->AddServer({.id = "x", .address = "localhost", .port = 1}).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(balancer_->AddServer({.id = "x", .address = "127.0.0.1", .port = 0}).error().code,
            ErrorCode::kInvalidArgument);
  Status drain = balancer_->DrainServer("nobody");
  ASSERT_FALSE(drain);
  EXPECT_EQ(drain.error().code, ErrorCode::kNotFound);
  EXPECT_NE(drain.error().message.find("nobody"), std::string::npos);
  EXPECT_EQ(balancer_->SlotOf("nobody").error().code, ErrorCode::kNotFound);
}

TEST_F(LbHaproxyLoadBalancerTest, RunsOutOfSlots) {
  for (int i = 0; i < config_.slots; ++i) {
    ASSERT_TRUE(balancer_->AddServer(
        {.id = "s" + std::to_string(i), .address = "127.0.0.1", .port = static_cast<std::uint16_t>(9 + i)}));
  }
  Status full = balancer_->AddServer({.id = "one-more", .address = "127.0.0.1", .port = 9});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, ErrorCode::kResourceExhausted);
  ASSERT_TRUE(balancer_->RemoveServer("s0"));
  EXPECT_TRUE(balancer_->AddServer({.id = "one-more", .address = "127.0.0.1", .port = 9}));
}

TEST_F(LbHaproxyLoadBalancerTest, SoftStopLetsTheRequestInFlightFinish) {
  TestBackend a("a");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  auto slow = std::async(std::launch::async, [this] {
    auto res = Client()->Get("/slow");
    return res ? res->status : -1;
  });
  ASSERT_TRUE(testing::WaitUntilTrue([&] { return a.slow_started(); }, 2s));
  ASSERT_TRUE(process_->Stop());
  EXPECT_EQ(slow.get(), 200);
  EXPECT_FALSE(process_->Running());
}

// HAProxy's own 502/503/504 were HTML pages where the API promises JSON.
TEST_F(LbHaproxyLoadBalancerTest, HaproxysOwnErrorsAreTheApisJson) {
  auto client = Client();
  auto v1 = client->Get("/api/v1/images");  // no worker at all: 503
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->status, 503);
  EXPECT_EQ(v1->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(
      v1->body,
      R"({"success":false,"error":{"code":503,"reason":"unavailable","message":"no worker is available right now; try again in a moment"}})");
  for (const char* path : {"/api/upload", "/api/register"}) {
    auto spec = client->Post(path, "username=a&password=b", "application/x-www-form-urlencoded");
    ASSERT_TRUE(spec) << path;
    EXPECT_EQ(spec->status, 503) << path;
    EXPECT_EQ(
        spec->body,
        R"({"success":false,"error":{"code":503,"message":"no worker is available right now; try again in a moment"}})")
        << path;
  }
  auto page = client->Get("/upload");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 503);
  EXPECT_NE(page->body.find(R"("reason":"unavailable")"), std::string::npos) << page->body;
}

// /metrics answered through the load balancer, to anyone.
TEST_F(LbHaproxyLoadBalancerTest, MetricsAreNotServedThroughTheBalancer) {
  TestBackend a("a");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  const int before = a.requests();
  auto client = Client();
  for (const char* path : {"/metrics", "/%6detrics", "/metrics?x=1", "/metrics/"}) {
    auto res = client->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body,
              R"({"success":false,"error":{"code":404,"reason":"not_found","message":"no such page"}})")
        << path;
  }
  EXPECT_EQ(a.requests(), before);
  EXPECT_EQ(Spread(2)["a"], 2) << "other paths still pass";
}

// What the local mode's auto-scaler reads: every request received is offered; those
// answered below 500 are served, and neither HAProxy's own 503 (no worker) nor a
// worker's 503 is.
TEST_F(LbHaproxyLoadBalancerTest, EntryRequestCountsCountOfferedAndServedRequests) {
  Result<EntryRequestCounts> before = balancer_->ReadEntryRequestCounts();
  ASSERT_TRUE(before) << before.error().ToString();
  EXPECT_EQ(before->offered, 0u);
  EXPECT_EQ(before->served, 0u);
  EXPECT_TRUE(before->generation.starts_with(std::to_string(process_->pid()) + "-")) << before->generation;

  EXPECT_EQ(Spread(2)["status 503"], 2);  // no worker yet: HAProxy's 503
  TestBackend a("a");
  ASSERT_TRUE(balancer_->AddServer(a.Address()));
  ASSERT_TRUE(WaitForState("a", ServerState::kUp));
  EXPECT_EQ(Spread(5)["a"], 5);
  auto client = Client();
  for (int i = 0; i < 3; ++i) {
    auto refused = client->Get("/refuse");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
  }
  auto hidden = client->Get("/metrics");  // HAProxy's own 404: answered, below 500
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->status, 404);

  Result<EntryRequestCounts> after = balancer_->ReadEntryRequestCounts();
  ASSERT_TRUE(after) << after.error().ToString();
  EXPECT_EQ(after->offered - before->offered, 2u + 5u + 3u + 1u);
  EXPECT_EQ(after->served - before->served, 5u + 1u);
  EXPECT_EQ(after->generation, before->generation);
}

TEST_F(LbHaproxyLoadBalancerTest, ARestartedHaproxyIsANewGenerationCountingFromZero) {
  EXPECT_EQ(Spread(3)["status 503"], 3);
  Result<EntryRequestCounts> first = balancer_->ReadEntryRequestCounts();
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->offered, 3u);

  ASSERT_TRUE(process_->Stop());
  EXPECT_EQ(balancer_->ReadEntryRequestCounts().error().code, ErrorCode::kUnavailable);
  process_ = std::make_unique<HaproxyProcess>(config_, ProcessOptions{.grace = 3s});
  ASSERT_TRUE(process_->Start());
  Result<EntryRequestCounts> second = balancer_->ReadEntryRequestCounts();
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(second->offered, 0u);
  EXPECT_NE(second->generation, first->generation);
}

TEST(LbHaproxyOwnErrorsTest, ASlowWorkerIs504InJson) {
  TempDir dir;
  HaproxyConfig config = testing::FastConfig(dir.path());
  config.server_timeout = 300ms;
  HaproxyProcess process(config, ProcessOptions{.grace = 3s});
  ASSERT_TRUE(process.Start());
  HaproxyLoadBalancer balancer(config);
  TestBackend a("a");
  ASSERT_TRUE(balancer.AddServer(a.Address()));
  ASSERT_TRUE(testing::WaitUntilTrue(
      [&] {
        Result<std::vector<ServerStatus>> list = balancer.ListServers();
        return list && !list->empty() && (*list)[0].state == ServerState::kUp;
      },
      3s));
  httplib::Client client("127.0.0.1", config.frontend_port);
  client.set_read_timeout(5s);
  auto res = client.Get("/slow");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 504);
  EXPECT_EQ(
      res->body,
      R"({"success":false,"error":{"code":504,"reason":"deadline_exceeded","message":"the worker took too long to answer; try again later"}})");
  EXPECT_TRUE(process.Stop());
}

TEST(LbHaproxyLoadBalancerErrorTest, NoHaproxyIsUnavailable) {
  TempDir dir;
  HaproxyLoadBalancer balancer(testing::FastConfig(dir.path()));
  Status add = balancer.AddServer({.id = "a", .address = "127.0.0.1", .port = 9});
  ASSERT_FALSE(add);
  EXPECT_EQ(add.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(add.error().message.find("admin.sock"), std::string::npos) << add.error().message;
  EXPECT_EQ(balancer.ListServers().error().code, ErrorCode::kUnavailable);
  // The failed add left the id free.
  EXPECT_EQ(balancer.SlotOf("a").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace maskfleet::lb::haproxy
