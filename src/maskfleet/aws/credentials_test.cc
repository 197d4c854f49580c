// The credential chain: environment, shared files, and IMDSv2 instance-role
// credentials from a fake metadata service on loopback (token required, as on EC2).
#include "maskfleet/aws/credentials.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

#include "maskfleet/aws/http.h"
#include "maskfleet/testing/temp_dir.h"

namespace maskfleet::aws {
namespace {

using namespace std::chrono_literals;

struct FakeEnv {
  std::map<std::string, std::string> vars;
  Environment env() const {
    return [this](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
};

std::string Iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// IMDSv2 as EC2 serves it: a PUT for a token, then GETs that must carry it (401
// without). Every credentials document expires `lifetime` after the clock's now, and
// carries a key id that counts the documents served.
class FakeImds {
 public:
  explicit FakeImds(const Clock& clock) : clock_(clock) {
    server_.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++token_requests_;
      if (!req.has_header("X-aws-ec2-metadata-token-ttl-seconds")) {
        res.status = 400;
        return;
      }
      res.set_content("TOKEN-" + std::to_string(token_requests_.load()), "text/plain");
    });
    server_.Get(R"(/latest/meta-data/(.*))", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("X-aws-ec2-metadata-token") !=
          "TOKEN-" + std::to_string(token_requests_.load())) {
        ++refused_;
        res.status = 401;
        return;
      }
      const std::string path = req.matches[1];
      if (path == "iam/security-credentials/") {
        res.set_content("maskfleet-worker\n", "text/plain");
      } else if (path == "iam/security-credentials/maskfleet-worker") {
        const int n = ++documents_;
        res.set_content(R"({"Code":"Success","LastUpdated":"2026-12-04T05:00:00Z","Type":"AWS-HMAC",)"
                        R"("AccessKeyId":"ASIA)" +
                            std::to_string(n) +
                            R"(","SecretAccessKey":"secret",)"
                            R"("Token":"session-token","Expiration":")" +
                            Iso8601(clock_.Now() + lifetime) + R"("})",
                        "application/json");
      } else if (path == "placement/region") {
        res.set_content("eu-north-1", "text/plain");
      } else {
        res.status = 404;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeImds() {
    server_.stop();
    thread_.join();
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::chrono::seconds lifetime{3600};
  std::atomic<int> token_requests_{0};
  std::atomic<int> documents_{0};
  std::atomic<int> refused_{0};

 private:
  const Clock& clock_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(AwsCredentialsTest, EnvironmentKeysAndIncompleteOnes) {
  FakeEnv env;
  EXPECT_FALSE(CredentialsFromEnvironment(env.env()).value().has_value());
  env.vars = {{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "S"}, {"AWS_SESSION_TOKEN", "T"}};
  auto found = CredentialsFromEnvironment(env.env()).value();
  ASSERT_TRUE(found);
  EXPECT_EQ(found->access_key_id, "AKID");
  EXPECT_EQ(found->session_token, "T");
  EXPECT_EQ(found->source, "environment");
  env.vars.erase("AWS_SECRET_ACCESS_KEY");
  EXPECT_EQ(CredentialsFromEnvironment(env.env()).error().code, ErrorCode::kUnauthenticated);
}

TEST(AwsCredentialsTest, ProfileFromSharedFiles) {
  testing::TempDir dir("mf-aws");
  std::ofstream(dir.path() / "credentials") << "[default]\naws_access_key_id = DEF\n"
                                               "aws_secret_access_key = defsecret\n\n"
                                               "# a comment\n[manager]\naws_access_key_id=MAN\n"
                                               "aws_secret_access_key=mansecret\n";
  std::ofstream(dir.path() / "config") << "[default]\nregion = eu-west-1\n"
                                          "[profile manager]\nregion = eu-central-1\n"
                                          "endpoint_url = http://127.0.0.1:5000\ns3 =\n"
                                          "  addressing_style = path\n"
                                          "[profile only-config]\naws_access_key_id = CFG\n"
                                          "aws_secret_access_key = cfgsecret\n";
  FakeEnv env;
  env.vars = {{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "credentials").string()},
              {"AWS_CONFIG_FILE", (dir.path() / "config").string()}};
  auto profile = LoadProfile(env.env());
  ASSERT_TRUE(profile) << profile.error().ToString();
  EXPECT_EQ(profile->name, "default");
  EXPECT_EQ(profile->credentials->access_key_id, "DEF");
  EXPECT_EQ(profile->region, "eu-west-1");

  env.vars["AWS_PROFILE"] = "manager";
  profile = LoadProfile(env.env());
  ASSERT_TRUE(profile) << profile.error().ToString();
  EXPECT_EQ(profile->credentials->access_key_id, "MAN");
  EXPECT_EQ(profile->credentials->source, "profile manager");
  EXPECT_EQ(profile->region, "eu-central-1");
  EXPECT_EQ(profile->endpoint_url, "http://127.0.0.1:5000");  // nested s3 block skipped

  env.vars["AWS_PROFILE"] = "only-config";
  EXPECT_EQ(LoadProfile(env.env()).value().credentials->access_key_id, "CFG");

  env.vars["AWS_PROFILE"] = "absent";
  EXPECT_EQ(LoadProfile(env.env()).error().code, ErrorCode::kInvalidArgument);

  // No files at all: an empty default profile, not an error.
  FakeEnv nothing;
  nothing.vars = {{"HOME", dir.path().string() + "/none"}};
  profile = LoadProfile(nothing.env());
  ASSERT_TRUE(profile);
  EXPECT_FALSE(profile->credentials.has_value());
}

TEST(AwsCredentialsTest, InstanceRoleNeedsTokenAndRefreshesBeforeExpiry) {
  SimulatedClock clock;
  FakeImds imds(clock);
  CurlTransport transport;
  InstanceRoleCredentialsProvider provider({.endpoint = imds.endpoint(), .refresh_before = 300s}, transport,
                                           clock);
  auto first = provider.Get();
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->access_key_id, "ASIA1");
  EXPECT_EQ(first->session_token, "session-token");
  EXPECT_EQ(first->source, "instance role maskfleet-worker");
  ASSERT_TRUE(first->expiration);
  EXPECT_EQ(*first->expiration, std::chrono::floor<std::chrono::seconds>(clock.Now()) + 3600s);
  EXPECT_EQ(imds.refused_, 0);

  // One second before the refresh margin: the cached keys, no request.
  clock.Advance(3600s - 300s - 1s);
  EXPECT_EQ(provider.Get().value().access_key_id, "ASIA1");
  EXPECT_EQ(imds.documents_, 1);
  // At the margin: fetched again.
  clock.Advance(1s);
  EXPECT_EQ(provider.Get().value().access_key_id, "ASIA2");
  EXPECT_EQ(imds.documents_, 2);
  EXPECT_EQ(provider.Metadata("placement/region").value(), "eu-north-1");
}

TEST(AwsCredentialsTest, InstanceRoleKeepsUnexpiredKeysWhileTheServiceIsDown) {
  SimulatedClock clock;
  auto imds = std::make_unique<FakeImds>(clock);
  const std::string endpoint = imds->endpoint();
  CurlTransport transport;
  InstanceRoleCredentialsProvider provider({.endpoint = endpoint, .refresh_before = 300s, .timeout = 500ms},
                                           transport, clock);
  ASSERT_TRUE(provider.Get());
  imds.reset();                 // the metadata service stops answering
  clock.Advance(3600s - 200s);  // inside the refresh margin, not yet expired
  EXPECT_EQ(provider.Get().value().access_key_id, "ASIA1");
  clock.Advance(200s);  // expired now
  auto expired = provider.Get();
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnavailable);
}

TEST(AwsCredentialsTest, ChainPrefersEnvironmentThenProfileThenInstanceRole) {
  SimulatedClock clock;
  FakeImds imds(clock);
  CurlTransport transport;
  testing::TempDir dir("mf-aws");
  std::ofstream(dir.path() / "credentials") << "[default]\naws_access_key_id = PROFILE\n"
                                               "aws_secret_access_key = s\n";
  FakeEnv env;
  env.vars = {{"HOME", dir.path().string()},
              {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint() + "/"},
              {"AWS_ACCESS_KEY_ID", "ENV"},
              {"AWS_SECRET_ACCESS_KEY", "s"}};
  std::filesystem::create_directories(dir.path() / ".aws");
  std::filesystem::rename(dir.path() / "credentials", dir.path() / ".aws" / "credentials");

  auto chain = DefaultCredentialsChain::Create(env.env(), transport, clock).value();
  EXPECT_EQ(chain->Get().value().access_key_id, "ENV");

  env.vars.erase("AWS_ACCESS_KEY_ID");
  env.vars.erase("AWS_SECRET_ACCESS_KEY");
  chain = DefaultCredentialsChain::Create(env.env(), transport, clock).value();
  EXPECT_EQ(chain->Get().value().access_key_id, "PROFILE");

  std::filesystem::remove(dir.path() / ".aws" / "credentials");
  chain = DefaultCredentialsChain::Create(env.env(), transport, clock).value();
  EXPECT_EQ(chain->Get().value().access_key_id, "ASIA1");
  EXPECT_EQ(chain->Region().value(), "eu-north-1");
  env.vars["AWS_REGION"] = "us-west-2";
  chain = DefaultCredentialsChain::Create(env.env(), transport, clock).value();
  EXPECT_EQ(chain->Region().value(), "us-west-2");

  env.vars["AWS_EC2_METADATA_DISABLED"] = "true";
  chain = DefaultCredentialsChain::Create(env.env(), transport, clock).value();
  auto none = chain->Get();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(imds.documents_, 1);  // the disabled chain never asked
}

TEST(AwsCredentialsTest, ParsesIso8601) {
  using std::chrono::sys_days;
  EXPECT_EQ(ParseIso8601("2026-12-04T06:07:08Z").value(),
            sys_days(std::chrono::year(2026) / 12 / 4) + 6h + 7min + 8s);
  EXPECT_EQ(ParseIso8601("2026-12-04T06:07:08.123Z").value(),
            sys_days(std::chrono::year(2026) / 12 / 4) + 6h + 7min + 8s);
  EXPECT_FALSE(ParseIso8601("yesterday"));
  EXPECT_FALSE(ParseIso8601("2026-13-04T06:07:08Z"));
}

}  // namespace
}  // namespace maskfleet::aws
