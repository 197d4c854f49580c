#include "maskfleet/worker/worker_config.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace maskfleet::worker
