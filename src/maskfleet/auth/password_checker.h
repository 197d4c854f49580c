// PasswordChecker: every Argon2id computation of a request path, bounded.
//
// An Argon2id check costs tens of milliseconds of CPU and 64 MiB of memory (more on
// a worker with a quarter of a core), and the testing API lets anybody ask for one
// with any username, no account needed. Unbounded, a burst of wrong passwords keeps
// every HTTP thread hashing and the worker stops answering its health checks. So:
//
//   - a check whose (username, password, stored hash) verified recently is answered
//     from the CredentialCache, without Argon2id and without any bound: other
//     users' uploads go on during a burst;
//   - identical checks in flight at once are computed once: the first caller
//     computes, the others (at most `queue` of them) wait for its answer and share
//     it (single-flight);
//   - at most `concurrency` computations run at once and at most `queue` more wait,
//     each for at most `max_wait`; the rest are refused at once with kUnavailable
//     and a retry hint (HTTP 503 with Retry-After).
//
// So at most concurrency + 2 × queue threads are ever inside the checker
// (capacity()); the worker keeps more HTTP threads than that.
//
// A username without an account is checked against a hash made at construction, so
// that it costs what a wrong password costs, under the same bounds.
//
// Thread safety: every method may be called from any thread at once.
#ifndef MASKFLEET_AUTH_PASSWORD_CHECKER_H_
#define MASKFLEET_AUTH_PASSWORD_CHECKER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "maskfleet/auth/credential_cache.h"
#include "maskfleet/auth/password_hash.h"
#include "maskfleet/common/admission.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"

namespace maskfleet::auth {

struct PasswordCheckOptions {
  // Argon2id computations at once. Default 1: one fits a worker's CPU allotment, and
  // a verified password is cached, so only first checks and wrong passwords hash.
  int concurrency = 1;
  // Computations that may wait for a free one, and, separately, callers that may wait
  // for an identical check in flight. Default 2.
  int queue = 2;
  // The longest a caller waits, for either. Default 2 s.
  std::chrono::milliseconds max_wait{2000};
  // The Retry-After of a refusal. Default 1 s.
  std::chrono::milliseconds retry_after{1000};
  // The verification cache. Defaults: credential_cache.h.
  CredentialCacheOptions cache;
};

class PasswordChecker {
 public:
  // The computation, replaceable by tests (which count calls); default VerifyPassword.
  using VerifyFunction = std::function<Result<bool>(std::string_view password, std::string_view stored_hash)>;

  // Makes the hash of absent users with `hashing` (one Argon2id computation).
  // `clock` must outlive the checker.
  PasswordChecker(const Clock& clock, const PasswordHashOptions& hashing, PasswordCheckOptions options = {},
                  VerifyFunction verify = {});
  PasswordChecker(const PasswordChecker&) = delete;
  PasswordChecker& operator=(const PasswordChecker&) = delete;

  // True if `password` matches `stored_hash` (from the cache when it verified
  // recently), false if not. Errors: kUnavailable with retry_after when the bounds
  // refuse the check; VerifyPassword's kInternal for a stored hash that is no
  // Argon2 string.
  Result<bool> Verify(std::string_view username, std::string_view password, std::string_view stored_hash);

  // For a username that has no account: the work of a wrong password, under the same
  // bounds. Returns false, or the errors of Verify.
  Result<bool> VerifyAbsent(std::string_view username, std::string_view password);

  // HashPassword(password, hashing) under the bounds (not shared: each hash has its
  // own salt). Errors: HashPassword's, and kUnavailable with retry_after as Verify.
  Result<std::string> Hash(std::string_view password);

  // The most threads ever inside the checker: concurrency + 2 × queue.
  int capacity() const { return admission_.capacity() + options_.queue; }
  // Computations running now, and waiting now (snapshots for /metrics).
  int running() const { return admission_.running(); }
  int waiting() const { return admission_.waiting(); }
  // Checks refused since construction.
  std::uint64_t refused() const;

 private:
  using Flight = std::shared_future<Result<bool>>;

  std::unexpected<Error> Refuse(std::string why);

  const PasswordHashOptions hashing_;
  const PasswordCheckOptions options_;
  const VerifyFunction verify_;
  CredentialCache cache_;
  Admission admission_;
  std::string absent_hash_;  // set by the constructor

  std::mutex mu_;
  std::unordered_map<CredentialCache::Key, Flight, CredentialCache::KeyHash> flights_;  // guarded by mu_
  int followers_ = 0;                                                                   // guarded by mu_
  std::atomic<std::uint64_t> followers_refused_{0};
};

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_PASSWORD_CHECKER_H_
