// The EC2 pool against the moto test bed, as the manager user: what a launch asks for,
// idempotent launches (moto ignores ClientToken: the launch-key tag finds the instance),
// adoption of exactly the pool's instances, the hard cap, the tag checked again before
// terminating, and a worker's life (health from a check the test controls: moto's
// private addresses lead nowhere).
#include "maskfleet/pool/ec2/ec2_worker_pool.h"

#include <gtest/gtest.h>

#include <set>

#include "maskfleet/aws/fake_transport.h"
#include "maskfleet/aws/testing/moto_bed.h"

namespace maskfleet::pool::ec2 {
namespace {

class pool_Ec2WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bed_ = &aws::testing::RequireMotoBed();
    admin_ = bed_->ClientFor("admin");
    Result<std::string> image = bed_->WorkerImage();
    ASSERT_TRUE(image) << image.error().ToString();
    image_ = *image;
  }

  Ec2PoolOptions Options(const std::string& pool) {
    return Ec2PoolOptions{
        .pool_name = pool,
        .image_id = image_,
        .instance_type = "t3.small",
        .user_data = "#!/bin/sh\nexec maskfleet worker --config /etc/maskfleet/worker.toml\n",
        .max_workers = 2,
        .refresh_interval = std::chrono::milliseconds(0),
        .health_check = [this](const std::string& id, const std::string&, std::uint16_t) {
          return healthy_.contains(id);
        }};
  }
  std::unique_ptr<Ec2WorkerPool> Create(const std::string& pool, const std::string& user = "manager") {
    auto made = Ec2WorkerPool::Create(std::shared_ptr<aws::Client>(bed_->ClientFor(user)), Options(pool));
    EXPECT_TRUE(made) << made.error().ToString();
    return made ? std::move(*made) : nullptr;
  }
  // DescribeInstances of one instance, as the admin.
  pugi::xml_node DescribeOne(const std::string& id, aws::XmlAnswer& keep) {
    auto answer = admin_->Query(aws::kEc2, "DescribeInstances", {{"InstanceId.1", id}},
                                aws::Idempotency::kIdempotent);
    EXPECT_TRUE(answer) << answer.error().ToString();
    keep = *answer;
    return keep.root().child("reservationSet").child("item").child("instancesSet").child("item");
  }
  std::string StateOf(const std::string& id) {
    aws::XmlAnswer keep;
    return DescribeOne(id, keep).child("instanceState").child_value("name");
  }
  // An instance launched by the admin, tagged with `pool` when not empty.
  std::string LaunchByHand(const std::string& pool) {
    aws::Parameters params{
        {"ImageId", image_}, {"InstanceType", "t3.small"}, {"MinCount", "1"}, {"MaxCount", "1"}};
    if (!pool.empty()) {
      params.insert(params.end(), {{"TagSpecification.1.ResourceType", "instance"},
                                   {"TagSpecification.1.Tag.1.Key", kPoolTag},
                                   {"TagSpecification.1.Tag.1.Value", pool}});
    }
    auto answer = admin_->Query(aws::kEc2, "RunInstances", params, aws::Idempotency::kNotIdempotent);
    EXPECT_TRUE(answer) << answer.error().ToString();
    return answer ? aws::ChildText(answer->root().child("instancesSet").child("item"), "instanceId") : "";
  }

  aws::testing::MotoBed* bed_ = nullptr;
  std::unique_ptr<aws::Client> admin_;
  std::string image_;
  std::set<std::string> healthy_;
};

TEST_F(pool_Ec2WorkerPoolTest, LaunchAsksForTagsImdsV2MonitoringAndUserData) {
  auto pool = Create("launch");
  ASSERT_TRUE(pool);
  auto w = pool->Launch("key-1");
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_TRUE(w->id.starts_with("i-"));
  EXPECT_EQ(w->state, WorkerState::kStarting);
  EXPECT_EQ(w->port, 8081);
  EXPECT_FALSE(w->address.empty());
  // The pool page's details, in order: type, zone, image.
  ASSERT_EQ(w->labelled_details.size(), 3u);
  EXPECT_EQ(w->labelled_details[0].first, "type");
  EXPECT_FALSE(w->labelled_details[0].second.empty());
  EXPECT_EQ(w->labelled_details[1].first, "zone");
  EXPECT_TRUE(w->labelled_details[1].second.starts_with("us-east-1")) << w->labelled_details[1].second;
  EXPECT_EQ(w->labelled_details[2], (std::pair<std::string, std::string>{"image", image_}));
  aws::XmlAnswer keep;
  pugi::xml_node instance = DescribeOne(w->id, keep);
  std::map<std::string, std::string> tags;
  for (pugi::xml_node tag : instance.child("tagSet").children("item"))
    tags[tag.child_value("key")] = tag.child_value("value");
  EXPECT_EQ(tags[kPoolTag], "launch");
  EXPECT_EQ(tags[kRoleTag], "worker");
  EXPECT_EQ(tags[kLaunchKeyTag], "key-1");
  EXPECT_EQ(tags["Name"], "maskfleet-worker-launch");
  EXPECT_STREQ(instance.child("metadataOptions").child_value("httpTokens"), "required");
  EXPECT_STREQ(instance.child("monitoring").child_value("state"), "enabled");
  auto user_data = admin_->Query(aws::kEc2, "DescribeInstanceAttribute",
                                 {{"InstanceId", w->id}, {"Attribute", "userData"}},
                                 aws::Idempotency::kIdempotent);
  ASSERT_TRUE(user_data) << user_data.error().ToString();
  EXPECT_EQ(aws::ChildText(user_data->root().child("userData"), "value"),
            "IyEvYmluL3NoCmV4ZWMgbWFza2ZsZWV0IHdvcmtlciAtLWNvbmZpZyAvZXRjL21hc2tmbGVldC93b3JrZXIudG9tbAo=");
}

TEST_F(pool_Ec2WorkerPoolTest, LaunchIsIdempotentAcrossARestartAndTheCapHolds) {
  auto pool = Create("idem");
  ASSERT_TRUE(pool);
  auto first = pool->Launch("k1");
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(pool->Launch("k1").value().id, first->id);
  // A new manager (the answer to the first launch was lost, or it restarted): the same
  // key finds the same instance by its tag, with no second RunInstances.
  auto restarted = Create("idem");
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->List().size(), 1u);  // adopted
  EXPECT_EQ(restarted->List()[0].details.at("adopted"), "yes");
  EXPECT_EQ(restarted->List()[0].labelled_details.back(),
            (std::pair<std::string, std::string>{"adopted", "yes"}));
  EXPECT_EQ(restarted->Launch("k1").value().id, first->id);
  ASSERT_TRUE(restarted->Launch("k2"));
  auto third = restarted->Launch("k3");
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(restarted->List().size(), 2u);
  // A known key still answers at the cap.
  EXPECT_EQ(restarted->Launch("k1").value().id, first->id);
}

TEST_F(pool_Ec2WorkerPoolTest, AdoptsOnlyThePoolsInstancesAndNeverTouchesOthers) {
  const std::string ours = LaunchByHand("adopt");
  const std::string other_pool = LaunchByHand("someone-else");
  const std::string untagged = LaunchByHand("");
  auto pool = Create("adopt");
  ASSERT_TRUE(pool);
  std::vector<std::string> ids;
  for (const WorkerInfo& w : pool->List()) ids.push_back(w.id);
  EXPECT_EQ(ids, std::vector<std::string>{ours});
  ASSERT_TRUE(pool->StopAll());
  EXPECT_EQ(StateOf(other_pool), "running");
  EXPECT_EQ(StateOf(untagged), "running");
  EXPECT_NE(StateOf(ours), "running");
  EXPECT_EQ(pool->Stop(other_pool).error().code, ErrorCode::kNotFound);
}

TEST_F(pool_Ec2WorkerPoolTest, TheTagIsCheckedAgainBeforeTerminating) {
  auto pool = Create("retag");
  ASSERT_TRUE(pool);
  auto w = pool->Launch("r1");
  ASSERT_TRUE(w) << w.error().ToString();
  // Someone takes the instance out of the pool behind its back.
  ASSERT_TRUE(admin_->Query(aws::kEc2, "DeleteTags", {{"ResourceId.1", w->id}, {"Tag.1.Key", kPoolTag}},
                            aws::Idempotency::kIdempotent));
  auto stopped = pool->Stop(w->id);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(stopped.error().message.find(w->id), std::string::npos);
  EXPECT_EQ(StateOf(w->id), "running");
}

TEST_F(pool_Ec2WorkerPoolTest, AWorkerLivesStartingInServiceDrainingStoppedAndFailsWhenKilled) {
  auto pool = Create("life");
  ASSERT_TRUE(pool);
  auto w = pool->Launch("life-1");
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_TRUE(pool->Refresh().value().empty());  // running, but not healthy yet
  healthy_.insert(w->id);
  auto changes = pool->Refresh();
  ASSERT_TRUE(changes) << changes.error().ToString();
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].to, WorkerState::kInService);
  ASSERT_TRUE(pool->Drain(w->id));
  EXPECT_EQ(pool->List()[0].state, WorkerState::kDraining);
  changes = pool->Refresh();  // grace 0: terminated now
  ASSERT_TRUE(changes);
  changes = pool->Refresh();  // moto terminates at once
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].to, WorkerState::kStopped);
  EXPECT_EQ(pool->Drain(w->id).error().code, ErrorCode::kFailedPrecondition);

  // Terminated from the console: kFailed, with the reason.
  auto victim = pool->Launch("life-2");
  ASSERT_TRUE(victim);
  ASSERT_TRUE(admin_->Query(aws::kEc2, "TerminateInstances", {{"InstanceId.1", victim->id}},
                            aws::Idempotency::kIdempotent));
  changes = pool->Refresh();
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].to, WorkerState::kFailed);
  EXPECT_NE((*changes)[0].reason.find("outside the pool"), std::string::npos) << (*changes)[0].reason;
}

// Sends every request to moto, but loses the answer of the first call of `action`
// (the service acted; the manager never heard), or answers it 500 before sending it.
class LosingTransport : public aws::HttpTransport {
 public:
  LosingTransport(std::string action, bool act_first) : action_(std::move(action)), act_first_(act_first) {}
  Result<aws::HttpResponse> Send(const aws::HttpRequest& request) override {
    const bool hit = !done_ && request.body.find("Action=" + action_ + "&") != std::string::npos;
    if (hit && !act_first_) {
      done_ = true;
      return aws::HttpResponse{
          500, {}, "<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>"};
    }
    auto answer = real_.Send(request);
    if (hit) {
      done_ = true;
      return MakeError(ErrorCode::kUnavailable, "connection reset after the request was sent");
    }
    return answer;
  }

 private:
  aws::CurlTransport real_;
  const std::string action_;
  const bool act_first_;
  bool done_ = false;
};

TEST_F(pool_Ec2WorkerPoolTest, ALaunchWhoseAnswerIsLostIsNotLaunchedTwice) {
  auto transport = std::make_shared<LosingTransport>("RunInstances", /*act_first=*/true);
  auto pool = Ec2WorkerPool::Create(
      std::shared_ptr<aws::Client>(bed_->ClientFor("manager", "", 4, transport)), Options("lost"));
  ASSERT_TRUE(pool) << pool.error().ToString();
  auto w = (*pool)->Launch("lost-1");  // the answer is lost: found by its tag
  ASSERT_TRUE(w) << w.error().ToString();
  EXPECT_EQ((*pool)->Launch("lost-1").value().id, w->id);
  auto instances = admin_->Query(
      aws::kEc2, "DescribeInstances",
      {{"Filter.1.Name", std::string("tag:") + kPoolTag}, {"Filter.1.Value.1", "lost"}},
      aws::Idempotency::kIdempotent);
  ASSERT_TRUE(instances);
  int launched = 0;
  for (pugi::xml_node r : instances->root().child("reservationSet").children("item")) {
    for ([[maybe_unused]] pugi::xml_node i : r.child("instancesSet").children("item")) ++launched;
  }
  EXPECT_EQ(launched, 1);
}

TEST_F(pool_Ec2WorkerPoolTest, ALaunchAnsweredWith500IsReportedUnavailableAndRetriedByKey) {
  auto transport = std::make_shared<LosingTransport>("RunInstances", /*act_first=*/false);
  auto pool = Ec2WorkerPool::Create(
      std::shared_ptr<aws::Client>(bed_->ClientFor("manager", "", 4, transport)), Options("five-hundred"));
  ASSERT_TRUE(pool) << pool.error().ToString();
  auto first = (*pool)->Launch("f-1");  // not repeated by the client: reported
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE((*pool)->List().empty());
  auto again = (*pool)->Launch("f-1");  // the caller's retry, same key
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ((*pool)->List().size(), 1u);
}

TEST_F(pool_Ec2WorkerPoolTest, TheWorkerUserMayNotLaunch) {
  auto made = Ec2WorkerPool::Create(std::shared_ptr<aws::Client>(bed_->ClientFor("worker")),
                                    Options("denied"));
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(made.error().message.find("DescribeInstances"), std::string::npos) << made.error().message;
}

// Recorded answers: EC2 gives LaunchTime to the second, so two launches in one second
// tie; List() still shows them in launch order (it sorted ties by instance id before).
TEST(pool_Ec2WorkerPoolRecordedTest, LaunchesInTheSameSecondAreListedInLaunchOrder) {
  auto transport = std::make_shared<aws::FakeTransport>();
  const std::string empty = "<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>";
  auto launched = [](const std::string& id) {
    return "<RunInstancesResponse><instancesSet><item><instanceId>" + id +
           "</instanceId><instanceState><name>pending</name></instanceState>"
           "<privateIpAddress>10.0.0.1</privateIpAddress>"
           "<launchTime>2026-12-04T10:00:00.000Z</launchTime></item></instancesSet></RunInstancesResponse>";
  };
  transport->Answer(200, empty);  // adoption
  transport->Answer(200, empty);  // launch key "first" not found
  transport->Answer(200, launched("i-0fffffffffffffff1"));
  transport->Answer(200, empty);  // launch key "second" not found
  transport->Answer(200, launched("i-0000000000000000a"));
  auto client = std::make_shared<aws::Client>(
      aws::ClientOptions{.region = "eu-west-1",
                         .credentials = std::make_shared<aws::StaticCredentialsProvider>(
                             aws::Credentials{.access_key_id = "AKID", .secret_access_key = "S"}),
                         .transport = transport,
                         .env = [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
                         .endpoints = {{"ec2", "http://127.0.0.1:9"}}});
  auto pool = Ec2WorkerPool::Create(client,
                                    {.pool_name = "p", .image_id = "ami-1", .instance_type = "t3.small"});
  ASSERT_TRUE(pool) << pool.error().ToString();
  ASSERT_TRUE((*pool)->Launch("first"));
  ASSERT_TRUE((*pool)->Launch("second"));
  const std::vector<WorkerInfo> listed = (*pool)->List();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].launched_at, listed[1].launched_at);
  EXPECT_EQ(listed[0].id, "i-0fffffffffffffff1");
  EXPECT_EQ(listed[1].id, "i-0000000000000000a");
}

}  // namespace
}  // namespace maskfleet::pool::ec2
