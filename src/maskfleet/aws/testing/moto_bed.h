// A moto server for tests of the AWS adapters (tests/aws/moto_bed.py): started once per
// test binary on a loopback port, request authentication on, with an admin, a manager
// and a worker user (the latter two holding moto copies of maskfleet's IAM policies).
//
// Tests call RequireMotoBed() in SetUp: when the bed cannot start (a build whose venv
// has no moto) it prints why and ends the binary with status 77, which CTest reports as
// skipped (maskfleet_test(... ONE_PROCESS)), never as passed. The server stops when the
// test binary exits (the helper watches its standard input).
#ifndef MASKFLEET_AWS_TESTING_MOTO_BED_H_
#define MASKFLEET_AWS_TESTING_MOTO_BED_H_

#include <memory>
#include <mutex>
#include <string>

#include "maskfleet/aws/client.h"
#include "maskfleet/aws/testing/helper_script.h"
#include "maskfleet/common/error.h"

namespace maskfleet::aws::testing {

struct MotoUser {
  std::string access_key_id;
  std::string secret_access_key;
};

class MotoBed {
 public:
  ~MotoBed();
  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }
  // The bucket the manager's and worker's S3 permissions name (not created).
  const std::string& bucket() const { return bucket_; }
  // "admin", "manager" or "worker".
  const MotoUser& user(const std::string& name) const;

  // A client for every service at the bed's endpoint, signing as `user` (with
  // `secret_override` instead of the user's secret when not empty), retrying at most
  // `max_attempts` times with 1 ms back-off.
  // `transport` replaces the client's libcurl one (a fault-injecting wrapper).
  std::unique_ptr<Client> ClientFor(const std::string& user, const std::string& secret_override = "",
                                    int max_attempts = 2,
                                    std::shared_ptr<HttpTransport> transport = nullptr) const;
  // The options ClientFor(user) builds, to change before making a Client (another
  // region: moto keeps each region's data apart, which keeps tests that must use the
  // same names, such as the contract suites, from seeing each other's data).
  ClientOptions OptionsFor(const std::string& user) const;

  // An AMI registered (as the admin) once per bed, to launch instances from. Cheaper
  // than DescribeImages, which lists moto's 1,300 stock images in seconds each time.
  // Errors: the client's.
  Result<std::string> WorkerImage();

  // Starts the bed. Errors: kFailedPrecondition (no moto in the build's venv: the
  // message says how to get it), kUnavailable (moto did not start).
  static Result<std::unique_ptr<MotoBed>> Start();

 private:
  MotoBed() = default;
  std::unique_ptr<HelperScript> helper_;
  std::string endpoint_;
  std::string region_;
  std::string bucket_;
  std::mutex image_mu_;
  std::string image_;  // guarded by image_mu_
  MotoUser admin_, manager_, worker_;
};

// One bed per test binary, started by the first call. Errors: as Start() (remembered:
// later calls return the same error at once).
Result<MotoBed*> SharedMotoBed();

// SharedMotoBed(), or exit(77) with the reason on stderr.
MotoBed& RequireMotoBed();

}  // namespace maskfleet::aws::testing

#endif  // MASKFLEET_AWS_TESTING_MOTO_BED_H_
