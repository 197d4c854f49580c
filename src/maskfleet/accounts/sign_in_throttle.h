// SignInThrottle: growing delays against password guessing and reset-mail floods, with
// the counts in the database (throttle_store.h), so that every worker sees every
// failure and a restart forgets none.
//
// Logins. Failures are counted per account and per client address (auth/login_delay.h
// for the keys); from a threshold on, each failure makes its key wait, longer each
// time (DelayPolicy), and an attempt during a wait is refused with the wait, without
// being checked or counted. Defaults: an account may fail 10 times in a row; the 10th
// failure makes it wait 1 s, the next ones 2 s, 4 s ... up to 5 minutes; an address
// the same from its 50th failure. A key without a failure for 15 minutes starts again.
//
// No lock-out for the real user: an address that signed in to an account is known to
// it for 30 days, and the account's delay does not apply to it (its address's delay
// still does). Someone guessing at alice's password from elsewhere slows down every
// unknown address, but not alice at home or at work.
//
// Reset requests are counted per requested name (whether or not it exists, so the
// answer tells nothing) and per address: by default the 3rd request for a name and the
// 10th from an address start a wait of 1 minute, doubling up to an hour; forgotten
// after an hour without a request.
//
// Checks and counts are separate calls, so attempts already past the check when a
// delay begins still count; they overshoot it by the number in flight.
//
// Thread safety: safe from many threads and processes.
#ifndef MASKFLEET_ACCOUNTS_SIGN_IN_THROTTLE_H_
#define MASKFLEET_ACCOUNTS_SIGN_IN_THROTTLE_H_

#include <chrono>
#include <string_view>

#include "maskfleet/accounts/throttle_store.h"
#include "maskfleet/auth/login_delay.h"
#include "maskfleet/common/clock.h"
#include "maskfleet/common/error.h"

namespace maskfleet::accounts {

struct SignInThrottleOptions {
  auth::DelayPolicy login_account{10, std::chrono::seconds(1), std::chrono::minutes(5)};
  auth::DelayPolicy login_address{50, std::chrono::seconds(1), std::chrono::minutes(5)};
  // A login key without a failure this long starts again. Default 15 minutes.
  std::chrono::seconds login_forget_after = std::chrono::minutes(15);
  // How long an address that signed in stays known to the account. Default 30 days.
  std::chrono::hours known_for = std::chrono::hours(24 * 30);
  auth::DelayPolicy reset_account{3, std::chrono::minutes(1), std::chrono::hours(1)};
  auth::DelayPolicy reset_address{10, std::chrono::minutes(1), std::chrono::hours(1)};
  // A reset key without a request this long starts again. Default 1 hour.
  std::chrono::seconds reset_forget_after = std::chrono::hours(1);
};

struct LoginCheck {
  enum class Reason { kNone, kAccount, kAddress };
  // Zero: go ahead. Otherwise how long to wait (the longer of the two waits).
  std::chrono::milliseconds wait{0};
  Reason reason = Reason::kNone;
  // Whether the address is known to the account, and until when.
  Clock::TimePoint known_until;

  bool allowed() const { return wait.count() <= 0; }
};

class SignInThrottle {
 public:
  // `store` and `clock` must outlive the throttle.
  SignInThrottle(ThrottleStore& store, const Clock& clock, SignInThrottleOptions options = {});

  // Whether a login of `account` from `address` may be checked now. Errors: the
  // store's (kUnavailable, kInternal).
  Result<LoginCheck> CheckLogin(std::string_view account, std::string_view address);
  // Counts a wrong password against the account and the address, and starts their
  // waits from the thresholds on. Errors: the store's.
  Status RecordLoginFailure(std::string_view account, std::string_view address);
  // Makes the address known to the account (skipped while `check` says it is known for
  // more than half of known_for). Errors: the store's.
  Status RecordLoginSuccess(std::string_view account, std::string_view address, const LoginCheck& check);

  // Counts a reset request for `account` from `address`. Errors: kResourceExhausted with
  // the wait as retry_after when either is waiting (the request is not counted then);
  // the store's.
  Status CountResetRequest(std::string_view account, std::string_view address);

  const SignInThrottleOptions& options() const { return options_; }

 private:
  // Hits `key`; from the policy's threshold on, sets its wait. Errors: the store's.
  Status Fail(const ThrottleKey& key, const auth::DelayPolicy& policy, std::chrono::seconds forget_after);

  ThrottleStore& store_;
  const Clock& clock_;
  const SignInThrottleOptions options_;
};

}  // namespace maskfleet::accounts

#endif  // MASKFLEET_ACCOUNTS_SIGN_IN_THROTTLE_H_
