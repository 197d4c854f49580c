#include "maskfleet/pool/ec2/ec2_worker_pool.h"

#include <openssl/evp.h>

#include <algorithm>

#include "maskfleet/aws/credentials.h"
#include "maskfleet/aws/http.h"

namespace maskfleet::pool::ec2 {

using aws::Idempotency;

struct Ec2WorkerPool::Instance {
  std::string id;
  std::string state;  // pending, running, shutting-down, terminated, stopping, stopped
  std::string private_ip;
  std::string image_id, instance_type, availability_zone;
  Clock::TimePoint launch_time;
  std::map<std::string, std::string> tags;
};

namespace {

std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(data.data()),
                                  static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool Ended(const std::string& state) {
  return state == "shutting-down" || state == "terminated" || state == "stopping" || state == "stopped";
}

bool DefaultHealthCheck(const std::string&, const std::string& address, std::uint16_t port) {
  static aws::CurlTransport transport;
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  auto answer = transport.Send({.method = "GET",
                                .url = "http://" + host + ":" + std::to_string(port) + "/healthz",
                                .timeout = std::chrono::milliseconds(2000),
                                .connect_timeout = std::chrono::milliseconds(1000)});
  return answer && answer->status == 200;
}

}  // namespace

Ec2WorkerPool::Ec2WorkerPool(std::shared_ptr<aws::Client> client, Ec2PoolOptions options, const Clock& clock)
    : client_(std::move(client)), options_(std::move(options)), clock_(clock) {}

Result<std::unique_ptr<Ec2WorkerPool>> Ec2WorkerPool::Create(std::shared_ptr<aws::Client> client,
                                                             Ec2PoolOptions options, const Clock& clock) {
  if (options.pool_name.empty()) return MakeError(ErrorCode::kInvalidArgument, "ec2 pool: no pool name");
  if (options.launch_template_id.empty() && (options.image_id.empty() || options.instance_type.empty())) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "ec2 pool: a launch template, or an AMI and an instance type, is required");
  }
  if (options.user_data.size() > 16 * 1024) {
    return MakeError(ErrorCode::kInvalidArgument, "ec2 pool: user data over 16 KB");
  }
  if (options.max_workers < 1) return MakeError(ErrorCode::kInvalidArgument, "ec2 pool: max_workers < 1");
  if (!options.health_check) options.health_check = DefaultHealthCheck;
  std::unique_ptr<Ec2WorkerPool> pool(new Ec2WorkerPool(std::move(client), std::move(options), clock));
  auto instances = pool->Describe({{"Filter.2.Name", "instance-state-name"},
                                   {"Filter.2.Value.1", "pending"},
                                   {"Filter.2.Value.2", "running"}});
  if (!instances) return std::unexpected(instances.error().WithContext("ec2 pool: adopting"));
  std::lock_guard lock(pool->mu_);
  for (const Instance& instance : *instances) pool->Track(instance, /*adopted=*/true);
  pool->Publish();
  return pool;
}

Result<std::vector<Ec2WorkerPool::Instance>> Ec2WorkerPool::Describe(const aws::Parameters& filters) {
  aws::Parameters params{{"Filter.1.Name", std::string("tag:") + kPoolTag},
                         {"Filter.1.Value.1", options_.pool_name}};
  params.insert(params.end(), filters.begin(), filters.end());
  std::vector<Instance> instances;
  std::string next_token;
  do {
    aws::Parameters page = params;
    if (!next_token.empty()) page.emplace_back("NextToken", next_token);
    auto answer = client_->Query(aws::kEc2, "DescribeInstances", page, Idempotency::kIdempotent);
    if (!answer) return std::unexpected(aws::ToError(answer.error()));
    for (pugi::xml_node reservation : answer->root().child("reservationSet").children("item")) {
      for (pugi::xml_node item : reservation.child("instancesSet").children("item")) {
        Instance instance{.id = item.child_value("instanceId"),
                          .state = item.child("instanceState").child_value("name"),
                          .private_ip = item.child_value("privateIpAddress"),
                          .image_id = item.child_value("imageId"),
                          .instance_type = item.child_value("instanceType"),
                          .availability_zone = item.child("placement").child_value("availabilityZone")};
        if (auto at = aws::ParseIso8601(item.child_value("launchTime"))) instance.launch_time = *at;
        for (pugi::xml_node tag : item.child("tagSet").children("item")) {
          instance.tags[tag.child_value("key")] = tag.child_value("value");
        }
        // The filter asked for the pool's tag; checked again, never assumed.
        auto pool_tag = instance.tags.find(kPoolTag);
        if (pool_tag != instance.tags.end() && pool_tag->second == options_.pool_name) {
          instances.push_back(std::move(instance));
        }
      }
    }
    next_token = answer->root().child_value("nextToken");
  } while (!next_token.empty());
  return instances;
}

void Ec2WorkerPool::Track(const Instance& instance, bool adopted) {
  if (workers_.contains(instance.id)) return;
  Tracked tracked;
  tracked.info.id = instance.id;
  tracked.info.address = instance.private_ip;
  tracked.info.port = options_.worker_port;
  tracked.info.state = WorkerState::kStarting;
  tracked.info.launched_at = instance.launch_time == Clock::TimePoint() ? clock_.Now() : instance.launch_time;
  tracked.info.state_since = clock_.Now();
  tracked.info.details = {{"instance_type", instance.instance_type},
                          {"image_id", instance.image_id},
                          {"availability_zone", instance.availability_zone}};
  tracked.info.labelled_details = {
      {"type", instance.instance_type}, {"zone", instance.availability_zone}, {"image", instance.image_id}};
  if (adopted) {
    tracked.info.details["adopted"] = "yes";
    tracked.info.labelled_details.emplace_back("adopted", "yes");
  }
  if (Ended(instance.state)) {  // found by its launch key after it ended
    tracked.info.state = WorkerState::kStopped;
    tracked.info.reason = "instance " + instance.state;
  }
  if (auto key = instance.tags.find(kLaunchKeyTag); key != instance.tags.end())
    tracked.launch_key = key->second;
  tracked.order = next_order_++;
  workers_.emplace(instance.id, std::move(tracked));
}

int Ec2WorkerPool::LiveCount() const {
  return static_cast<int>(std::count_if(workers_.begin(), workers_.end(), [](const auto& w) {
    return !IsFinal(w.second.info.state) && !w.second.terminate_sent;
  }));
}

void Ec2WorkerPool::Publish() {
  std::vector<const Tracked*> ordered;
  for (const auto& [id, w] : workers_) ordered.push_back(&w);
  std::sort(ordered.begin(), ordered.end(), [](const Tracked* a, const Tracked* b) {
    return a->info.launched_at != b->info.launched_at ? a->info.launched_at < b->info.launched_at
                                                      : a->order < b->order;
  });
  std::vector<WorkerInfo> list;
  for (const Tracked* w : ordered) list.push_back(w->info);
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(list);
}

std::vector<WorkerInfo> Ec2WorkerPool::List() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

void Ec2WorkerPool::SetState(Tracked& worker, WorkerState state, std::string reason,
                             std::vector<WorkerChange>* changes) {
  if (worker.info.state == state) return;
  if (changes) changes->push_back({worker.info.id, worker.info.state, state, reason});
  worker.info.state = state;
  worker.info.state_since = clock_.Now();
  worker.info.reason = std::move(reason);
}

Result<WorkerInfo> Ec2WorkerPool::Launch(std::string_view idempotency_key) {
  if (Status st = ValidateIdempotencyKey(idempotency_key); !st) return std::unexpected(st.error());
  const std::string key(idempotency_key);
  std::lock_guard lock(mu_);
  for (const auto& [id, w] : workers_) {
    if (w.launch_key == key) return w.info;
  }
  // A launch whose answer was lost, or made before a restart: find it by its tag.
  auto earlier = Describe(
      {{"Filter.2.Name", std::string("tag:") + kLaunchKeyTag}, {"Filter.2.Value.1", key}});
  if (!earlier) return std::unexpected(earlier.error().WithContext("ec2 pool: launch " + key));
  if (!earlier->empty()) {
    Track(earlier->front(), /*adopted=*/false);
    Publish();
    return workers_.at(earlier->front().id).info;
  }
  if (LiveCount() >= options_.max_workers) {
    return MakeError(ErrorCode::kResourceExhausted,
                     "ec2 pool: " + std::to_string(options_.max_workers) + " live workers, the maximum");
  }
  aws::Parameters params{{"MinCount", "1"}, {"MaxCount", "1"}, {"ClientToken", key}};
  if (!options_.launch_template_id.empty()) {
    params.emplace_back("LaunchTemplate.LaunchTemplateId", options_.launch_template_id);
  }
  if (!options_.image_id.empty()) params.emplace_back("ImageId", options_.image_id);
  if (!options_.instance_type.empty()) params.emplace_back("InstanceType", options_.instance_type);
  if (!options_.subnet_ids.empty()) {
    params.emplace_back("SubnetId", options_.subnet_ids[next_subnet_++ % options_.subnet_ids.size()]);
  }
  for (std::size_t i = 0; i < options_.security_group_ids.size(); ++i) {
    params.emplace_back("SecurityGroupId." + std::to_string(i + 1), options_.security_group_ids[i]);
  }
  if (!options_.instance_profile.empty()) {
    params.emplace_back(
        options_.instance_profile.starts_with("arn:") ? "IamInstanceProfile.Arn" : "IamInstanceProfile.Name",
        options_.instance_profile);
  }
  if (!options_.user_data.empty()) params.emplace_back("UserData", Base64(options_.user_data));
  params.emplace_back("MetadataOptions.HttpTokens", "required");
  params.emplace_back("MetadataOptions.HttpPutResponseHopLimit", "1");
  params.emplace_back("MetadataOptions.HttpEndpoint", "enabled");
  params.emplace_back("Monitoring.Enabled", "true");
  params.emplace_back("TagSpecification.1.ResourceType", "instance");
  const std::vector<std::pair<std::string, std::string>> tags{
      {kPoolTag, options_.pool_name},
      {kRoleTag, "worker"},
      {kLaunchKeyTag, key},
      {"Name", "maskfleet-worker-" + options_.pool_name}};
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const std::string t = "TagSpecification.1.Tag." + std::to_string(i + 1) + ".";
    params.emplace_back(t + "Key", tags[i].first);
    params.emplace_back(t + "Value", tags[i].second);
  }
  // Not repeated by the client after a lost answer or a 5xx (throttling only): EC2
  // would honour the ClientToken, but not every emulator does; the launch-key tag is
  // looked up instead, here and by a later Launch() with the same key.
  auto answer = client_->Query(aws::kEc2, "RunInstances", params, Idempotency::kNotIdempotent);
  if (!answer) {
    Error error = aws::ToError(answer.error()).WithContext("ec2 pool: launch " + key);
    if (answer.error().IsRetryable()) {
      auto found = Describe(
          {{"Filter.2.Name", std::string("tag:") + kLaunchKeyTag}, {"Filter.2.Value.1", key}});
      if (found && !found->empty()) {
        Track(found->front(), /*adopted=*/false);
        Publish();
        return workers_.at(found->front().id).info;
      }
      error.code = ErrorCode::kUnavailable;  // retry with the same key
      if (!error.retry_after) error.retry_after = aws::RetryAfter(answer.error());
    }
    return std::unexpected(error);
  }
  const pugi::xml_node item = answer->root().child("instancesSet").child("item");
  Instance launched{.id = item.child_value("instanceId"),
                    .state = item.child("instanceState").child_value("name"),
                    .private_ip = item.child_value("privateIpAddress"),
                    .image_id = item.child_value("imageId"),
                    .instance_type = item.child_value("instanceType"),
                    .availability_zone = item.child("placement").child_value("availabilityZone"),
                    .tags = {tags.begin(), tags.end()}};
  if (auto at = aws::ParseIso8601(item.child_value("launchTime"))) launched.launch_time = *at;
  if (launched.id.empty()) return MakeError(ErrorCode::kInternal, "ec2 pool: RunInstances named no instance");
  Track(launched, /*adopted=*/false);
  Publish();
  return workers_.at(launched.id).info;
}

Status Ec2WorkerPool::Drain(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = workers_.find(std::string(id));
  if (it == workers_.end()) return MakeError(ErrorCode::kNotFound, "ec2 pool: no worker " + std::string(id));
  Tracked& w = it->second;
  if (IsFinal(w.info.state)) {
    return MakeError(ErrorCode::kFailedPrecondition, "ec2 pool: worker " + w.info.id + " has ended");
  }
  if (w.info.state == WorkerState::kDraining) return {};
  w.drained_at = clock_.Now();
  SetState(w, WorkerState::kDraining, "", nullptr);
  Publish();
  return {};
}

Status Ec2WorkerPool::TerminateChecked(const std::vector<std::string>& ids) {
  if (ids.empty()) return {};
  // The pool's tag, read again now: an instance that lost it is not ours any more.
  aws::Parameters by_id;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    by_id.emplace_back("InstanceId." + std::to_string(i + 1), ids[i]);
  }
  auto still_ours = Describe(by_id);
  if (!still_ours) return std::unexpected(still_ours.error().WithContext("ec2 pool: before terminating"));
  aws::Parameters terminate;
  std::vector<std::string> not_ours = ids;
  for (const Instance& instance : *still_ours) {
    std::erase(not_ours, instance.id);
    terminate.emplace_back("InstanceId." + std::to_string(terminate.size() + 1), instance.id);
  }
  if (!terminate.empty()) {
    auto answer = client_->Query(aws::kEc2, "TerminateInstances", terminate, Idempotency::kIdempotent);
    if (!answer) return std::unexpected(aws::ToError(answer.error()).WithContext("ec2 pool: terminate"));
  }
  if (!not_ours.empty()) {
    std::string names;
    for (const auto& id : not_ours) names += (names.empty() ? "" : ", ") + id;
    return MakeError(ErrorCode::kFailedPrecondition, "ec2 pool: not terminated, no longer tagged " +
                                                         std::string(kPoolTag) + "=" + options_.pool_name +
                                                         ": " + names);
  }
  return {};
}

Status Ec2WorkerPool::Stop(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = workers_.find(std::string(id));
  if (it == workers_.end()) return MakeError(ErrorCode::kNotFound, "ec2 pool: no worker " + std::string(id));
  Tracked& w = it->second;
  if (w.info.state == WorkerState::kStopped) return {};
  if (w.info.state == WorkerState::kFailed) {
    return MakeError(ErrorCode::kFailedPrecondition, "ec2 pool: worker " + w.info.id + " has failed");
  }
  if (Status st = TerminateChecked({w.info.id}); !st) return st;
  w.terminate_sent = true;
  SetState(w, WorkerState::kDraining, "", nullptr);  // until EC2 reports it gone
  Publish();
  return {};
}

Status Ec2WorkerPool::StopAll() {
  std::lock_guard lock(mu_);
  std::vector<std::string> live;
  for (const auto& [id, w] : workers_) {
    if (!IsFinal(w.info.state)) live.push_back(id);
  }
  Status st = TerminateChecked(live);
  for (const std::string& id : live) {
    Tracked& w = workers_.at(id);
    w.terminate_sent = true;
    SetState(w, WorkerState::kDraining, "", nullptr);
  }
  Publish();
  if (!st) return MakeError(ErrorCode::kInternal, st.error().message);
  return {};
}

Result<std::vector<WorkerChange>> Ec2WorkerPool::Refresh() {
  std::lock_guard lock(mu_);
  auto instances = Describe({});
  if (!instances) return std::unexpected(instances.error().WithContext("ec2 pool: refresh"));
  std::map<std::string, const Instance*> by_id;
  for (const Instance& instance : *instances) by_id[instance.id] = &instance;
  std::vector<WorkerChange> changes;
  const auto now = clock_.Now();
  std::vector<std::string> to_terminate;
  for (auto& [id, w] : workers_) {
    if (IsFinal(w.info.state)) continue;
    auto found = by_id.find(id);
    const std::string state = found == by_id.end() ? "gone" : found->second->state;
    if (found != by_id.end() && !found->second->private_ip.empty())
      w.info.address = found->second->private_ip;
    if (found == by_id.end() || Ended(state)) {
      if (w.terminate_sent || w.info.state == WorkerState::kDraining) {
        SetState(w, WorkerState::kStopped, "terminated by the pool", &changes);
      } else {
        SetState(w, WorkerState::kFailed, "instance " + state + " outside the pool", &changes);
      }
      continue;
    }
    if (w.info.state == WorkerState::kStarting) {
      if (state == "running" && options_.health_check(id, w.info.address, w.info.port)) {
        SetState(w, WorkerState::kInService, "", &changes);
      } else if (now - w.info.launched_at > options_.start_timeout) {
        to_terminate.push_back(id);
        w.terminate_sent = true;
        SetState(w, WorkerState::kFailed, "not healthy within the start timeout", &changes);
      }
    } else if (w.info.state == WorkerState::kDraining && !w.terminate_sent && w.drained_at &&
               now - *w.drained_at >= options_.drain_grace) {
      to_terminate.push_back(id);
    }
  }
  if (Status st = TerminateChecked(to_terminate); !st) {
    Publish();
    return std::unexpected(st.error());
  }
  for (const std::string& id : to_terminate) workers_.at(id).terminate_sent = true;
  Publish();
  return changes;
}

}  // namespace maskfleet::pool::ec2
