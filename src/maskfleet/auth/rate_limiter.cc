#include "maskfleet/auth/rate_limiter.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "maskfleet/auth/sodium.h"

namespace maskfleet::auth {
namespace {

std::array<std::uint8_t, 16> Digest(char kind, std::string_view text) {
  internal::EnsureSodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 16);
  const unsigned char tag = static_cast<unsigned char>(kind);
  crypto_generichash_update(&state, &tag, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::array<std::uint8_t, 16> out;
  crypto_generichash_final(&state, out.data(), out.size());
  return out;
}

}  // namespace

std::size_t LoginRateLimiter::Buckets::KeyHash::operator()(const Key& key) const {
  std::size_t h;
  std::memcpy(&h, key.data(), sizeof h);
  return h;
}

LoginRateLimiter::Buckets::Buckets(int limit, Duration window, std::size_t max_keys)
    : interval_(window / std::max(limit, 1)),
      tolerance_(window - interval_),
      max_keys_(std::max<std::size_t>(max_keys, 1)) {}

LoginRateLimiter::Duration LoginRateLimiter::Buckets::Wait(const Key& key,
                                                           Clock::TimePoint now) const {
  auto it = tat_.find(key);
  if (it == tat_.end()) return Duration::zero();
  const Duration ahead = it->second - now;
  return ahead > tolerance_ ? ahead - tolerance_ : Duration::zero();
}

void LoginRateLimiter::Buckets::Add(const Key& key, Clock::TimePoint now) {
  // Forget buckets that have refilled: they are the same as no entry.
  while (!by_tat_.empty() && by_tat_.begin()->first <= now) Erase(by_tat_.begin()->second);
  Clock::TimePoint tat = now;
  if (auto it = tat_.find(key); it != tat_.end()) {
    tat = std::max(tat, it->second);
    Erase(key);
  } else if (tat_.size() >= max_keys_) {
    Erase(by_tat_.begin()->second);
  }
  tat += interval_;
  tat_.emplace(key, tat);
  by_tat_.emplace(tat, key);
}

void LoginRateLimiter::Buckets::Forget(const Key& key) { Erase(key); }

void LoginRateLimiter::Buckets::Erase(const Key& key) {
  auto it = tat_.find(key);
  if (it == tat_.end()) return;
  by_tat_.erase({it->second, key});
  tat_.erase(it);
}

LoginRateLimiter::Key LoginRateLimiter::AccountKey(std::string_view account) {
  std::string lower(account);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return Digest('u', lower);
}

LoginRateLimiter::Key LoginRateLimiter::AddressKey(std::string_view address) {
  const std::string text(address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    static constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(bytes, kMappedPrefix, 12) == 0) {
      return Digest('4', std::string_view(reinterpret_cast<const char*>(bytes + 12), 4));
    }
    return Digest('6', std::string_view(reinterpret_cast<const char*>(bytes), 8));  // the /64
  }
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return Digest('4', std::string_view(reinterpret_cast<const char*>(bytes), 4));
  }
  return Digest('?', address);  // not an IP address (a Unix socket, a proxy's label)
}

LoginRateLimiter::LoginRateLimiter(const Clock& clock, LoginRateLimiterOptions options)
    : clock_(clock),
      accounts_(options.max_failures_per_account, options.window, options.max_tracked_keys),
      addresses_(options.max_failures_per_address, options.window, options.max_tracked_keys) {}

LoginThrottle LoginRateLimiter::Check(std::string_view account, std::string_view address) const {
  const Key account_key = AccountKey(account);
  const Key address_key = AddressKey(address);
  const Clock::TimePoint now = clock_.Now();
  Duration account_wait;
  Duration address_wait;
  {
    std::lock_guard lock(mu_);
    account_wait = accounts_.Wait(account_key, now);
    address_wait = addresses_.Wait(address_key, now);
  }
  LoginThrottle throttle;
  const Duration wait = std::max(account_wait, address_wait);
  if (wait > Duration::zero()) {
    throttle.retry_after = std::chrono::ceil<std::chrono::seconds>(wait);
    throttle.reason = account_wait >= address_wait ? LoginThrottle::Reason::kAccount
                                                   : LoginThrottle::Reason::kAddress;
  }
  return throttle;
}

void LoginRateLimiter::RecordFailure(std::string_view account, std::string_view address) {
  const Key account_key = AccountKey(account);
  const Key address_key = AddressKey(address);
  const Clock::TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  accounts_.Add(account_key, now);
  addresses_.Add(address_key, now);
}

void LoginRateLimiter::RecordSuccess(std::string_view account) {
  const Key account_key = AccountKey(account);
  std::lock_guard lock(mu_);
  accounts_.Forget(account_key);
}

std::size_t LoginRateLimiter::tracked_keys() const {
  std::lock_guard lock(mu_);
  return accounts_.size() + addresses_.size();
}

}  // namespace maskfleet::auth
