// Faults on the wire, through the fault proxy (tests/aws/fault_proxy.py) in front of
// the moto test bed: throttling and 5xx answers are retried by the client and then
// reported with AWS's code and the request id, as kUnavailable with a retry hint; a
// RunInstances whose answer is lost after moto acted is not sent again and launches
// nothing twice (the ClientToken is sent, and since moto ignores it, the launch-key tag
// finds the instance).
#include <gtest/gtest.h>

#include "maskfleet/aws/testing/fault_proxy.h"
#include "maskfleet/aws/testing/moto_bed.h"
#include "maskfleet/pool/ec2/ec2_worker_pool.h"

namespace maskfleet::pool::ec2 {
namespace {

using namespace std::chrono_literals;

class pool_Ec2FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bed_ = &aws::testing::RequireMotoBed();
    static std::unique_ptr<aws::testing::FaultProxy> shared;  // one proxy for the binary
    if (!shared) {
      auto started = aws::testing::FaultProxy::Start(bed_->endpoint());
      ASSERT_TRUE(started) << started.error().ToString();
      shared = std::move(*started);
    }
    proxy_ = shared.get();
    ASSERT_TRUE(proxy_->Reset());
    Result<std::string> image = bed_->WorkerImage();
    ASSERT_TRUE(image) << image.error().ToString();
    image_ = *image;
  }

  // A client through the proxy, as `user`, with at most `attempts` attempts a call.
  std::shared_ptr<aws::Client> Client(const std::string& user, int attempts) {
    aws::ClientOptions options = proxy_->Route(bed_->OptionsFor(user));
    options.retry.max_attempts = attempts;
    return std::make_shared<aws::Client>(std::move(options));
  }
  std::unique_ptr<Ec2WorkerPool> Pool(const std::string& name, std::shared_ptr<aws::Client> client) {
    auto pool = Ec2WorkerPool::Create(std::move(client), {.pool_name = name,
                                                          .image_id = image_,
                                                          .instance_type = "t3.small",
                                                          .max_workers = 2,
                                                          .refresh_interval = 0ms,
                                                          .health_check = [](auto&&...) { return true; }});
    EXPECT_TRUE(pool) << pool.error().ToString();
    return pool ? std::move(*pool) : nullptr;
  }
  // Instances tagged with `pool`, as moto has them (straight, as the admin).
  int InstancesOf(const std::string& pool) {
    auto answer = bed_->ClientFor("admin")->Query(
        aws::kEc2, "DescribeInstances",
        {{"Filter.1.Name", std::string("tag:") + kPoolTag}, {"Filter.1.Value.1", pool}},
        aws::Idempotency::kIdempotent);
    EXPECT_TRUE(answer) << answer.error().ToString();
    int n = 0;
    for (pugi::xml_node r : answer->root().child("reservationSet").children("item")) {
      for ([[maybe_unused]] pugi::xml_node i : r.child("instancesSet").children("item")) ++n;
    }
    return n;
  }
  std::vector<aws::testing::ProxiedRequest> Seen(const std::string& operation) {
    auto log = proxy_->Log(operation);
    EXPECT_TRUE(log) << log.error().ToString();
    return log.value_or(std::vector<aws::testing::ProxiedRequest>{});
  }

  aws::testing::MotoBed* bed_ = nullptr;
  aws::testing::FaultProxy* proxy_ = nullptr;
  std::string image_;
};

TEST_F(pool_Ec2FaultsTest, ThrottlingIsRetriedAndTheCallSucceeds) {
  ASSERT_TRUE(proxy_->AddFault("ec2:DescribeInstances=throttle:2"));
  auto pool = Pool("throttled-once", Client("manager", 3));  // adoption: DescribeInstances
  ASSERT_TRUE(pool);
  const auto seen = Seen("DescribeInstances");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].fault, "throttle");
  EXPECT_EQ(seen[0].status, 400);
  EXPECT_EQ(seen[1].fault, "throttle");
  EXPECT_EQ(seen[2].fault, "");
  EXPECT_EQ(seen[2].status, 200);
}

TEST_F(pool_Ec2FaultsTest, ThrottlingBeyondTheAttemptsIsReportedWithCodeRequestIdAndRetryHint) {
  auto pool = Pool("throttled", Client("manager", 3));
  ASSERT_TRUE(pool);
  ASSERT_TRUE(proxy_->Reset());
  ASSERT_TRUE(proxy_->AddFault("ec2:DescribeInstances=throttle:*"));
  auto refreshed = pool->Refresh();
  ASSERT_FALSE(refreshed);
  EXPECT_EQ(refreshed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refreshed.error().retry_after, std::chrono::milliseconds(2000));
  const auto seen = Seen("DescribeInstances");
  ASSERT_EQ(seen.size(), 3u);  // the client's three attempts, no more
  const std::string& message = refreshed.error().message;
  EXPECT_NE(message.find("RequestLimitExceeded"), std::string::npos) << message;
  EXPECT_NE(message.find("request id " + seen.back().request_id), std::string::npos) << message;
  EXPECT_NE(message.find("after 3 attempts"), std::string::npos) << message;
}

TEST_F(pool_Ec2FaultsTest, ServerErrorsAreRetriedThenReported) {
  auto pool = Pool("five-hundreds", Client("manager", 3));
  ASSERT_TRUE(pool);
  // Two 500s, then moto answers: the refresh succeeds on the third attempt.
  ASSERT_TRUE(proxy_->Reset());
  ASSERT_TRUE(proxy_->AddFault("DescribeInstances=500:2"));
  EXPECT_TRUE(pool->Refresh());
  EXPECT_EQ(Seen("DescribeInstances").size(), 3u);
  // 500s and 503 SlowDown all along: reported, with the last code and request id.
  ASSERT_TRUE(proxy_->Reset());
  ASSERT_TRUE(proxy_->AddFault("DescribeInstances=500:2"));
  ASSERT_TRUE(proxy_->AddFault("DescribeInstances=slowdown:1"));
  auto refreshed = pool->Refresh();
  ASSERT_FALSE(refreshed);
  EXPECT_EQ(refreshed.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refreshed.error().retry_after, std::chrono::milliseconds(2000));  // SlowDown is throttling
  const auto seen = Seen("DescribeInstances");
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].status, 503);
  EXPECT_NE(refreshed.error().message.find("SlowDown"), std::string::npos) << refreshed.error().message;
  EXPECT_NE(refreshed.error().message.find("request id " + seen[2].request_id), std::string::npos)
      << refreshed.error().message;

  // A 500 alone (the client allowed one attempt): InternalError, retry in 1 s.
  auto once = Pool("five-hundreds", Client("manager", 1));
  ASSERT_TRUE(once);
  ASSERT_TRUE(proxy_->Reset());
  ASSERT_TRUE(proxy_->AddFault("DescribeInstances=500:1"));
  auto failed = once->Refresh();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().retry_after, std::chrono::milliseconds(1000));
  EXPECT_NE(failed.error().message.find("InternalError"), std::string::npos) << failed.error().message;
}

TEST_F(pool_Ec2FaultsTest, ARunInstancesWhoseAnswerIsLostIsNotLaunchedTwice) {
  auto pool = Pool("lost-answer", Client("manager", 4));
  ASSERT_TRUE(pool);
  ASSERT_TRUE(proxy_->AddFault("RunInstances=drop:1"));
  auto launched = pool->Launch("lost-key-1");  // moto launched; the answer never came
  ASSERT_TRUE(launched) << launched.error().ToString();
  EXPECT_EQ(pool->Launch("lost-key-1").value().id, launched->id);  // the caller's retry
  const auto runs = Seen("RunInstances");
  ASSERT_EQ(runs.size(), 1u);  // not repeated by the client
  EXPECT_EQ(runs[0].fault, "drop");
  EXPECT_EQ(runs[0].client_token, "lost-key-1");
  EXPECT_EQ(InstancesOf("lost-answer"), 1);
  // A new manager with the same key finds it too (by its tag; moto ignores ClientToken).
  auto restarted = Pool("lost-answer", Client("manager", 4));
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->Launch("lost-key-1").value().id, launched->id);
  EXPECT_EQ(Seen("RunInstances").size(), 1u);
  EXPECT_EQ(InstancesOf("lost-answer"), 1);
}

TEST_F(pool_Ec2FaultsTest, ARunInstancesAnswered500IsReportedAndLaunchesOnceOnRetry) {
  auto pool = Pool("launch-500", Client("manager", 4));
  ASSERT_TRUE(pool);
  ASSERT_TRUE(proxy_->AddFault("RunInstances=500:1"));
  auto first = pool->Launch("k-500");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(first.error().retry_after);
  EXPECT_EQ(Seen("RunInstances").size(), 1u);  // a 5xx may hide an action: not repeated
  EXPECT_EQ(InstancesOf("launch-500"), 0);
  auto again = pool->Launch("k-500");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(Seen("RunInstances").size(), 2u);
  EXPECT_EQ(InstancesOf("launch-500"), 1);
}

TEST_F(pool_Ec2FaultsTest, AThrottledRunInstancesIsRetriedByTheClient) {
  auto pool = Pool("launch-throttled", Client("manager", 4));
  ASSERT_TRUE(pool);
  ASSERT_TRUE(proxy_->AddFault("RunInstances=throttle:1"));
  auto launched = pool->Launch("k-throttled");  // throttled calls were not acted on
  ASSERT_TRUE(launched) << launched.error().ToString();
  const auto runs = Seen("RunInstances");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].fault, "throttle");
  EXPECT_EQ(runs[1].client_token, "k-throttled");
  EXPECT_EQ(InstancesOf("launch-throttled"), 1);
}

}  // namespace
}  // namespace maskfleet::pool::ec2
