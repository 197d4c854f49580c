#include "maskfleet/lb/haproxy/runtime_api.h"

#include <gtest/gtest.h>

#include "maskfleet/lb/haproxy/haproxy_process.h"
#include "maskfleet/lb/haproxy/test_support.h"

namespace maskfleet::lb::haproxy {
namespace {

using ::maskfleet::lb::haproxy::testing::TempDir;

const ServerSlotState* Find(const std::vector<ServerSlotState>& servers, std::string_view name) {
  for (const ServerSlotState& s : servers) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(LbHaproxyRuntimeApiTest, ParsesServersState) {
  const char* answer =
      "1\n"
      "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
      "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
      "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
      "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
      "srv_agent_port\n"
      "3 workers 1 w1 127.0.0.1 2 12 1 1 4 15 3 4 6 0 0 0 - 9001 - 0 0 - - 0\n"
      "3 workers 2 w2 0.0.0.0 0 5 1 1 3 1 0 0 14 0 0 0 - 0 - 0 0 - - 0\n\n";
  Result<std::vector<ServerSlotState>> servers = ParseServersState(answer);
  ASSERT_TRUE(servers) << servers.error().ToString();
  ASSERT_EQ(servers->size(), 2u);
  EXPECT_EQ((*servers)[0].name, "w1");
  EXPECT_EQ((*servers)[0].address, "127.0.0.1");
  EXPECT_EQ((*servers)[0].port, 9001);
  EXPECT_EQ((*servers)[0].operational_state, 2);
  EXPECT_EQ((*servers)[0].admin_state, 12u);
  EXPECT_EQ((*servers)[1].admin_state, 5u);

  const char* stat =
      "# pxname,svname,scur,status,check_status,check_code,check_desc,addr\n"
      "workers,w1,3,DRAIN,* L7OK,200,\"Layer7 check passed, really\",127.0.0.1:9001\n"
      "workers,w2,0,MAINT,,,,0.0.0.0:0\n";
  ASSERT_TRUE(MergeStat(stat, *servers));
  EXPECT_EQ((*servers)[0].status, "DRAIN");
  EXPECT_EQ((*servers)[0].check_status, "L7OK");
  EXPECT_EQ((*servers)[0].check_code, 200);
  EXPECT_EQ((*servers)[0].check_description, "Layer7 check passed, really");
  EXPECT_EQ((*servers)[0].current_sessions, 3);
  EXPECT_EQ((*servers)[1].status, "MAINT");
}

TEST(LbHaproxyRuntimeApiTest, RefusesAnswersInAnotherFormat) {
  EXPECT_EQ(ParseServersState("Unknown command.\n").error().code, ErrorCode::kInternal);
  EXPECT_EQ(ParseServersState("1\n3 workers 1 w1\n").error().code, ErrorCode::kInternal);
  std::vector<ServerSlotState> servers(1);
  servers[0].name = "w1";
  EXPECT_FALSE(MergeStat("# pxname,svname\nworkers,w1\n", servers));
}

TEST(LbHaproxyRuntimeApiTest, ParsesAFrontendsCounters) {
  const char* answer =
      "Name: HAProxy\n"
      "Pid: 4242\n"
      "Uptime_sec: 8\n"
      "\n"
      "# pxname,svname,qcur,req_tot,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other\n"
      "other,FRONTEND,,99,0,99,0,0,0,0\n"
      "entry,FRONTEND,,120,1,100,2,3,14,0\n\n";
  Result<FrontendCounters> counters = ParseFrontendCounters(answer, "entry");
  ASSERT_TRUE(counters) << counters.error().ToString();
  EXPECT_EQ(*counters, (FrontendCounters{.pid = 4242, .requests = 120, .answered_below_500 = 106}));
}

TEST(LbHaproxyRuntimeApiTest, RefusesFrontendCountersItCannotRead) {
  const std::string header = "# pxname,svname,req_tot,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx\n";
  EXPECT_EQ(ParseFrontendCounters("Pid: 1\n" + header + "other,FRONTEND,1,0,1,0,0\n", "entry").error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(ParseFrontendCounters(header + "entry,FRONTEND,1,0,1,0,0\n", "entry").error().code,
            ErrorCode::kInternal);  // no Pid
  EXPECT_EQ(
      ParseFrontendCounters("Pid: 1\n# pxname,svname,req_tot\nentry,FRONTEND,1\n", "entry").error().code,
      ErrorCode::kInternal);  // no hrsp columns
  EXPECT_EQ(ParseFrontendCounters("Pid: 1\n" + header + "entry,FRONTEND,x,0,1,0,0\n", "entry").error().code,
            ErrorCode::kInternal);
}

TEST(LbHaproxyRuntimeApiTest, MissingSocketIsUnavailable) {
  TempDir dir;
  RuntimeApi api(dir.path() / "none.sock", std::chrono::milliseconds(500));
  Result<std::string> answer = api.Execute("show info");
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(answer.error().message.find("none.sock"), std::string::npos) << answer.error().message;
  EXPECT_EQ(api.ShowServers("workers").error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(api.Execute("show info\nshow stat").error().code, ErrorCode::kInvalidArgument);
}

class LbHaproxyRuntimeApiLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::FastConfig(dir_.path());
    process_ = std::make_unique<HaproxyProcess>(config_, ProcessOptions{.grace = std::chrono::seconds(2)});
    Status started = process_->Start();
    ASSERT_TRUE(started) << started.error().ToString();
  }
  void TearDown() override {
    if (process_) {
      EXPECT_TRUE(process_->Stop());
    }
  }

  TempDir dir_;
  HaproxyConfig config_;
  std::unique_ptr<HaproxyProcess> process_;
};

TEST_F(LbHaproxyRuntimeApiLiveTest, SlotsStartEmptyInMaintenance) {
  RuntimeApi api(SocketPath(config_));
  Result<std::vector<ServerSlotState>> servers = api.ShowServers(kBackendName);
  ASSERT_TRUE(servers) << servers.error().ToString();
  ASSERT_EQ(servers->size(), static_cast<size_t>(config_.slots));
  EXPECT_EQ((*servers)[0].name, "w1");
  EXPECT_EQ((*servers)[0].address, "0.0.0.0");
  EXPECT_EQ((*servers)[0].status, "MAINT");
  Result<int> pid = api.ProcessId();
  ASSERT_TRUE(pid) << pid.error().ToString();
  EXPECT_EQ(*pid, process_->pid());
}

TEST_F(LbHaproxyRuntimeApiLiveTest, SetsAddressStateAndHealthChecks) {
  RuntimeApi api(SocketPath(config_));
  ASSERT_TRUE(api.SetServerAddress(kBackendName, "w2", "127.0.0.1", 9));
  // Setting the same address again is a success too ("no need to change").
  ASSERT_TRUE(api.SetServerAddress(kBackendName, "w2", "127.0.0.1", 9));
  ASSERT_TRUE(api.ReadyServerDown(kBackendName, "w2"));
  Result<std::vector<ServerSlotState>> servers = api.ShowServers(kBackendName);
  ASSERT_TRUE(servers) << servers.error().ToString();
  const ServerSlotState* w2 = Find(*servers, "w2");
  ASSERT_NE(w2, nullptr);
  EXPECT_EQ(w2->address, "127.0.0.1");
  EXPECT_EQ(w2->port, 9);
  EXPECT_EQ(w2->operational_state, 0);  // down until a check passes; none will (port 9)
  EXPECT_NE(w2->status, "MAINT");

  ASSERT_TRUE(api.SetServerState(kBackendName, "w2", AdminState::kDrain));
  ASSERT_TRUE(api.SetHealthChecks(kBackendName, "w2", false));
  ASSERT_TRUE(api.SetHealthChecks(kBackendName, "w2", true));
  servers = api.ShowServers(kBackendName);
  ASSERT_TRUE(servers);
  EXPECT_NE(Find(*servers, "w2")->admin_state & 0x08u, 0u);
  ASSERT_TRUE(api.SetServerState(kBackendName, "w2", AdminState::kMaint));
  servers = api.ShowServers(kBackendName);
  ASSERT_TRUE(servers);
  EXPECT_EQ(Find(*servers, "w2")->status, "MAINT");
}

TEST_F(LbHaproxyRuntimeApiLiveTest, ErrorsCarryTheCommandAndTheAnswer) {
  RuntimeApi api(SocketPath(config_));
  Status unknown = api.SetServerState(kBackendName, "w999", AdminState::kReady);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("set server workers/w999 state ready"), std::string::npos)
      << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("No such server"), std::string::npos) << unknown.error().message;

  EXPECT_EQ(api.SetServerState("nobackend", "w1", AdminState::kDrain).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(api.SetHealthChecks(kBackendName, "w999", true).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(api.ShowServers("nobackend").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(api.ShowFrontendCounters("nofrontend").error().code, ErrorCode::kNotFound);
  Result<FrontendCounters> entry = api.ShowFrontendCounters(kFrontendName);
  ASSERT_TRUE(entry) << entry.error().ToString();
  EXPECT_EQ(entry->pid, process_->pid());

  Status bad_addr = api.SetServerAddress(kBackendName, "w1", "1.2.3", 80);
  ASSERT_FALSE(bad_addr);
  EXPECT_EQ(bad_addr.error().code, ErrorCode::kInvalidArgument) << bad_addr.error().ToString();
  EXPECT_NE(bad_addr.error().message.find("Invalid addr"), std::string::npos);

  // An unknown command answers with the command list; the error keeps its first line.
  Result<std::string> raw = api.Execute("frobnicate");
  ASSERT_TRUE(raw);
  EXPECT_NE(raw->find("Unknown command"), std::string::npos);
}

}  // namespace
}  // namespace maskfleet::lb::haproxy
