// Where the AWS client's keys come from: the standard credential chain of the AWS
// SDKs and CLI, in this order:
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//   2. a profile (AWS_PROFILE, else "default") of the shared files
//      ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) and ~/.aws/config
//      (AWS_CONFIG_FILE; its sections are "[profile NAME]", "[default]");
//   3. the EC2 instance role through IMDSv2 (a session token from
//      PUT /latest/api/token, then GET .../iam/security-credentials/ROLE with it),
//      at AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254), unless
//      AWS_EC2_METADATA_DISABLED=true. These expire: they are fetched again when less
//      than `refresh_before` (5 minutes) of their life is left.
// The region comes from AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, or
// the instance's placement (IMDSv2), in that order.
//
// The environment is passed in (Environment), so that tests never touch the
// process's. Thread safety: every provider is safe from many threads; the instance
// role provider fetches at most once at a time.
#ifndef MASKFLEET_AWS_CREDENTIALS_H_
#define MASKFLEET_AWS_CREDENTIALS_H_

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"

namespace maskfleet::aws {

class HttpTransport;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  // Empty for long-term keys.
  std::string session_token;
  // When temporary credentials stop working; nullopt for long-term keys.
  std::optional<std::chrono::system_clock::time_point> expiration;
  // Where they came from, for logs: "environment", "profile default",
  // "instance role NAME". Never the keys themselves.
  std::string source;
};

// Reads an environment variable; nullopt when unset. Empty values count as unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
// The process's environment.
Environment ProcessEnvironment();
// Whether an AWS boolean setting is on: "true" (any case) or "1".
bool IsTrueSetting(const std::optional<std::string>& value);

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials valid now. Errors: kUnauthenticated (none found, or incomplete: a key
  // id without a secret), kUnavailable (the metadata service did not answer: retry),
  // kInvalidArgument (an unreadable shared file).
  virtual Result<Credentials> Get() = 0;
};

class StaticCredentialsProvider : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Result<Credentials> Get() override { return credentials_; }

 private:
  const Credentials credentials_;
};

// Step 1: nullopt when AWS_ACCESS_KEY_ID is unset. Errors: kUnauthenticated (a key id
// without a secret, or the reverse).
Result<std::optional<Credentials>> CredentialsFromEnvironment(const Environment& env);

// One profile's settings from the shared files (credentials file first for keys).
struct ProfileSettings {
  std::string name;
  std::optional<Credentials> credentials;
  std::string region;
  // endpoint_url of the profile (the global endpoint override).
  std::string endpoint_url;
};

// Step 2's profile: AWS_PROFILE or "default". Missing files or a missing profile give
// empty settings; a profile named by AWS_PROFILE that exists in neither file is
// kInvalidArgument, as the CLI refuses it. Errors: kInvalidArgument (unreadable
// file, a key id without a secret).
Result<ProfileSettings> LoadProfile(const Environment& env);

// Step 3: the instance role through IMDSv2.
class InstanceRoleCredentialsProvider : public CredentialsProvider {
 public:
  struct Options {
    // "http://169.254.169.254" by default, or AWS_EC2_METADATA_SERVICE_ENDPOINT.
    std::string endpoint = "http://169.254.169.254";
    // Credentials are fetched again when they expire within this.
    std::chrono::seconds refresh_before{300};
    // Lifetime asked for the IMDSv2 session token.
    std::chrono::seconds token_ttl{21600};
    std::chrono::milliseconds timeout{2'000};
  };
  InstanceRoleCredentialsProvider(Options options, HttpTransport& transport, const Clock& clock);

  Result<Credentials> Get() override;
  // The instance's region (placement/region) or id (instance-id), through the same
  // token. Errors: kUnavailable (no answer), kInternal (an unexpected answer).
  Result<std::string> Metadata(std::string_view path);

 private:
  Result<std::string> Token();                              // requires mu_
  Result<std::string> GetWithToken(std::string_view path);  // requires mu_

  const Options options_;
  HttpTransport& transport_;
  const Clock& clock_;
  std::mutex mu_;
  std::optional<Credentials> cached_;                       // guarded by mu_
  std::string token_;                                       // guarded by mu_
  std::chrono::system_clock::time_point token_expires_at_;  // guarded by mu_
};

// The chain above. Environment and profile are read once, at construction; the
// instance role is asked only when both are empty, and refreshed as it expires.
class DefaultCredentialsChain : public CredentialsProvider {
 public:
  // Errors: as CredentialsFromEnvironment and LoadProfile.
  static Result<std::unique_ptr<DefaultCredentialsChain>> Create(const Environment& env,
                                                                 HttpTransport& transport,
                                                                 const Clock& clock);
  Result<Credentials> Get() override;
  // The region of the chain's sources (see the top), or kFailedPrecondition when none
  // names one.
  Result<std::string> Region();
  // The profile's endpoint_url, or "".
  const std::string& ProfileEndpoint() const { return profile_.endpoint_url; }

 private:
  DefaultCredentialsChain() = default;
  std::optional<Credentials> fixed_;
  ProfileSettings profile_;
  std::string env_region_;
  std::unique_ptr<InstanceRoleCredentialsProvider> instance_role_;  // null when disabled
};

// "ISO 8601" timestamps of IMDS and AWS answers ("2026-12-04T06:00:00Z", with
// optional fraction). Errors: kInvalidArgument.
Result<std::chrono::system_clock::time_point> ParseIso8601(std::string_view text);
// The form AWS's Query APIs take: "2026-12-04T06:00:00Z".
std::string FormatIso8601(std::chrono::sys_seconds t);

}  // namespace maskfleet::aws

#endif  // MASKFLEET_AWS_CREDENTIALS_H_
