#include "maskfleet/worker/worker_config.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "maskfleet/config/config_source.h"

namespace maskfleet::worker {
namespace {

WorkerConfig Bounds(int http_threads) {
  WorkerConfig c;
  c.http_threads = http_threads;
  c.detection_threads = 1;
  c.detection_queue = 3;
  c.url_fetches = 2;
  c.hash_concurrency = 1;
  c.hash_queue = 2;  // admitted: 1 + 3 + 2 + 1 + 2 × 2 = 11
  return c;
}

TEST(WorkerConfigTest, ThreadsCoverTheBoundsTheOverflowAnswersAndTheSpareOnes) {
  EXPECT_EQ(AdmittedRequests(Bounds(0)), 11);
  // 11 + 4 + 4 = 19 threads at least: one under is raised, at and over are kept.
  EXPECT_EQ(HttpThreads(Bounds(18)), 19);
  EXPECT_EQ(HttpThreads(Bounds(19)), 19);
  EXPECT_EQ(HttpThreads(Bounds(20)), 20);
}

TEST(WorkerConfigTest, TheBalancerLeavesTheSpareThreadsFree) {
  EXPECT_EQ(BalancedRequestLimit(Bounds(8)), 15);
  EXPECT_EQ(BalancedRequestLimit(Bounds(32)), 28);
  EXPECT_EQ(BalancedRequestLimit(Bounds(32)), HttpThreads(Bounds(32)) - kSpareHttpThreads);
  // The defaults: 2 + 14 + 2 + 1 + 2 × 2 = 23 admitted fit in 32 threads.
  EXPECT_EQ(BalancedRequestLimit(WorkerConfig{}), 28);
}

// Settings from the environment only, as MASKFLEET_SECTION_KEY=value.
Result<WorkerConfig> LoadFrom(const std::map<std::string, std::string>& env) {
  config::ConfigSource source([&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  return WorkerConfig::Load(source);
}

TEST(WorkerConfigTest, TheReadinessProbeIsFrequentLocallyAndOncePerMinuteElsewhere) {
  Result<WorkerConfig> local = LoadFrom({});
  ASSERT_TRUE(local.has_value()) << local.error().ToString();
  EXPECT_EQ(local->readiness_probe_seconds, 5);
  Result<WorkerConfig> aws = LoadFrom({{"MASKFLEET_DEPLOYMENT_MODE", "aws"}});
  ASSERT_TRUE(aws.has_value()) << aws.error().ToString();
  EXPECT_EQ(aws->readiness_probe_seconds, 60);
  for (const char* at_bound : {"1", "3600"}) {
    Result<WorkerConfig> c = LoadFrom({{"MASKFLEET_WORKER_READINESS_PROBE_SECONDS", at_bound}});
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(c->readiness_probe_seconds, std::stoi(at_bound));
  }
  for (const char* beyond : {"0", "3601"}) {
    Result<WorkerConfig> c = LoadFrom({{"MASKFLEET_WORKER_READINESS_PROBE_SECONDS", beyond}});
    ASSERT_FALSE(c.has_value()) << beyond;
    EXPECT_NE(c.error().message.find("worker.readiness_probe_seconds"), std::string::npos)
        << c.error().message;
  }
}

}  // namespace
}  // namespace maskfleet::worker
