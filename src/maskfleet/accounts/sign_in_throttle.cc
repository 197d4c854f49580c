#include "maskfleet/accounts/sign_in_throttle.h"

#include <algorithm>
#include <string>

namespace maskfleet::accounts {
namespace {

using std::chrono::milliseconds;

ThrottleKey LoginAccount(std::string_view account) { return {"login_account", auth::AccountKey(account)}; }
ThrottleKey LoginAddress(std::string_view address) { return {"login_address", auth::AddressKey(address)}; }
ThrottleKey LoginKnown(std::string_view account, std::string_view address) {
  return {"login_known", auth::PairKey(account, address)};
}
ThrottleKey ResetAccount(std::string_view account) { return {"reset_account", auth::AccountKey(account)}; }
ThrottleKey ResetAddress(std::string_view address) { return {"reset_address", auth::AddressKey(address)}; }

milliseconds Remaining(Clock::TimePoint until, Clock::TimePoint now) {
  return until > now ? std::chrono::ceil<milliseconds>(until - now) : milliseconds::zero();
}

}  // namespace

SignInThrottle::SignInThrottle(ThrottleStore& store, const Clock& clock, SignInThrottleOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<LoginCheck> SignInThrottle::CheckLogin(std::string_view account, std::string_view address) {
  Result<std::vector<ThrottleCounter>> counters = store_.Read(
      {LoginAccount(account), LoginAddress(address), LoginKnown(account, address)});
  if (!counters) return std::unexpected(counters.error());
  const Clock::TimePoint now = clock_.Now();
  LoginCheck check;
  check.known_until = (*counters)[2].until;
  const milliseconds account_wait = check.known_until > now ? milliseconds::zero()
                                                            : Remaining((*counters)[0].until, now);
  const milliseconds address_wait = Remaining((*counters)[1].until, now);
  check.wait = std::max(account_wait, address_wait);
  if (check.wait > milliseconds::zero()) {
    check.reason = account_wait >= address_wait ? LoginCheck::Reason::kAccount : LoginCheck::Reason::kAddress;
  }
  return check;
}

Status SignInThrottle::Fail(const ThrottleKey& key, const auth::DelayPolicy& policy,
                            std::chrono::seconds forget_after) {
  const Clock::TimePoint now = clock_.Now();
  Result<ThrottleCounter> counter = store_.Hit(key, now, now - forget_after);
  if (!counter) return std::unexpected(counter.error());
  const milliseconds delay = auth::DelayAfter(counter->hits, policy);
  if (delay <= milliseconds::zero()) return {};
  return store_.SetUntil(key, now + delay, now);
}

Status SignInThrottle::RecordLoginFailure(std::string_view account, std::string_view address) {
  Status by_account = Fail(LoginAccount(account), options_.login_account, options_.login_forget_after);
  Status by_address = Fail(LoginAddress(address), options_.login_address, options_.login_forget_after);
  return by_account ? by_address : by_account;
}

Status SignInThrottle::RecordLoginSuccess(std::string_view account, std::string_view address,
                                          const LoginCheck& check) {
  const Clock::TimePoint now = clock_.Now();
  if (check.known_until > now + options_.known_for / 2) return {};
  return store_.SetUntil(LoginKnown(account, address), now + options_.known_for, now);
}

Status SignInThrottle::CountResetRequest(std::string_view account, std::string_view address) {
  const ThrottleKey by_account = ResetAccount(account);
  const ThrottleKey by_address = ResetAddress(address);
  Result<std::vector<ThrottleCounter>> counters = store_.Read({by_account, by_address});
  if (!counters) return std::unexpected(counters.error());
  const Clock::TimePoint now = clock_.Now();
  const milliseconds wait = std::max(Remaining((*counters)[0].until, now),
                                     Remaining((*counters)[1].until, now));
  if (wait > milliseconds::zero()) {
    return MakeRetryableError(ErrorCode::kResourceExhausted,
                              "too many password reset requests; try again in " +
                                  std::to_string(std::chrono::ceil<std::chrono::seconds>(wait).count()) +
                                  " s",
                              wait);
  }
  Status counted = Fail(by_account, options_.reset_account, options_.reset_forget_after);
  if (!counted) return counted;
  return Fail(by_address, options_.reset_address, options_.reset_forget_after);
}

}  // namespace maskfleet::accounts
