#include "maskfleet/auth/login_delay.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "maskfleet/auth/sodium.h"

namespace maskfleet::auth {
namespace {

std::string Digest(char kind, std::string_view text) {
  internal::EnsureSodium();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 16);
  const unsigned char tag = static_cast<unsigned char>(kind);
  crypto_generichash_update(&state, &tag, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  std::array<unsigned char, 16> out;
  crypto_generichash_final(&state, out.data(), out.size());
  char hex[2 * 16 + 1];
  sodium_bin2hex(hex, sizeof hex, out.data(), out.size());
  return hex;
}

std::string FoldedAccount(std::string_view account) {
  std::string lower(account);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; });
  return lower;
}

}  // namespace

std::chrono::milliseconds DelayAfter(std::int64_t failures, const DelayPolicy& policy) {
  const std::int64_t threshold = std::max(policy.failures_before_wait, 1);
  if (failures < threshold) return std::chrono::milliseconds::zero();
  const std::chrono::milliseconds first = std::max(policy.first_delay, std::chrono::milliseconds(1));
  const std::chrono::milliseconds cap = std::max(policy.max_delay, first);
  std::chrono::milliseconds delay = first;
  for (std::int64_t i = threshold; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

std::string AccountKey(std::string_view account) { return Digest('u', FoldedAccount(account)); }

std::string AddressKey(std::string_view address) {
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

std::string PairKey(std::string_view account, std::string_view address) {
  // Both parts are digests of fixed length, so no two pairs run together.
  return Digest('p', AccountKey(account) + AddressKey(address));
}

}  // namespace maskfleet::auth
