// The arithmetic of sign-in throttling, without storage: how long to wait after the
// n-th failure, and the keys failures are counted by.
//
// Throttling slows guessing down with growing delays instead of locking anything out:
// a key may fail `failures_before_wait` times in a row at once; that failure makes it
// wait `first_delay`, and every further one doubles the wait, up to `max_delay`. A key
// that fails no more is forgotten after a while (the store's business:
// accounts/login_throttle.h), so a person who mistyped starts afresh.
//
// Keys are digests, so that the database holds no user name or address in clear and a
// long input costs no more room than a short one:
//   account  the user name with ASCII letters folded to lower case ("Ann" is "ann", as
//            user names are compared: accounts/user_store.h)
//   address  an IPv4 address; an IPv6 address's /64 prefix (which one subscriber
//            usually holds whole); an IPv4-mapped IPv6 address counts as the IPv4 one;
//            anything else (a Unix socket, a proxy's label) as its text
//   pair     an account from one address: what "this address has signed in to this
//            account before" is remembered by
//
// Pure functions; safe across threads.
#ifndef MASKFLEET_AUTH_LOGIN_DELAY_H_
#define MASKFLEET_AUTH_LOGIN_DELAY_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace maskfleet::auth {

struct DelayPolicy {
  // The failure that starts the first wait (the ones before it cost nothing). Below 1
  // counts as 1.
  int failures_before_wait = 10;
  // The wait that failure starts; each further failure doubles it. At least 1 ms.
  std::chrono::milliseconds first_delay{1000};
  // The longest wait. At least first_delay.
  std::chrono::milliseconds max_delay{std::chrono::minutes(5)};
};

// The wait that the `failures`-th failure in a row starts (zero before
// failures_before_wait).
std::chrono::milliseconds DelayAfter(std::int64_t failures, const DelayPolicy& policy);

// The keys (32 hexadecimal digits each) described above.
std::string AccountKey(std::string_view account);
std::string AddressKey(std::string_view address);
std::string PairKey(std::string_view account, std::string_view address);

}  // namespace maskfleet::auth

#endif  // MASKFLEET_AUTH_LOGIN_DELAY_H_
