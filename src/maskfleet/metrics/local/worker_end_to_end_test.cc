// A real worker (WorkerApp, in this process, on a free loopback port) on a simulated
// clock, read by LocalMetricsSource: what the worker counts per minute is what the
// manager stores for that minute. In process rather than as a child so that the
// worker's minutes follow the test's clock instead of the wall clock.
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "maskfleet/metrics/local/local_metrics_source.h"
#include "maskfleet/metrics/local/request_rate_scraper.h"
#include "maskfleet/modes/backends.h"
#include "maskfleet/schema/schema.h"
#include "maskfleet/storage/testing/test_database.h"
#include "maskfleet/testing/shared_data.h"
#include "maskfleet/worker/worker_app.h"

namespace maskfleet::metrics::local {
namespace {

using std::chrono::seconds;
using Values = std::vector<std::optional<double>>;

constexpr long long kBase = 1'700'000'040;  // a minute's start
std::chrono::sys_seconds Minute(int i) { return std::chrono::sys_seconds(seconds(kBase + 60 * i)); }

class metrics_WorkerEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(maskfleet::testing::ModelDir())) {
      GTEST_SKIP() << "no model at " << maskfleet::testing::ModelDir();
    }
    std::string dir = (std::filesystem::temp_directory_path() / "maskfleet-metrics-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    dir_ = dir;

    worker::WorkerConfig config;
    config.name = "w1";
    config.port = 0;
    config.data_dir = dir_ / "worker";
    config.model_dir = maskfleet::testing::ModelDir();
    config.password_hashing = "minimum";
    config.http_threads = 4;
    config.detection_threads = 1;
    config.detection_queue = 1;
    auto backends = modes::MakeWorkerBackends(config, clock_);
    ASSERT_TRUE(backends) << backends.error().ToString();
    auto app = worker::WorkerApp::Create(config, std::move(*backends), clock_);
    ASSERT_TRUE(app) << app.error().ToString();
    app_ = std::move(*app);
    auto port = app_->Start();
    ASSERT_TRUE(port) << port.error().ToString();
    port_ = static_cast<std::uint16_t>(*port);

    auto scratch = storage::testing::OpenScratchSqlite(schema::Maskfleet(), clock_);
    ASSERT_TRUE(scratch) << scratch.error().ToString();
    scratch_ = std::move(*scratch);
    db_ = scratch_.database.get();
    store_ = std::make_unique<MetricStore>(*db_);
    source_ = std::make_unique<LocalMetricsSource>(*store_, CpuSampler{});
  }

  void TearDown() override {
    source_.reset();
    store_.reset();
    scratch_.database.reset();
    scratch_.scratch.reset();
    if (app_) app_->Stop();
    app_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  // Sends `n` requests that the worker counts (an API call without a session: 401)
  // and a few it does not (health checks, metric scrapes).
  void SendRequests(int n) {
    httplib::Client client("127.0.0.1", port_);
    for (int i = 0; i < n; ++i) {
      auto res = client.Get("/api/v1/session");
      ASSERT_TRUE(res) << httplib::to_string(res.error());
      EXPECT_EQ(res->status, 401);
    }
    ASSERT_TRUE(client.Get("/healthz"));
    ASSERT_TRUE(client.Get("/metrics"));
  }

  Status Collect() {
    const std::vector<CollectTarget> workers = {{"w1", "127.0.0.1", port_, WorkerPhase::kInService}};
    return source_->Collect(clock_.Now(), workers);
  }

  SimulatedClock clock_{Clock::TimePoint(Minute(0))};
  std::filesystem::path dir_;
  std::unique_ptr<worker::WorkerApp> app_;
  std::uint16_t port_ = 0;
  storage::testing::ScratchSqlite scratch_;
  storage::Database* db_ = nullptr;  // scratch_'s
  std::unique_ptr<MetricStore> store_;
  std::unique_ptr<LocalMetricsSource> source_;
};

TEST_F(metrics_WorkerEndToEndTest, TheWorkersRealExpositionParsesCleanly) {
  SendRequests(3);
  clock_.Advance(seconds(65));
  auto parsed = RequestRateScraper().Scrape("127.0.0.1", port_);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->skipped_lines, 0);
  EXPECT_EQ(parsed->minutes, (std::vector<RequestMinute>{{Minute(0), 3}}));
}

TEST_F(metrics_WorkerEndToEndTest, NRequestsSentInAMinuteShowAsNInThatMinute) {
  clock_.Advance(seconds(5));
  SendRequests(7);
  ASSERT_TRUE(Collect());  // minute 0 still running: nothing to store yet
  clock_.Advance(seconds(50));
  SendRequests(4);
  clock_.Advance(seconds(10));  // 65 s: in minute 1
  SendRequests(2);
  Status st = Collect();
  ASSERT_TRUE(st) << st.error().ToString();
  clock_.Advance(seconds(60));  // 125 s: minute 2, a quiet one
  ASSERT_TRUE(Collect());
  clock_.Advance(seconds(60));  // 185 s
  ASSERT_TRUE(Collect());

  auto series = store_->Series("w1", Metric::kRequestsPerMinute, {Minute(0), Minute(4)});
  ASSERT_TRUE(series) << series.error().ToString();
  // Minute 3 is still running: no data yet, not 0.
  EXPECT_EQ(*series, (Values{11.0, 2.0, 0.0, std::nullopt}));
}

}  // namespace
}  // namespace maskfleet::metrics::local
