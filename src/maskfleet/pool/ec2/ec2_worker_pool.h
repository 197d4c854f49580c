// Ec2WorkerPool: the WorkerPool of the AWS mode, EC2 instances (worker id = instance id).
//
// The pool is exactly the instances tagged maskfleet:pool=<pool_name>: Create() adopts
// every such instance that is pending or running (an earlier manager's workers) and
// nothing else; an instance without the tag is never touched, and the tag is read
// again (DescribeInstances by id) before every TerminateInstances.
//
// Launch: one RunInstances (AMI or launch template, instance type, the next subnet,
// security groups, instance profile, IMDSv2 required with a hop limit of 1, detailed
// monitoring, the user data given, the tags maskfleet:pool, maskfleet:role=worker,
// maskfleet:launch-key=<key> and Name) with ClientToken = the idempotency key. EC2
// keeps a ClientToken for days, but an emulator may not, and a manager may restart:
// before launching, the pool also looks for an instance of its pool tagged with that
// launch key, and returns it rather than launching another; and RunInstances is not
// sent again by the client after a 5xx or a lost answer (only after throttling): the
// pool looks the key up instead, and answers kUnavailable (retry with the same key)
// when nothing was launched. At most `max_workers` live
// instances, whatever is asked (an instance the pool has had terminated no longer
// counts, though EC2 may still show it shutting down).
//
// States: kStarting until the instance runs and `health_check` passes (the manager
// reaches the worker's /healthz at its private address), kFailed when it does not
// within `start_timeout` (the instance is then terminated) or when the instance ends
// behind the pool's back; Drain() keeps the instance for `drain_grace` (the load
// balancer's deregistration delay has let requests finish already), then terminates
// it; kStopped once EC2 reports it shutting down or terminated.
//
// Thread safety: Launch, Drain, Stop, StopAll and Refresh are serialised (mu_); List()
// copies a snapshot under its own short lock.
#ifndef MASKFLEET_POOL_EC2_EC2_WORKER_POOL_H_
#define MASKFLEET_POOL_EC2_EC2_WORKER_POOL_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "maskfleet/aws/client.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/pool/worker_pool.h"

namespace maskfleet::pool::ec2 {

// Whether the worker at `address`:`port` answers its /healthz now.
using HealthCheck =
    std::function<bool(const std::string& instance_id, const std::string& address, std::uint16_t port)>;

struct Ec2PoolOptions {
  // The value of the maskfleet:pool tag: which instances are this pool's. Required.
  std::string pool_name;
  // A launch template (id), or an AMI and an instance type. One is required.
  std::string launch_template_id;
  std::string image_id;
  std::string instance_type;
  // Subnets used in turn; security groups; the instance profile (name or ARN). Optional
  // with a launch template that sets them.
  std::vector<std::string> subnet_ids;
  std::vector<std::string> security_group_ids;
  std::string instance_profile;
  // The instance's user data (configuration that starts `maskfleet worker`; never a
  // secret: anyone who may describe the instance reads it). At most 16 KB.
  std::string user_data;
  // The port the workers listen on.
  std::uint16_t worker_port = 8081;
  // Live instances at most (launched and adopted). Default 8.
  int max_workers = 8;
  std::chrono::seconds start_timeout{600};
  std::chrono::seconds drain_grace{0};
  std::chrono::milliseconds refresh_interval{5'000};
  // Default: an HTTP GET of http://address:port/healthz answered 200 within 2 s.
  HealthCheck health_check;
};

class Ec2WorkerPool : public WorkerPool {
 public:
  // Adopts the pool's live instances. Errors: kInvalidArgument (options), the
  // client's (kPermissionDenied naming ec2:DescribeInstances ...).
  static Result<std::unique_ptr<Ec2WorkerPool>> Create(std::shared_ptr<aws::Client> client,
                                                       Ec2PoolOptions options,
                                                       const Clock& clock = RealClock());

  std::vector<WorkerInfo> List() const override;
  Result<WorkerInfo> Launch(std::string_view idempotency_key) override;
  Status Drain(std::string_view id) override;
  Status Stop(std::string_view id) override;
  Status StopAll() override;
  Result<std::vector<WorkerChange>> Refresh() override;
  std::chrono::milliseconds RefreshInterval() const override { return options_.refresh_interval; }

 private:
  struct Instance;  // one instance as DescribeInstances tells it
  struct Tracked {
    WorkerInfo info;
    std::string launch_key;
    std::optional<Clock::TimePoint> drained_at;
    bool terminate_sent = false;
    // The order the pool learnt of it: breaks ties between equal launch times (EC2
    // gives LaunchTime to the second).
    std::uint64_t order = 0;
  };
  Ec2WorkerPool(std::shared_ptr<aws::Client> client, Ec2PoolOptions options, const Clock& clock);

  // The pool's instances (by tag), optionally only those with `launch_key`, or by id.
  Result<std::vector<Instance>> Describe(const aws::Parameters& filters);
  Status TerminateChecked(const std::vector<std::string>& ids);  // requires mu_
  void Track(const Instance& instance, bool adopted);            // requires mu_
  void SetState(Tracked& worker, WorkerState state, std::string reason,
                std::vector<WorkerChange>* changes);  // requires mu_
  int LiveCount() const;                              // requires mu_
  void Publish();                                     // requires mu_

  const std::shared_ptr<aws::Client> client_;
  const Ec2PoolOptions options_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Tracked> workers_;  // guarded by mu_; by instance id
  std::size_t next_subnet_ = 0;             // guarded by mu_
  std::uint64_t next_order_ = 0;            // guarded by mu_
  mutable std::mutex snapshot_mu_;
  std::vector<WorkerInfo> snapshot_;  // guarded by snapshot_mu_
};

// The tag names.
inline constexpr char kPoolTag[] = "maskfleet:pool";
inline constexpr char kRoleTag[] = "maskfleet:role";
inline constexpr char kLaunchKeyTag[] = "maskfleet:launch-key";

}  // namespace maskfleet::pool::ec2

#endif  // MASKFLEET_POOL_EC2_EC2_WORKER_POOL_H_
