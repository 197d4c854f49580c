// Elbv2LoadBalancer: the LoadBalancer of the AWS mode, an existing Application Load
// Balancer's target group (ELBv2 API, through the AWS client).
//
// Servers are the group's targets, registered by the server's id (an EC2 instance id:
// the target group's type is "instance") and port. The ALB health-checks them itself
// (the group's health check, /healthz), so the states come from DescribeTargetHealth:
// initial, unhealthy, unused, unavailable -> kDown; healthy -> kUp; draining ->
// kDraining. ELBv2 has one way out, DeregisterTargets, which drains the target for the
// group's deregistration delay, requests in flight finishing; DrainServer() is that
// call, and RemoveServer() only forgets the server (deregistering it first when it
// was not drained). A drained server that the ALB no longer lists stays kDraining
// until it is removed. active_connections is -1: ELBv2 does not tell.
//
// The servers added (id, address, port) are remembered in memory for ListServers:
// ELBv2 knows targets by instance id, not by address.
//
// Thread safety: safe from many threads; calls are serialised (mu_), each whole.
#ifndef MASKFLEET_LB_ELBV2_ELBV2_LOAD_BALANCER_H_
#define MASKFLEET_LB_ELBV2_ELBV2_LOAD_BALANCER_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "maskfleet/aws/client.h"
#include "maskfleet/lb/load_balancer.h"

namespace maskfleet::lb::elbv2 {

struct Elbv2LoadBalancerOptions {
  // The target group's ARN. Required.
  std::string target_group_arn;
  // How often ListServers() is worth calling (DescribeTargetHealth is a rate-limited
  // remote call; the ALB checks every 10 s or more). Default 10 s.
  std::chrono::milliseconds list_interval{10'000};
  // Where people send requests: "http://NAME.REGION.elb.amazonaws.com/" (the ALB's DNS
  // name, or the domain in front of it). Required; a trailing '/' is added if missing.
  std::string entry_url;
};

class Elbv2LoadBalancer : public LoadBalancer {
 public:
  // Checks that the target group exists (DescribeTargetGroups), and notes the load
  // balancers that forward to it. Errors:
  // kInvalidArgument (no ARN or entry URL), kNotFound (no such target group), the
  // client's (kPermissionDenied naming the action ...).
  static Result<std::unique_ptr<Elbv2LoadBalancer>> Open(std::shared_ptr<aws::Client> client,
                                                         Elbv2LoadBalancerOptions options);

  Status AddServer(const ServerAddress& server) override;
  Status DrainServer(std::string_view id) override;
  Status RemoveServer(std::string_view id) override;
  Result<std::vector<ServerStatus>> ListServers() override;
  std::string EntryUrl() const override { return options_.entry_url; }
  std::chrono::milliseconds ListInterval() const override { return options_.list_interval; }

  // The ARNs of the load balancers that forward to the target group, as
  // DescribeTargetGroups answered at Open() (its LoadBalancerArns): where the metrics
  // find the balancer's request counts. Empty when no listener forwards to it yet.
  const std::vector<std::string>& load_balancer_arns() const { return load_balancer_arns_; }

 private:
  Elbv2LoadBalancer(std::shared_ptr<aws::Client> client, Elbv2LoadBalancerOptions options,
                    std::vector<std::string> load_balancer_arns)
      : client_(std::move(client)),
        options_(std::move(options)),
        load_balancer_arns_(std::move(load_balancer_arns)) {}
  Status Deregister(const std::string& id, std::uint16_t port);

  struct Added {
    ServerAddress address;
    bool drained = false;
  };
  const std::shared_ptr<aws::Client> client_;
  const Elbv2LoadBalancerOptions options_;
  const std::vector<std::string> load_balancer_arns_;
  std::mutex mu_;
  std::map<std::string, Added, std::less<>> servers_;  // guarded by mu_
};

}  // namespace maskfleet::lb::elbv2

#endif  // MASKFLEET_LB_ELBV2_ELBV2_LOAD_BALANCER_H_
