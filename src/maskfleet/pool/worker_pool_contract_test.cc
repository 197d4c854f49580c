// What every WorkerPool must do, run on each implementation: the fake, and the local
// pool with real `maskfleet worker` processes of this build (the model of ../shared)
// in pool_contract_test; the EC2 pool on the moto test bed in pool_ec2_contract_test
// (this file built with MASKFLEET_POOL_CONTRACT_EC2: one moto server for the binary).
// Another implementation joins with one Implementation line at the end: an
// environment that makes its pool and can kill a worker behind the pool's back.
//
// Bounded for the local pool: only the lifecycle test waits for a worker to boot (one
// worker); the others act on starting workers, which need no model loaded.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "maskfleet/pool/fake/fake_worker_pool.h"
#include "maskfleet/pool/worker_pool.h"
#ifdef MASKFLEET_POOL_CONTRACT_EC2
#include "maskfleet/aws/testing/moto_bed.h"
#include "maskfleet/pool/ec2/ec2_worker_pool.h"
#else
#include "maskfleet/pool/local/local_worker_pool.h"
#include "maskfleet/pool/local/test_support.h"
#include "maskfleet/testing/shared_data.h"
#endif

namespace maskfleet::pool {
namespace {

using namespace std::chrono_literals;

// A pool of at most 2 live workers, and what the tests need beyond the interface.
class Environment {
 public:
  virtual ~Environment() = default;
  virtual WorkerPool& pool() = 0;
  // The longest a worker may take from launch to kInService here.
  virtual std::chrono::milliseconds boot_timeout() const = 0;
  // Ends the worker behind the pool's back (a crash, kill -9, an instance terminated
  // from the console).
  virtual void Kill(const WorkerInfo& worker) = 0;
  // Whether Stop() and StopAll() leave workers kStopped when they return; false for a
  // pool whose workers take longer to go (EC2: kDraining until a later Refresh() sees
  // the instance gone, as worker_pool.h allows).
  virtual bool StopsAtOnce() const { return true; }
};

class FakeEnvironment : public Environment {
 public:
  WorkerPool& pool() override { return pool_; }
  std::chrono::milliseconds boot_timeout() const override { return 1s; }
  void Kill(const WorkerInfo& worker) override { ASSERT_TRUE(pool_.Kill(worker.id)); }

 private:
  fake::FakeWorkerPool pool_{{.max_workers = 2}};
};

#ifndef MASKFLEET_POOL_CONTRACT_EC2
class LocalEnvironment : public Environment {
 public:
  LocalEnvironment() {
    local::LocalPoolOptions o;
    o.binary = MASKFLEET_BINARY;
    o.data_dir = dir_.path() / "data";
    o.state_dir = dir_.path() / "state";
    o.environment = {{"MASKFLEET_MODEL_DIR", maskfleet::testing::ModelDir().string()},
                     {"MASKFLEET_AUTH_PASSWORD_HASHING", "minimum"}};
    o.max_workers = 2;
    o.start_timeout = 120s;
    o.drain_grace = 200ms;
    o.stop_timeout = 10s;
    auto pool = local::LocalWorkerPool::Create(std::move(o));
    EXPECT_TRUE(pool) << pool.error().ToString();
    if (pool) pool_ = std::move(*pool);
  }
  ~LocalEnvironment() override {
    if (pool_) {
      EXPECT_TRUE(pool_->StopAll());
    }
    pool_.reset();
    EXPECT_TRUE(
        local::testing::WaitUntilTrue([] { return local::testing::ChildrenOf(::getpid()).empty(); }, 5s));
  }
  WorkerPool& pool() override { return *pool_; }
  // Booting loads the model on a quarter of a core, beside other builds.
  std::chrono::milliseconds boot_timeout() const override { return 120s; }
  void Kill(const WorkerInfo& worker) override {
    ASSERT_EQ(::kill(std::stoi(worker.details.at("pid")), SIGKILL), 0);
  }

 private:
  local::testing::TempDir dir_;
  std::unique_ptr<local::LocalWorkerPool> pool_;
};
#else
// A pool of its own name on the moto test bed, driven as the manager user. moto runs an
// instance at once and terminates it at once; a worker's health is the environment's
// (moto's private addresses lead nowhere): every running instance answers. Killing is
// a TerminateInstances by the bed's admin, as from the console.
class Ec2Environment : public Environment {
 public:
  Ec2Environment() : bed_(aws::testing::RequireMotoBed()) {
    static int environments = 0;
    Result<std::string> image = bed_.WorkerImage();
    EXPECT_TRUE(image) << image.error().ToString();
    auto pool = ec2::Ec2WorkerPool::Create(
        std::shared_ptr<aws::Client>(bed_.ClientFor("manager")),
        {.pool_name = "contract-" + std::to_string(++environments),
         .image_id = image.value_or(""),
         .instance_type = "t3.small",
         .max_workers = 2,
         .refresh_interval = 0ms,
         .health_check = [](const std::string&, const std::string&, std::uint16_t) { return true; }});
    EXPECT_TRUE(pool) << pool.error().ToString();
    if (pool) pool_ = std::move(*pool);
  }
  ~Ec2Environment() override {
    if (pool_) {
      EXPECT_TRUE(pool_->StopAll());
    }
  }
  WorkerPool& pool() override { return *pool_; }
  std::chrono::milliseconds boot_timeout() const override { return 10s; }
  void Kill(const WorkerInfo& worker) override {
    auto killed = bed_.ClientFor("admin")->Query(
        aws::kEc2, "TerminateInstances", {{"InstanceId.1", worker.id}}, aws::Idempotency::kIdempotent);
    ASSERT_TRUE(killed) << killed.error().ToString();
  }
  bool StopsAtOnce() const override { return false; }

 private:
  aws::testing::MotoBed& bed_;
  std::unique_ptr<ec2::Ec2WorkerPool> pool_;
};
#endif

struct Implementation {
  std::string name;
  std::function<std::unique_ptr<Environment>()> make;
};

void PrintTo(const Implementation& implementation, std::ostream* os) { *os << implementation.name; }

class PoolContractTest : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    env_ = GetParam().make();
    ASSERT_NE(env_, nullptr);
  }
  void TearDown() override { env_.reset(); }
  WorkerPool& pool() { return env_->pool(); }

  std::optional<WorkerInfo> Find(const std::string& id) {
    for (WorkerInfo& w : pool().List()) {
      if (w.id == id) return w;
    }
    return std::nullopt;
  }
  // Refreshes at the pool's pace until worker `id` is in `state`, at most `timeout`;
  // every change reported meanwhile is added to `changes`.
  bool RefreshUntil(const std::string& id, WorkerState state, std::chrono::milliseconds timeout,
                    std::vector<WorkerChange>& changes) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const auto pace = std::max<std::chrono::milliseconds>(pool().RefreshInterval(), 50ms);
    while (true) {
      Result<std::vector<WorkerChange>> made = pool().Refresh();
      EXPECT_TRUE(made) << made.error().ToString();
      if (made) changes.insert(changes.end(), made->begin(), made->end());
      const std::optional<WorkerInfo> w = Find(id);
      if (w && w->state == state) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(pace);
    }
  }

  std::unique_ptr<Environment> env_;
};

TEST_P(PoolContractTest, LaunchIsIdempotentByKey) {
  Result<WorkerInfo> first = pool().Launch("contract-a");
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->state, WorkerState::kStarting);
  EXPECT_FALSE(first->id.empty());
  EXPECT_FALSE(first->address.empty());

  // The same key again (a retry after a lost answer): the same worker, nothing new.
  Result<WorkerInfo> again = pool().Launch("contract-a");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->id, first->id);
  ASSERT_EQ(pool().List().size(), 1u);

  // Another key: another worker, with another id.
  Result<WorkerInfo> second = pool().Launch("contract-b");
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_NE(second->id, first->id);
  const std::vector<WorkerInfo> listed = pool().List();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, first->id);  // ordered by launch
  EXPECT_EQ(listed[1].id, second->id);
}

TEST_P(PoolContractTest, LaunchRefusesBadKeysAndAddsNothing) {
  const std::string longest(kMaxIdempotencyKeyLength, 'k');
  for (const std::string& key :
       {std::string(), longest + "k", std::string("a b"), std::string("a/b"), std::string("\xc3\xa9")}) {
    Result<WorkerInfo> launched = pool().Launch(key);
    ASSERT_FALSE(launched) << "key \"" << key << "\" was accepted";
    EXPECT_EQ(launched.error().code, ErrorCode::kInvalidArgument) << key;
  }
  EXPECT_TRUE(pool().List().empty());
  // The longest key and every allowed character are accepted.
  EXPECT_TRUE(pool().Launch(longest));
  EXPECT_TRUE(pool().Launch("Az09._:-"));
}

TEST_P(PoolContractTest, TheMaximumOfLiveWorkersIsKeptAndAKnownKeyStillAnswers) {
  ASSERT_TRUE(pool().Launch("k1"));
  ASSERT_TRUE(pool().Launch("k2"));
  Result<WorkerInfo> third = pool().Launch("k3");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(pool().List().size(), 2u);
  // A retry of a launch that did happen is no new launch: it answers at the maximum.
  EXPECT_TRUE(pool().Launch("k2"));
  // One stopped makes room for one more.
  ASSERT_TRUE(pool().Stop(pool().List().front().id));
  EXPECT_TRUE(pool().Launch("k3"));
}

TEST_P(PoolContractTest, AWorkerLivesStartingInServiceDrainingStopped) {
  Result<WorkerInfo> w = pool().Launch("life");
  ASSERT_TRUE(w) << w.error().ToString();
  std::vector<WorkerChange> changes;
  ASSERT_TRUE(RefreshUntil(w->id, WorkerState::kInService, env_->boot_timeout(), changes));
  ASSERT_EQ(changes.size(), 1u);  // reported once
  EXPECT_EQ(changes[0].id, w->id);
  EXPECT_EQ(changes[0].from, WorkerState::kStarting);
  EXPECT_EQ(changes[0].to, WorkerState::kInService);
  const WorkerInfo serving = *Find(w->id);
  EXPECT_NE(serving.port, 0);
  EXPECT_GE(serving.state_since, serving.launched_at);

  ASSERT_TRUE(pool().Drain(w->id));
  EXPECT_EQ(Find(w->id)->state, WorkerState::kDraining);
  EXPECT_TRUE(pool().Drain(w->id));  // draining again changes nothing
  changes.clear();
  ASSERT_TRUE(RefreshUntil(w->id, WorkerState::kStopped, 30s, changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].from, WorkerState::kDraining);
  EXPECT_EQ(changes[0].to, WorkerState::kStopped);
  // Final: no way back.
  EXPECT_EQ(pool().Drain(w->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(pool().Stop(w->id));  // stopping a stopped worker succeeds
  Result<std::vector<WorkerChange>> quiet = pool().Refresh();
  ASSERT_TRUE(quiet);
  EXPECT_TRUE(quiet->empty());
}

TEST_P(PoolContractTest, AWorkerThatDiesBehindThePoolsBackIsFailed) {
  Result<WorkerInfo> w = pool().Launch("victim");
  ASSERT_TRUE(w) << w.error().ToString();
  env_->Kill(*w);
  std::vector<WorkerChange> changes;
  ASSERT_TRUE(RefreshUntil(w->id, WorkerState::kFailed, 10s, changes));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, WorkerState::kFailed);
  EXPECT_FALSE(changes[0].reason.empty());
  EXPECT_FALSE(Find(w->id)->reason.empty());
  EXPECT_EQ(pool().Stop(w->id).error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(pool().Drain(w->id).error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(PoolContractTest, StopAndStopAllEndEveryLiveWorker) {
  Result<WorkerInfo> a = pool().Launch("a");
  Result<WorkerInfo> b = pool().Launch("b");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(pool().Stop(a->id));
  std::vector<WorkerChange> changes;
  if (env_->StopsAtOnce()) {
    EXPECT_EQ(Find(a->id)->state, WorkerState::kStopped);
  } else {
    EXPECT_EQ(Find(a->id)->state, WorkerState::kDraining);
    EXPECT_TRUE(RefreshUntil(a->id, WorkerState::kStopped, 10s, changes));
  }
  ASSERT_TRUE(pool().StopAll());
  if (!env_->StopsAtOnce()) {
    EXPECT_EQ(Find(b->id)->state, WorkerState::kDraining);
    EXPECT_TRUE(RefreshUntil(b->id, WorkerState::kStopped, 10s, changes));
    // Each stop reported once, from draining (b may also have come into service).
    std::erase_if(changes, [](const WorkerChange& c) { return c.to != WorkerState::kStopped; });
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].id, a->id);
    EXPECT_EQ(changes[1].id, b->id);
    for (const WorkerChange& c : changes) EXPECT_EQ(c.from, WorkerState::kDraining);
  }
  for (const WorkerInfo& w : pool().List()) EXPECT_EQ(w.state, WorkerState::kStopped) << w.id;
  EXPECT_TRUE(pool().StopAll());  // nothing left: still a success
}

TEST_P(PoolContractTest, UnknownIdsAreNotFound) {
  EXPECT_EQ(pool().Drain("no-such-worker").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(pool().Stop("no-such-worker").error().code, ErrorCode::kNotFound);
}

TEST_P(PoolContractTest, TheRefreshIntervalIsAConstantOfThePool) {
  const std::chrono::milliseconds interval = pool().RefreshInterval();
  EXPECT_GE(interval, 0ms);
  EXPECT_LE(interval, 5min);
  ASSERT_TRUE(pool().Launch("k"));
  ASSERT_TRUE(pool().Refresh());
  EXPECT_EQ(pool().RefreshInterval(), interval);
}

#ifdef MASKFLEET_POOL_CONTRACT_EC2
INSTANTIATE_TEST_SUITE_P(
    pool, PoolContractTest,
    ::testing::Values(Implementation{"ec2", [] { return std::make_unique<Ec2Environment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });
#else
INSTANTIATE_TEST_SUITE_P(
    pool, PoolContractTest,
    ::testing::Values(Implementation{"fake", [] { return std::make_unique<FakeEnvironment>(); }},
                      Implementation{"local", [] { return std::make_unique<LocalEnvironment>(); }}),
    [](const ::testing::TestParamInfo<Implementation>& param) { return param.param.name; });
#endif

}  // namespace
}  // namespace maskfleet::pool
