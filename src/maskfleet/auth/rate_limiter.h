// Throttling of failed logins, per account and per client address.
//
// Each account and each client address has a token bucket (computed as GCRA: one
// time point per key): `max_failures` failed logins may come at once, then one
// more each `window / max_failures`; a bucket left alone for `window` is full
// again. With the defaults an account takes 10 failures, then one every 90 s; an
// address 50, then one every 18 s. So neither a password guesser on many accounts
// from one address nor one on one account from many addresses gets more than the
// bucket's rate.
//
// Use: Check() before verifying a password (refuse with its retry_after if not
// allowed); RecordFailure() after a wrong password; RecordSuccess() after a right
// one, which refills the account's bucket but not the address's (else an attacker
// holding one valid account could refill their address between guesses).
//
// Keys: account names are compared case-insensitively (ASCII); IPv6 addresses are
// grouped by their /64 prefix, which one subscriber usually owns entirely;
// IPv4-mapped IPv6 addresses count as the IPv4 address. Keys are kept as 16-byte
// digests, so long inputs cost no more memory than short ones.
//
// Memory is bounded: a full bucket is forgotten (it is the same as no entry), and
// when more than `max_tracked_keys` keys of one kind hold failures, the key
// closest to being forgiven is dropped early. That forgives someone under a flood
// of distinct keys; the bound is the price of not running out of memory.
//
// Time comes from a Clock. Thread-safe: all methods may be called at once. Check
// and RecordFailure are separate calls, so attempts already past Check when the
// limit is reached still count, and may overshoot it by the number in flight.
#ifndef MASKFLEET_AUTH_RATE_LIMITER_H_
#define MASKFLEET_AUTH_RATE_LIMITER_H_

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "maskfleet/common/clock.h"

namespace maskfleet::auth {

struct LoginRateLimiterOptions {
  // Failed logins one account may take at once. Default 10.
  int max_failures_per_account = 10;
  // Failed logins one client address (or IPv6 /64) may make at once. Default 50.
  int max_failures_per_address = 50;
  // Time in which a bucket refills completely. Default 15 minutes.
  std::chrono::seconds window = std::chrono::minutes(15);
  // Keys of each kind remembered at most. Default 100000 (about 13 MB per kind
  // when full).
  std::size_t max_tracked_keys = 100000;
};

struct LoginThrottle {
  enum class Reason { kNone, kAccount, kAddress };
  // Zero when a login attempt is allowed now; otherwise how long to wait,
  // rounded up to whole seconds (for a Retry-After header).
  std::chrono::seconds retry_after{0};
  // Which limit refused (the longer wait if both do).
  Reason reason = Reason::kNone;

  bool allowed() const { return retry_after.count() == 0; }
};

class LoginRateLimiter {
 public:
  // `clock` must outlive the limiter. Limits below 1 are treated as 1.
  explicit LoginRateLimiter(const Clock& clock, LoginRateLimiterOptions options = {});

  // Whether a login attempt for `account` from `address` may go ahead now.
  LoginThrottle Check(std::string_view account, std::string_view address) const;

  // Counts one failed login against both the account and the address.
  void RecordFailure(std::string_view account, std::string_view address);

  // Refills the account's bucket after a successful login.
  void RecordSuccess(std::string_view account);

  // Keys currently remembered (accounts plus addresses); for tests and metrics.
  std::size_t tracked_keys() const;

 private:
  using Key = std::array<std::uint8_t, 16>;
  using Duration = Clock::TimePoint::duration;

  // One kind of key (accounts or addresses). Not locked itself: the limiter's
  // mutex guards both.
  class Buckets {
   public:
    Buckets(int limit, Duration window, std::size_t max_keys);
    Duration Wait(const Key& key, Clock::TimePoint now) const;
    void Add(const Key& key, Clock::TimePoint now);
    void Forget(const Key& key);
    std::size_t size() const { return tat_.size(); }

   private:
    struct KeyHash {
      std::size_t operator()(const Key& key) const;
    };
    void Erase(const Key& key);

    Duration interval_;   // window / limit: what one failure costs
    Duration tolerance_;  // window - interval_: how far ahead the bucket may run
    std::size_t max_keys_;
    // Theoretical arrival time: when the bucket is full again.
    std::unordered_map<Key, Clock::TimePoint, KeyHash> tat_;
    std::set<std::pair<Clock::TimePoint, Key>> by_tat_;  // the same, ordered by time
  };

  static Key AccountKey(std::string_view account);
  static Key AddressKey(std::string_view address);

  const Clock& clock_;
  mutable std::mutex mu_;
  Buckets accounts_;   // guarded by mu_
  Buckets addresses_;  // guarded by mu_
};

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_RATE_LIMITER_H_
